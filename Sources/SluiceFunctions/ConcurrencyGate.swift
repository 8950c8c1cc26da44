import Foundation

/// At most `limit` holders at once; the rest wait in arrival order. A wait is reported so
/// the host can count it as a throttle.
final class ConcurrencyGate: @unchecked Sendable {
    private let lock = NSLock()
    private let limit: Int
    private var held = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var closed = false

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes a slot; returns whether it had to wait for one.
    func acquire() async -> Bool {
        let immediate: Bool = lock.withLock {
            if held < limit || closed {
                held += 1
                return true
            }
            return false
        }
        if immediate { return false }
        await withCheckedContinuation { continuation in
            let now: Bool = lock.withLock {
                if held < limit || closed {
                    held += 1
                    return true
                }
                waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
        return true
    }

    func release() {
        let next: CheckedContinuation<Void, Never>? = lock.withLock {
            if !waiters.isEmpty && held <= limit { return waiters.removeFirst() }  // the slot passes on
            held -= 1
            return nil
        }
        next?.resume()
    }

    /// Lets every waiter (and every later caller) through at once: the function behind
    /// the gate was replaced or removed, and they must look again.
    func close() {
        let released: [CheckedContinuation<Void, Never>] = lock.withLock {
            closed = true
            held += waiters.count
            let all = waiters
            waiters.removeAll()
            return all
        }
        released.forEach { $0.resume() }
    }

    var inUse: Int { lock.withLock { held } }
}
