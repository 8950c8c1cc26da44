import Foundation
import Logging
import SluiceCore
import SluiceQueues
import SluiceStorage
import SluiceTopics

/// SQS event source mappings: their settings (stored, so they survive restarts) and the
/// pollers that feed each enabled one's function.
public final class EventSourceMappings: @unchecked Sendable {
    let host: FunctionHost
    let queues: QueueEngine
    let store: any FunctionStore
    let bus: EventBus
    let logger: Logger
    let clock: any SluiceClock

    private let lock = NSLock()
    private var mappings: [String: MappingConfig] = [:]
    private var runners: [String: MappingRunner] = [:]
    private var running = false

    public init(host: FunctionHost, queues: QueueEngine, store: any FunctionStore, bus: EventBus, logger: Logger, clock: any SluiceClock = SystemClock()) {
        self.host = host
        self.queues = queues
        self.store = store
        self.bus = bus
        self.logger = logger
        self.clock = clock
    }

    /// Loads the stored mappings (pollers start with ``resume()``).
    public func start() async throws {
        let loaded = try await store.documents(kind: "mapping").compactMap { try? JSONDecoder().decode(MappingConfig.self, from: Data($0.body.utf8)) }
        lock.withLock { for mapping in loaded { mappings[mapping.uuid] = mapping } }
    }

    /// Starts the pollers of enabled mappings.
    public func resume() {
        let all: [MappingConfig] = lock.withLock {
            running = true
            return Array(mappings.values)
        }
        for mapping in all { refresh(mapping.uuid) }
    }

    /// Stops every poller (messages they hold return after their visibility timeout).
    public func shutdown() {
        let all: [MappingRunner] = lock.withLock {
            running = false
            let all = Array(runners.values)
            runners.removeAll()
            return all
        }
        all.forEach { $0.stop() }
    }

    // MARK: API

    /// The queue an ARN names, or Lambda's error for a missing one.
    func queue(_ arn: String) throws(LambdaError) -> QueueRecord {
        guard ResourceName.parse(arn: arn, service: "sqs") != nil else {
            throw .invalid("Unrecognized event source, must be kinesis, dynamodb stream, sqs, msk or kafka.")
        }
        guard let record = queues.record(arn: arn) else {
            throw .invalid("Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does not exist.")
        }
        return record
    }

    public func create(_ proposed: MappingConfig) async throws(LambdaError) -> MappingConfig {
        var mapping = proposed
        let function = try host.lookup(mapping.functionName)
        mapping.functionName = function.name
        let record = try queue(mapping.eventSourceArn)
        try mapping.validate(fifo: record.settings.fifoQueue)
        if let existing = lock.withLock({ mappings.values.first { $0.eventSourceArn == mapping.eventSourceArn && $0.functionName == mapping.functionName } }) {
            throw .conflict("An event source mapping with SQS arn (\" \(mapping.eventSourceArn) \") and function (\" \(function.name) \") already exists. Please update or delete the existing mapping with UUID \(existing.uuid)")
        }
        try await save(mapping)
        refresh(mapping.uuid)
        logger.info("event source mapping \(mapping.uuid): \(mapping.eventSourceArn) -> function \(mapping.functionName) (batch \(mapping.batchSize))")
        return mapping
    }

    /// Creates the mapping of a config file, or updates the one it created before.
    public func declare(_ proposed: MappingConfig) async throws(LambdaError) {
        let existing = lock.withLock { mappings.values.first { $0.eventSourceArn == proposed.eventSourceArn && $0.functionName == proposed.functionName } }
        guard let existing else {
            _ = try await create(proposed)
            return
        }
        var mapping = proposed
        mapping.uuid = existing.uuid
        mapping.lastModified = existing.lastModified
        if mapping != existing {
            mapping.lastModified = clock.now()
            try mapping.validate(fifo: try queue(mapping.eventSourceArn).settings.fifoQueue)
            try await save(mapping)
            refresh(mapping.uuid)
        }
    }

    /// Deletes the mappings an earlier config file declared and this one no longer does.
    public func retainDeclared(_ declared: Set<String>) async {
        let stale = lock.withLock {
            mappings.values.filter { $0.origin == "config" && !declared.contains(Self.identity($0)) }.map(\.uuid)
        }
        for uuid in stale {
            if (try? await delete(uuid)) != nil { logger.info("event source mapping \(uuid) is no longer in the config file: deleted") }
        }
    }

    /// What identifies a mapping declared in the config file: its queue and function.
    public static func identity(_ mapping: MappingConfig) -> String { "\(mapping.eventSourceArn) \(mapping.functionName)" }

    public func get(_ uuid: String) throws(LambdaError) -> MappingConfig {
        guard let mapping = lock.withLock({ mappings[uuid] }) else {
            throw .notFound("The resource you requested does not exist. (Service: Lambda, Status Code: 404, Request ID: \(Identifiers.uuid()))")
        }
        return mapping
    }

    public func list(functionName: String?, eventSourceArn: String?) throws(LambdaError) -> [MappingConfig] {
        let name = try functionName.map { text throws(LambdaError) in try host.resolveName(text).name }
        return lock.withLock { Array(mappings.values) }
            .filter { name == nil || $0.functionName == name }
            .filter { eventSourceArn == nil || $0.eventSourceArn == eventSourceArn }
            .sorted { ($0.lastModified, $0.uuid) < ($1.lastModified, $1.uuid) }
    }

    public func update(_ uuid: String, _ change: (inout MappingConfig) throws(LambdaError) -> Void) async throws(LambdaError) -> (before: MappingConfig, after: MappingConfig) {
        let before = try get(uuid)
        var after = before
        try change(&after)
        after.functionName = try host.lookup(after.functionName).name
        try after.validate(fifo: try queue(after.eventSourceArn).settings.fifoQueue)
        after.lastModified = clock.now()
        try await save(after)
        refresh(uuid)
        return (before, after)
    }

    public func delete(_ uuid: String) async throws(LambdaError) -> MappingConfig {
        let mapping = try get(uuid)
        do {
            try await store.deleteDocument(kind: "mapping", key: uuid)
        } catch {
            throw .service("cannot delete the mapping: \(error)")
        }
        let runner: MappingRunner? = lock.withLock {
            mappings[uuid] = nil
            return runners.removeValue(forKey: uuid)
        }
        runner?.stop()
        logger.info("event source mapping \(uuid) deleted")
        return mapping
    }

    /// Drops the mappings of a deleted function.
    public func removeAll(function name: String) async {
        let doomed = lock.withLock { mappings.values.filter { $0.functionName == name }.map(\.uuid) }
        for uuid in doomed { _ = try? await delete(uuid) }
    }

    /// Development reset: forgets every mapping (the config file's are declared again).
    public func reset() {
        let all: [MappingRunner] = lock.withLock {
            mappings.removeAll()
            let all = Array(runners.values)
            runners.removeAll()
            return all
        }
        all.forEach { $0.stop() }
    }

    private func save(_ mapping: MappingConfig) async throws(LambdaError) {
        do {
            let body = String(decoding: try JSONEncoder().encode(mapping), as: UTF8.self)
            try await store.putDocument(kind: "mapping", key: mapping.uuid, body: body)
        } catch {
            throw .service("cannot store the mapping: \(error)")
        }
        lock.withLock { mappings[mapping.uuid] = mapping }
    }

    /// Restarts the mapping's pollers with its current settings (none when disabled).
    private func refresh(_ uuid: String) {
        var old: MappingRunner?
        var new: MappingRunner?
        lock.withLock {
            old = runners.removeValue(forKey: uuid)
            if running, let mapping = mappings[uuid], mapping.enabled {
                let runner = MappingRunner(mapping: mapping, host: host, queues: queues, bus: bus, logger: logger, clock: clock)
                runners[uuid] = runner
                new = runner
            }
        }
        old?.stop()
        new?.start()
    }

    /// The mapping's state as the API reports it after a change settled.
    public func state(_ mapping: MappingConfig) -> String { mapping.enabled ? "Enabled" : "Disabled" }

    public func json(_ mapping: MappingConfig, state: String? = nil) -> String {
        mapping.json(region: host.region, account: host.account, functionArn: host.arn(mapping.functionName), state: state ?? self.state(mapping))
    }
}
