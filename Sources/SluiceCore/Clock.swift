import Foundation

/// Milliseconds since the Unix epoch: the one time unit the engine and storage use.
public typealias Millis = Int64

/// The engine's source of time. Tests inject ``ManualClock`` and move it instead of sleeping.
public protocol SluiceClock: Sendable {
    func now() -> Millis
}

/// Wall-clock time.
public struct SystemClock: SluiceClock {
    public init() {}
    public func now() -> Millis {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Millis(spec.tv_sec) * 1000 + Millis(spec.tv_nsec) / 1_000_000
    }
}

/// A clock that only moves when told to.
public final class ManualClock: SluiceClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Millis

    public init(_ start: Millis = 1_700_000_000_000) { current = start }

    public func now() -> Millis { lock.withLock { current } }

    public func advance(seconds: Double) {
        lock.withLock { current += Millis(seconds * 1000) }
    }

    public func advance(millis: Millis) {
        lock.withLock { current += millis }
    }
}
