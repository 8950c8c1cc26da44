import Foundation
import SluiceCore

/// Long-poll receivers parked per queue. A send (or anything that makes a message
/// receivable) notifies the queue, waking every receiver parked on it; the version counter
/// closes the gap between a receiver's empty look and its parking.
final class WaiterRegistry: @unchecked Sendable {
    private struct Entry {
        var version: UInt64 = 0
        var signals: [ObjectIdentifier: Signal] = [:]
    }

    private let lock = NSLock()
    private var entries: [Int64: Entry] = [:]
    private var closed = false

    func version(_ queueId: Int64) -> UInt64 {
        lock.withLock { entries[queueId]?.version ?? 0 }
    }

    /// Parks `signal` unless the queue changed since `version` (then returns false: look again).
    func park(_ signal: Signal, on queueId: Int64, ifVersion version: UInt64) -> Bool {
        lock.withLock {
            guard !closed else { return false }
            var entry = entries[queueId] ?? Entry()
            guard entry.version == version else { return false }
            entry.signals[ObjectIdentifier(signal)] = signal
            entries[queueId] = entry
            return true
        }
    }

    func unpark(_ signal: Signal, from queueId: Int64) {
        lock.withLock {
            entries[queueId]?.signals[ObjectIdentifier(signal)] = nil
            if let entry = entries[queueId], entry.signals.isEmpty, entry.version == 0 { entries[queueId] = nil }
        }
    }

    func notify(_ queueId: Int64) {
        let signals: [Signal] = lock.withLock {
            guard var entry = entries[queueId] else { return [] }
            entry.version &+= 1
            let woken = Array(entry.signals.values)
            entry.signals.removeAll()
            entries[queueId] = entry
            return woken
        }
        signals.forEach { $0.fire() }
    }

    /// Number of receivers parked right now.
    var parkedCount: Int {
        lock.withLock { entries.values.reduce(0) { $0 + $1.signals.count } }
    }

    var isClosed: Bool { lock.withLock { closed } }

    /// Wakes everyone and refuses new parking (shutdown).
    func close() {
        let signals: [Signal] = lock.withLock {
            closed = true
            let all = entries.values.flatMap { $0.signals.values }
            entries.removeAll()
            return all
        }
        signals.forEach { $0.fire() }
    }
}

/// Wakes the expiry reaper exactly when the earliest expiry is due, and earlier when a new
/// earlier expiry is noted.
final class ExpiryAlarm: @unchecked Sendable {
    private let lock = NSLock()
    private var scheduled: Int64?
    private var signal: Signal?

    /// Sleeps until `at` (nil: until poked), or until an earlier time is noted.
    func sleep(until at: Int64?, now: Int64) async {
        let signal = Signal()
        lock.withLock {
            scheduled = at
            self.signal = signal
        }
        await signal.wait(timeoutMillis: at.map { $0 - now })
        lock.withLock { self.signal = nil }
    }

    func note(_ expiry: Int64) {
        let toFire: Signal? = lock.withLock {
            guard let signal else { return nil }
            if let scheduled, scheduled <= expiry { return nil }
            scheduled = expiry
            return signal
        }
        toFire?.fire()
    }
}
