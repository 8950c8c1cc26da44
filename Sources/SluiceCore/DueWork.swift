import Foundation

/// Wakes a sleeping work loop when work is due sooner than it planned. A poke while the
/// loop is busy is remembered, so its next sleep returns at once.
public final class WakeAlarm: @unchecked Sendable {
    private let lock = NSLock()
    private var signal: Signal?
    private var pending = false

    public init() {}

    public func poke() {
        let sleeping: Signal? = lock.withLock {
            if let signal { return signal }
            pending = true
            return nil
        }
        sleeping?.fire()
    }

    /// Sleeps up to `millis` (nil: until poked or cancelled).
    public func sleep(millis: Int64?) async {
        let signal = Signal()
        let poked: Bool = lock.withLock {
            if pending {
                pending = false
                return true
            }
            self.signal = signal
            return false
        }
        guard !poked else { return }
        await signal.wait(timeoutMillis: millis.map { max(1, $0) })
        lock.withLock { self.signal = nil }
    }
}

/// A count shared between a loop and the child tasks it starts.
public final class InFlightCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    public init() {}
    public var value: Int { lock.withLock { count } }
    public func add(_ n: Int) { lock.withLock { count += n } }
}

/// The loop behind stored work that comes due (SNS HTTP deliveries, asynchronous function
/// invocations): fetch what is due, run each item in its own child task (a slow one holds
/// up only itself), at most `capacity` at once, and sleep until the next item is due or
/// the alarm is poked. Idle, it does nothing at all. Returns when cancelled.
public enum DueWork {
    public static func run<Item: Sendable>(
        capacity: Int, alarm: WakeAlarm, clock: any SluiceClock,
        fetch: @escaping @Sendable (_ now: Millis, _ limit: Int) async throws -> [Item],
        nextDue: @escaping @Sendable () async throws -> Millis?,
        onError: @escaping @Sendable (any Error) -> Void,
        attempt: @escaping @Sendable (Item) async -> Void
    ) async {
        let inFlight = InFlightCounter()
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let room = capacity - inFlight.value
                if room <= 0 {
                    await alarm.sleep(millis: 1000)
                    continue
                }
                let due: [Item]
                let next: Millis?
                do {
                    due = try await fetch(clock.now(), room)
                    next = due.isEmpty ? try await nextDue() : nil
                } catch {
                    onError(error)
                    await alarm.sleep(millis: 1000)
                    continue
                }
                for item in due {
                    inFlight.add(1)
                    group.addTask {
                        await attempt(item)
                        inFlight.add(-1)
                        alarm.poke()
                    }
                }
                if due.isEmpty {
                    await alarm.sleep(millis: next.map { max(1, $0 - clock.now()) })
                }
            }
        }
    }
}
