import Foundation

/// A monotonic counter that also knows how much it grew in the last completed minute
/// (what CloudWatch reports as the `Sum` statistic of a 60-second period).
public final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var total: Double = 0
    private var minute: Int64
    private var minuteBase: Double = 0
    private var lastMinute: Double = 0
    private let now: @Sendable () -> Int64

    init(now: @escaping @Sendable () -> Int64) {
        self.now = now
        minute = now() / 60_000
    }

    public func add(_ amount: Double = 1) {
        let current = now() / 60_000
        lock.lock()
        roll(to: current)
        total += amount
        lock.unlock()
    }

    /// The cumulative value.
    public var value: Double { lock.withLock { total } }

    /// How much the counter grew during the last completed minute.
    public var lastMinuteIncrease: Double {
        let current = now() / 60_000
        return lock.withLock {
            roll(to: current)
            return lastMinute
        }
    }

    private func roll(to current: Int64) {
        guard current > minute else { return }
        lastMinute = current == minute + 1 ? total - minuteBase : 0
        minuteBase = total
        minute = current
    }
}

/// A histogram with fixed buckets, plus the last completed minute's sum, count and maximum.
public final class Histogram: @unchecked Sendable {
    public let bounds: [Double]
    private let lock = NSLock()
    private var counts: [UInt64]
    private var sum: Double = 0
    private var count: UInt64 = 0
    private var minute: Int64
    private var window = Window()
    private var lastWindow = Window()
    private let now: @Sendable () -> Int64

    struct Window {
        var sum: Double = 0
        var count: Double = 0
        var maximum: Double = 0
        var minimum: Double = .infinity
    }

    init(bounds: [Double], now: @escaping @Sendable () -> Int64) {
        self.bounds = bounds
        self.now = now
        counts = [UInt64](repeating: 0, count: bounds.count)
        minute = now() / 60_000
    }

    public func observe(_ value: Double) {
        let current = now() / 60_000
        lock.lock()
        roll(to: current)
        for (index, bound) in bounds.enumerated() where value <= bound { counts[index] += 1 }
        sum += value
        count += 1
        window.sum += value
        window.count += 1
        window.maximum = max(window.maximum, value)
        window.minimum = min(window.minimum, value)
        lock.unlock()
    }

    /// Cumulative bucket counts, sum and count.
    var snapshot: (buckets: [UInt64], sum: Double, count: UInt64) { lock.withLock { (counts, sum, count) } }

    /// The last completed minute: sum, sample count, maximum, minimum.
    var lastMinute: (sum: Double, count: Double, maximum: Double, minimum: Double) {
        let current = now() / 60_000
        return lock.withLock {
            roll(to: current)
            return (lastWindow.sum, lastWindow.count, lastWindow.maximum, lastWindow.count > 0 ? lastWindow.minimum : 0)
        }
    }

    private func roll(to current: Int64) {
        guard current > minute else { return }
        lastWindow = current == minute + 1 ? window : Window()
        window = Window()
        minute = current
    }
}
