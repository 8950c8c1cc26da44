import Foundation
import Logging
import SluiceCore
import SluiceQueues
import SluiceTopics

/// The pollers of one enabled SQS event source mapping, with Lambda's semantics: gather a
/// batch (size, window, 6 MB), drop what the filters reject, invoke, then delete what
/// succeeded. Failed messages return after the queue's visibility timeout, and the queue's
/// RedrivePolicy moves them to its dead-letter queue.
///
/// An idle poller sleeps inside the queue engine until a send (or a message becoming
/// visible) wakes it: no polling work when nothing arrives.
final class MappingRunner: @unchecked Sendable {
    let mapping: MappingConfig
    let host: FunctionHost
    let queues: QueueEngine
    let bus: EventBus
    let logger: Logger
    let clock: any SluiceClock
    let filters: [FilterPolicy]
    /// At most MaximumConcurrency (or the function's concurrency) invocations at once.
    let gate: ConcurrencyGate
    /// One poller gathers at a time, so a batching window fills one batch instead of
    /// spreading the messages over every poller.
    let gathering = ConcurrencyGate(limit: 1)
    let pollers: Int
    private var task: Task<Void, Never>?
    private let lock = NSLock()

    static let maxPayloadBytes = 6 * 1024 * 1024

    init(mapping: MappingConfig, host: FunctionHost, queues: QueueEngine, bus: EventBus, logger: Logger, clock: any SluiceClock) {
        self.mapping = mapping
        self.host = host
        self.queues = queues
        self.bus = bus
        self.logger = logger
        self.clock = clock
        self.filters = mapping.filters.compactMap { try? FilterPolicy(json: $0, scope: .messageBody) }
        let functionConcurrency = host.definition(mapping.functionName)?.concurrency ?? FunctionDefinition.defaultConcurrency
        let limit = min(mapping.maximumConcurrency ?? functionConcurrency, functionConcurrency)
        gate = ConcurrencyGate(limit: limit)
        // One poller more than may invoke: the next batch is gathered while one runs.
        pollers = limit + 1
    }

    private var stopped = false

    func start() {
        lock.withLock {
            // A stop that came first wins: a stopped runner never starts.
            guard !stopped, task == nil else { return }
            task = Task.detached { [self] in
                await withTaskGroup(of: Void.self) { group in
                    for _ in 0..<pollers { group.addTask { await self.poll() } }
                }
            }
        }
    }

    func stop() {
        lock.withLock {
            stopped = true
            return task
        }?.cancel()
    }

    private var queueKey: QueueKey? {
        ResourceName.parse(arn: mapping.eventSourceArn, service: "sqs").map { QueueKey(account: $0.account, name: $0.name) }
    }

    private func poll() async {
        guard let key = queueKey else { return }
        var failures = 0
        while !Task.isCancelled {
            // Receive nothing for a function that is not there: the messages stay visible.
            guard host.definition(mapping.functionName) != nil else {
                try? await Task.sleep(nanoseconds: 1_000_000_000)
                continue
            }
            do {
                _ = await gathering.acquire()
                let gathered: Result<[DeliveredMessage], QueueError>
                do {
                    gathered = .success(try await gather(key))
                } catch {
                    gathered = .failure(error)
                }
                gathering.release()
                let batch = try gathered.get()
                if batch.isEmpty {
                    // Only after a shutdown or cancellation; don't spin.
                    try? await Task.sleep(nanoseconds: 50_000_000)
                    continue
                }
                if await process(batch, key: key) { failures = 0 } else { failures += 1 }
            } catch {
                failures += 1
                logger.warning("event source mapping \(mapping.uuid): \(error.message); retrying")
                try? await Task.sleep(nanoseconds: UInt64(min(10, failures)) * 1_000_000_000)
            }
        }
    }

    /// Waits for a first message, then fills the batch until BatchSize, the batching
    /// window or the payload limit.
    private func gather(_ key: QueueKey) async throws(QueueError) -> [DeliveredMessage] {
        var batch = try await queues.receiveForMapping(key, max: min(10, mapping.batchSize), deadline: nil)
        guard !batch.isEmpty, batch.count < mapping.batchSize, mapping.batchingWindowSeconds > 0 else { return batch }
        let until = clock.now() + Millis(mapping.batchingWindowSeconds) * 1000
        var bytes = batch.reduce(0) { $0 + $1.body.utf8.count + 1024 }
        while batch.count < mapping.batchSize, clock.now() < until, bytes < Self.maxPayloadBytes, !Task.isCancelled {
            let more = try await queues.receiveForMapping(key, max: min(10, mapping.batchSize - batch.count), deadline: until)
            if more.isEmpty { break }
            batch += more
            bytes += more.reduce(0) { $0 + $1.body.utf8.count + 1024 }
        }
        return batch
    }

    /// Runs one batch; returns false when the function failed.
    private func process(_ received: [DeliveredMessage], key: QueueKey) async -> Bool {
        let region = host.region
        var batch = received
        if !filters.isEmpty {
            var dropped = [String]()
            batch = received.filter { message in
                let document = SQSEvent.record(message, queueArn: mapping.eventSourceArn, region: region, parsedBody: true)
                let keep = filters.contains { $0.matches(body: document).isMatched }
                if !keep { dropped.append(message.receiptHandle) }
                return keep
            }
            if !dropped.isEmpty {
                _ = try? await queues.deleteForMapping(key, receiptHandles: dropped)
            }
            if batch.isEmpty { return true }
        }
        guard let hosted = host.hosted(mapping.functionName) else {
            logger.warning("event source mapping \(mapping.uuid): function \(mapping.functionName) does not exist")
            try? await Task.sleep(nanoseconds: 1_000_000_000)
            return false
        }
        var ok = true
        for chunk in Self.chunks(batch, queueArn: mapping.eventSourceArn, region: region) {
            _ = await gate.acquire()
            let outcome = await host.run(hosted, payload: Array(SQSEvent.event(chunk.records).utf8), clientContext: nil, source: "SQS")
            gate.release()
            let done = Self.succeeded(chunk.messages, outcome.result, fifo: key.isFIFO, reportsFailures: mapping.reportBatchItemFailures)
            if done.count < chunk.messages.count { ok = false }
            if !done.isEmpty {
                do {
                    _ = try await queues.deleteForMapping(key, receiptHandles: done.map(\.receiptHandle))
                } catch {
                    logger.warning("event source mapping \(mapping.uuid): cannot delete processed messages: \(error.message)")
                }
            }
        }
        return ok
    }

    /// The messages of a batch that are done, by the function's result.
    static func succeeded(_ messages: [DeliveredMessage], _ result: InvocationResult, fifo: Bool, reportsFailures: Bool) -> [DeliveredMessage] {
        guard case .success(let response) = result else { return [] }
        guard reportsFailures else { return messages }
        guard let failed = SQSEvent.failedItems(response, batchIds: Set(messages.map(\.messageId))) else { return [] }
        if failed.isEmpty { return messages }
        guard fifo else { return messages.filter { !failed.contains($0.messageId) } }
        // FIFO: a group stops at its first failure; its later messages return too.
        var stoppedGroups = Set<String>()
        return messages.filter { message in
            let group = message.attributes["MessageGroupId"] ?? ""
            if stoppedGroups.contains(group) { return false }
            if failed.contains(message.messageId) {
                stoppedGroups.insert(group)
                return false
            }
            return true
        }
    }

    /// Splits a batch so each invocation's payload stays under 6 MB.
    static func chunks(_ messages: [DeliveredMessage], queueArn: String, region: String) -> [(messages: [DeliveredMessage], records: [String])] {
        var out: [(messages: [DeliveredMessage], records: [String])] = []
        var current: (messages: [DeliveredMessage], records: [String]) = ([], [])
        var bytes = 16
        for message in messages {
            let record = SQSEvent.record(message, queueArn: queueArn, region: region)
            if !current.records.isEmpty && bytes + record.utf8.count + 1 > maxPayloadBytes {
                out.append(current)
                current = ([], [])
                bytes = 16
            }
            current.messages.append(message)
            current.records.append(record)
            bytes += record.utf8.count + 1
        }
        if !current.records.isEmpty { out.append(current) }
        return out
    }
}
