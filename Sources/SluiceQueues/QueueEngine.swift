import Foundation
import Logging
import SluiceCore
import SluiceStorage

/// The SQS queue engine: validation and semantics over a ``QueueStore``, long-poll
/// waiting, expiry and message move tasks. It knows nothing of HTTP or wire formats.
public final class QueueEngine: Sendable {
    public let region: String
    public let defaultAccount: String
    let store: any QueueStore
    let clock: any SluiceClock
    let logger: Logger
    let waiters = WaiterRegistry()
    let alarm = ExpiryAlarm()
    let moveTaskSignal = Signal()
    let cache = QueueCache()
    let attempts = ReceiveAttemptCache()
    let inFlight = InFlightGuard()
    let observer: any QueueObserver
    /// Messages in flight at which receives stop (SQS: about 120,000).
    let maxInFlight: Int

    public init(store: any QueueStore, clock: any SluiceClock = SystemClock(), region: String, account: String, logger: Logger,
                observer: any QueueObserver = NoQueueObserver(), maxInFlight: Int = SQSLimits.maxInflightStandard) {
        self.maxInFlight = maxInFlight
        self.store = store
        self.clock = clock
        self.observer = observer
        self.region = region
        self.defaultAccount = account
        self.logger = logger
    }

    /// Loads the queue catalogue into memory. Call once before serving.
    public func start() async throws {
        cache.replaceAll(try await store.allQueues())
    }

    /// Background work: the expiry reaper and move tasks. Returns when cancelled.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.runReaper() }
            group.addTask { await self.runMoveTasks() }
            await group.waitForAll()
        }
    }

    /// Wakes long-poll receivers so in-flight requests finish promptly on shutdown.
    public func shutdown() {
        waiters.close()
    }

    /// Number of receivers parked in long polls.
    public var parkedReceivers: Int { waiters.parkedCount }

    /// Every queue with its exact counts, read without holding up requests (metrics scrapes).
    public func allQueueCounts() async -> [(queue: QueueRecord, counts: QueueCounts)] {
        let counts = (try? await store.countsByQueue(now: clock.now())) ?? [:]
        return cache.all().sorted { ($0.key.account, $0.key.name) < ($1.key.account, $1.key.name) }
            .map { ($0, counts[$0.id] ?? QueueCounts()) }
    }

    /// Bytes the store occupies on disk, and its group-commit statistics.
    public var storage: (bytes: Int64, commits: Int, jobs: Int) {
        let statistics = store.commitStatistics()
        return (store.sizeOnDisk(), statistics.commits, statistics.jobs)
    }

    func arn(_ key: QueueKey) -> String { key.arn(region: region) }

    /// Resolves a queue or throws QueueDoesNotExist.
    func record(_ key: QueueKey) throws(QueueError) -> QueueRecord {
        guard let record = cache.get(key) else { throw .queueDoesNotExist }
        return record
    }

    /// The queue with this ARN, if it exists.
    public func record(arn: String) -> QueueRecord? {
        guard let name = ResourceName.parse(arn: arn, service: "sqs") else { return nil }
        return cache.get(QueueKey(account: name.account, name: name.name))
    }

    /// Runs a store call, mapping storage failures to an internal error (logged).
    func storing<T>(_ what: String, _ body: () async throws -> T) async throws(QueueError) -> T {
        do {
            return try await body()
        } catch let error as QueueError {
            throw error
        } catch {
            logger.error("storage failure during \(what): \(error)")
            throw QueueError(.internalFailure, "The request processing has failed because of an unknown error, exception or failure.")
        }
    }

    // MARK: Expiry

    private func runReaper() async {
        while !Task.isCancelled {
            let next: Millis?
            do {
                next = try await store.nextExpiry()
            } catch {
                logger.error("cannot read next expiry: \(error)")
                try? await Task.sleep(nanoseconds: 1_000_000_000)
                continue
            }
            let now = clock.now()
            if let next, next <= now {
                do {
                    let removed = try await store.reapExpired(now: now, limit: 1000)
                    if removed > 0 { logger.debug("reaped \(removed) expired entries") }
                } catch {
                    logger.error("cannot reap expired messages: \(error)")
                    try? await Task.sleep(nanoseconds: 1_000_000_000)
                }
                continue
            }
            await alarm.sleep(until: next, now: now)
        }
    }
}

/// The queue catalogue held in memory (the database stays the source of truth: every
/// change is written there first, then mirrored here).
final class QueueCache: @unchecked Sendable {
    private let lock = NSLock()
    private var queues: [QueueKey: QueueRecord] = [:]

    func get(_ key: QueueKey) -> QueueRecord? { lock.withLock { queues[key] } }
    func put(_ record: QueueRecord) { lock.withLock { queues[record.key] = record } }
    func remove(_ key: QueueKey) { lock.withLock { queues[key] = nil } }
    func all() -> [QueueRecord] { lock.withLock { Array(queues.values) } }
    func replaceAll(_ records: [QueueRecord]) {
        lock.withLock { queues = Dictionary(records.map { ($0.key, $0) }, uniquingKeysWith: { $1 }) }
    }
}

/// Amazon SQS's in-flight limit (about 120,000 messages per queue), checked at most once a
/// second per queue so receives stay cheap; the limit is approximate in SQS too.
final class InFlightGuard: @unchecked Sendable {
    private let lock = NSLock()
    private var known: [Int64: (checkedAt: Millis, count: Int)] = [:]

    /// The last count if it is fresh, nil when it is time to count again.
    func recent(_ queueId: Int64, now: Millis) -> Int? {
        lock.withLock {
            guard let entry = known[queueId], now - entry.checkedAt < 1000 else { return nil }
            return entry.count
        }
    }

    func record(_ queueId: Int64, count: Int, now: Millis) {
        lock.withLock { known[queueId] = (now, count) }
    }
}

/// Answers of recent FIFO receives by ReceiveRequestAttemptId (5 minutes).
final class ReceiveAttemptCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: (at: Millis, messages: [DeliveredMessage], handles: [ReceiptHandle])] = [:]

    func get(_ key: String, now: Millis) -> (messages: [DeliveredMessage], handles: [ReceiptHandle])? {
        lock.withLock {
            guard let entry = entries[key], now - entry.at < SQSLimits.deduplicationWindowMillis else { return nil }
            return (entry.messages, entry.handles)
        }
    }

    func put(_ key: String, messages: [DeliveredMessage], handles: [ReceiptHandle], now: Millis) {
        lock.withLock {
            if entries.count > 10_000 {
                entries = entries.filter { now - $0.value.at < SQSLimits.deduplicationWindowMillis }
            }
            entries[key] = (now, messages, handles)
        }
    }

    func clear() { lock.withLock { entries.removeAll() } }
}
