import SluiceCore

/// A queue as stored.
public struct QueueRecord: Sendable, Equatable {
    public let id: Int64
    public let key: QueueKey
    public var settings: QueueSettings
    public var tags: [String: String]
    public let createdAt: Millis
    public var modifiedAt: Millis

    public init(id: Int64, key: QueueKey, settings: QueueSettings, tags: [String: String], createdAt: Millis, modifiedAt: Millis) {
        self.id = id
        self.key = key
        self.settings = settings
        self.tags = tags
        self.createdAt = createdAt
        self.modifiedAt = modifiedAt
    }
}

/// A message to store, validated by the engine.
public struct NewMessage: Sendable {
    public var messageId: String
    public var body: String
    public var bodyMD5: String
    public var attributes: MessageAttributes
    /// Delay in seconds; already resolved against the queue default.
    public var delaySeconds: Int
    public var groupId: String?
    public var deduplicationId: String?
    /// The dedup key (scope applied); nil for no deduplication.
    public var deduplicationKey: String?
    public var traceHeader: String?
    public var senderId: String

    public init(messageId: String, body: String, bodyMD5: String, attributes: MessageAttributes, delaySeconds: Int,
                groupId: String?, deduplicationId: String?, deduplicationKey: String?, traceHeader: String?, senderId: String) {
        self.messageId = messageId
        self.body = body
        self.bodyMD5 = bodyMD5
        self.attributes = attributes
        self.delaySeconds = delaySeconds
        self.groupId = groupId
        self.deduplicationId = deduplicationId
        self.deduplicationKey = deduplicationKey
        self.traceHeader = traceHeader
        self.senderId = senderId
    }
}

/// What a send did with one message.
public struct SendOutcome: Sendable, Equatable {
    public let messageId: String
    /// Per-queue sequence (FIFO SequenceNumber).
    public let sequence: Int64
    /// True when deduplication dropped the message.
    public let duplicate: Bool
    /// When the message becomes visible (for waking waiters and timers).
    public let visibleAt: Millis
    public let expiresAt: Millis
    /// Bytes the message counts (body and attributes), for SentMessageSize.
    public let bytes: Int

    public init(messageId: String, sequence: Int64, duplicate: Bool, visibleAt: Millis, expiresAt: Millis, bytes: Int = 0) {
        self.messageId = messageId
        self.sequence = sequence
        self.duplicate = duplicate
        self.visibleAt = visibleAt
        self.expiresAt = expiresAt
        self.bytes = bytes
    }
}

/// A message handed out by a receive.
public struct ReceivedMessage: Sendable, Equatable {
    public let sequence: Int64
    public let messageId: String
    public let receipt: ReceiptHandle
    public let body: String
    public let bodyMD5: String
    public let attributes: MessageAttributes
    public let sentAt: Millis
    public let receiveCount: Int
    public let firstReceiveAt: Millis
    public let groupId: String?
    public let deduplicationId: String?
    public let traceHeader: String?
    public let senderId: String
    public let deadLetterSourceArn: String?

    public init(sequence: Int64, messageId: String, receipt: ReceiptHandle, body: String, bodyMD5: String,
                attributes: MessageAttributes, sentAt: Millis, receiveCount: Int, firstReceiveAt: Millis,
                groupId: String?, deduplicationId: String?, traceHeader: String?, senderId: String, deadLetterSourceArn: String?) {
        self.sequence = sequence
        self.messageId = messageId
        self.receipt = receipt
        self.body = body
        self.bodyMD5 = bodyMD5
        self.attributes = attributes
        self.sentAt = sentAt
        self.receiveCount = receiveCount
        self.firstReceiveAt = firstReceiveAt
        self.groupId = groupId
        self.deduplicationId = deduplicationId
        self.traceHeader = traceHeader
        self.senderId = senderId
        self.deadLetterSourceArn = deadLetterSourceArn
    }
}

/// The outcome of one receive transaction.
public struct ReceiveOutcome: Sendable {
    public var messages: [ReceivedMessage]
    /// Messages moved to the dead-letter queue by this receive.
    public var deadLettered: Int
    /// When the next message not yet receivable becomes receivable, if any: long pollers sleep until then.
    public var nextVisibleAt: Millis?

    public init(messages: [ReceivedMessage], deadLettered: Int, nextVisibleAt: Millis?) {
        self.messages = messages
        self.deadLettered = deadLettered
        self.nextVisibleAt = nextVisibleAt
    }
}

/// Exact counts of a queue's messages at one instant.
public struct QueueCounts: Sendable, Equatable {
    public var visible: Int
    public var notVisible: Int
    public var delayed: Int

    /// When the oldest message was sent (nil when the queue is empty).
    public var oldestSentAt: Millis?
    /// FIFO: groups with at least one message in flight.
    public var groupsInFlight: Int

    public init(visible: Int = 0, notVisible: Int = 0, delayed: Int = 0, oldestSentAt: Millis? = nil, groupsInFlight: Int = 0) {
        self.visible = visible
        self.notVisible = notVisible
        self.delayed = delayed
        self.oldestSentAt = oldestSentAt
        self.groupsInFlight = groupsInFlight
    }
}

/// A dead-letter queue redrive (message move task).
public struct MoveTask: Sendable, Equatable {
    public enum Status: String, Sendable {
        case running = "RUNNING", completed = "COMPLETED", cancelling = "CANCELLING", cancelled = "CANCELLED", failed = "FAILED"
    }

    public var handle: String
    public var sourceArn: String
    public var destinationArn: String?
    public var maxPerSecond: Int?
    public var status: Status
    public var moved: Int
    public var toMove: Int
    public var failureReason: String?
    public var startedAt: Millis

    public init(handle: String, sourceArn: String, destinationArn: String?, maxPerSecond: Int?, status: Status,
                moved: Int, toMove: Int, failureReason: String?, startedAt: Millis) {
        self.handle = handle
        self.sourceArn = sourceArn
        self.destinationArn = destinationArn
        self.maxPerSecond = maxPerSecond
        self.status = status
        self.moved = moved
        self.toMove = toMove
        self.failureReason = failureReason
        self.startedAt = startedAt
    }
}

/// Per-entry result of batch operations on receipt handles.
public typealias EntryResult = Result<Void, QueueError>

/// The storage contract of the queue engine. Each method is one durable transaction: when it
/// returns, its effect is on disk. Backends: ``SQLiteQueueStore``.
public protocol QueueStore: Sendable {
    /// Creates the queue, or returns the existing one (`created == false`).
    func createQueue(key: QueueKey, settings: QueueSettings, tags: [String: String], now: Millis) async throws -> (record: QueueRecord, created: Bool)
    func queue(_ key: QueueKey) async throws -> QueueRecord?
    func queue(id: Int64) async throws -> QueueRecord?
    func allQueues() async throws -> [QueueRecord]
    func deleteQueue(_ queue: QueueRecord, now: Millis) async throws
    /// Replaces settings and tags of a queue.
    func updateQueue(_ queue: QueueRecord) async throws
    func counts(_ queue: QueueRecord, now: Millis) async throws -> QueueCounts
    /// Messages of the queue in flight now.
    func inFlightCount(_ queue: QueueRecord, now: Millis) async throws -> Int
    /// Counts of every queue at once, read without holding up writers (metrics scrapes).
    func countsByQueue(now: Millis) async throws -> [Int64: QueueCounts]
    /// Bytes the store occupies on disk.
    func sizeOnDisk() -> Int64
    /// Commits made and jobs they carried (group commit efficiency).
    func commitStatistics() -> (commits: Int, jobs: Int)

    func send(_ queue: QueueRecord, _ messages: [NewMessage], now: Millis) async throws -> [SendOutcome]
    /// Receives up to `max` messages, moving those past the redrive limit to `deadLetter`.
    func receive(_ queue: QueueRecord, deadLetter: QueueRecord?, max: Int, visibilityTimeout: Int, now: Millis) async throws -> ReceiveOutcome
    func delete(_ queue: QueueRecord, _ handles: [ReceiptHandle], now: Millis) async throws -> [EntryResult]
    func changeVisibility(_ queue: QueueRecord, _ changes: [(ReceiptHandle, Int)], now: Millis) async throws -> [EntryResult]
    /// Deletes every message; throws purgeQueueInProgress within 60 s of the last purge.
    func purge(_ queue: QueueRecord, now: Millis) async throws

    /// The earliest time something (message or dedup entry) expires.
    func nextExpiry() async throws -> Millis?
    /// Removes up to `limit` expired messages and dedup entries; returns how many.
    func reapExpired(now: Millis, limit: Int) async throws -> Int

    func saveMoveTask(_ task: MoveTask) async throws
    func moveTasks(sourceArn: String?) async throws -> [MoveTask]
    /// Moves up to `limit` messages out of `source`: to `destination`, or to each message's
    /// dead-letter source queue when nil. Returns how many moved and the failure, if any.
    func moveMessages(from source: QueueRecord, to destination: QueueRecord?, limit: Int, now: Millis) async throws -> (moved: Int, failure: String?)

    /// Deletes everything (development reset).
    func reset() async throws
    func close() async
}
