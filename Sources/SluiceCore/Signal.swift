import Foundation

/// A one-shot wake-up: `wait` returns when `fire` is called, when the timeout passes, or
/// when the waiting task is cancelled. A fire before the wait is remembered.
public final class Signal: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Void, Never>?
    private var fired = false

    public init() {}

    public func fire() {
        lock.lock()
        if let continuation {
            self.continuation = nil
            lock.unlock()
            continuation.resume()
        } else {
            fired = true
            lock.unlock()
        }
    }

    /// Waits at most `timeout` milliseconds (nil: until fired or cancelled).
    public func wait(timeoutMillis: Int64?) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForFire() }
            if let timeoutMillis {
                group.addTask { try? await Task.sleep(nanoseconds: UInt64(max(0, timeoutMillis)) * 1_000_000) }
            }
            await group.next()
            // Cancelling releases the fire-waiter if the timer won (its cancellation handler
            // fires). No extra fire here: it would be remembered and wake the next wait at
            // once, and a loop that reuses the signal would spin.
            group.cancelAll()
        }
    }

    private func waitForFire() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                lock.lock()
                if fired {
                    fired = false
                    lock.unlock()
                    continuation.resume()
                } else {
                    self.continuation = continuation
                    lock.unlock()
                }
            }
        } onCancel: {
            self.fire()
        }
    }
}
