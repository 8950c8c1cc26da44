import Foundation
import Logging
@testable import SluiceCore
@testable import SluiceQueues
@testable import SluiceStorage

/// A queue engine on a fresh SQLite file and a manual clock.
struct EngineHarness {
    let directory: String
    let clock: ManualClock
    let store: SQLiteQueueStore
    let engine: QueueEngine

    init(directory: String? = nil, clock: ManualClock = ManualClock(), maxInFlight: Int = SQSLimits.maxInflightStandard) async throws {
        let directory = directory ?? NSTemporaryDirectory() + "sluice-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.directory = directory
        self.clock = clock
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        store = try SQLiteQueueStore(path: directory + "/sluice.db", durability: .relaxed, region: "us-east-1", logger: logger)
        engine = QueueEngine(store: store, clock: clock, region: "us-east-1", account: "000000000000", logger: logger, maxInFlight: maxInFlight)
        try await engine.start()
    }

    /// Closes and reopens the same database (a restart).
    func reopened() async throws -> EngineHarness {
        await store.close()
        return try await EngineHarness(directory: directory, clock: clock)
    }

    func queue(_ name: String, _ attributes: [String: String] = [:]) async throws -> QueueKey {
        try await engine.createQueue(account: nil, name: name, attributes: attributes, tags: [:]).key
    }

    @discardableResult
    func send(_ key: QueueKey, _ body: String, group: String? = nil, dedup: String? = nil, delay: Int? = nil) async throws -> SendResult {
        try await engine.sendMessage(key, SendRequest(body: body, delaySeconds: delay, deduplicationId: dedup, groupId: group), senderId: "000000000000")
    }

    func receive(_ key: QueueKey, max: Int = 10, visibility: Int? = nil) async throws -> [DeliveredMessage] {
        try await engine.receiveMessage(key, ReceiveRequest(maxNumberOfMessages: max, visibilityTimeout: visibility, waitTimeSeconds: 0,
                                                            systemAttributeNames: ["All"], messageAttributeNames: ["All"]))
    }

    func bodies(_ key: QueueKey, max: Int = 10, visibility: Int? = nil) async throws -> [String] {
        try await receive(key, max: max, visibility: visibility).map(\.body)
    }
}
