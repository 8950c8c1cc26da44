import SluiceCore

/// A topic as stored.
public struct TopicRecord: Sendable, Equatable {
    public let id: Int64
    public let account: String
    public let name: String
    /// Settable attributes as the API spells them (DisplayName, Policy, DeliveryPolicy, FifoTopic, ...).
    public var attributes: [String: String]
    public var tags: [String: String]
    public let createdAt: Millis

    public init(id: Int64, account: String, name: String, attributes: [String: String], tags: [String: String], createdAt: Millis) {
        self.id = id
        self.account = account
        self.name = name
        self.attributes = attributes
        self.tags = tags
        self.createdAt = createdAt
    }

    public var isFIFO: Bool { attributes["FifoTopic"] == "true" }
}

/// A subscription as stored.
public struct SubscriptionRecord: Sendable, Equatable {
    public let arn: String
    public let topicArn: String
    public let `protocol`: String
    public let endpoint: String
    public let owner: String
    /// Settable attributes (RawMessageDelivery, FilterPolicy, FilterPolicyScope, RedrivePolicy, DeliveryPolicy, ...).
    public var attributes: [String: String]
    public var pendingConfirmation: Bool
    public var token: String?
    public var confirmationWasAuthenticated: Bool
    public let createdAt: Millis

    public init(arn: String, topicArn: String, protocol: String, endpoint: String, owner: String, attributes: [String: String],
                pendingConfirmation: Bool, token: String?, confirmationWasAuthenticated: Bool, createdAt: Millis) {
        self.arn = arn
        self.topicArn = topicArn
        self.protocol = `protocol`
        self.endpoint = endpoint
        self.owner = owner
        self.attributes = attributes
        self.pendingConfirmation = pendingConfirmation
        self.token = token
        self.confirmationWasAuthenticated = confirmationWasAuthenticated
        self.createdAt = createdAt
    }
}

/// An HTTP(S) delivery waiting to be made (or retried).
public struct DeliveryRecord: Sendable, Equatable {
    public var id: Int64
    public var subscriptionArn: String
    /// Notification, SubscriptionConfirmation or UnsubscribeConfirmation.
    public var kind: String
    public var endpoint: String
    public var messageId: String
    public var body: String
    public var headers: [String: String]
    public var attempts: Int
    public var firstAt: Millis
    public var dueAt: Millis

    public init(id: Int64 = 0, subscriptionArn: String, kind: String, endpoint: String, messageId: String, body: String,
                headers: [String: String], attempts: Int = 0, firstAt: Millis, dueAt: Millis) {
        self.id = id
        self.subscriptionArn = subscriptionArn
        self.kind = kind
        self.endpoint = endpoint
        self.messageId = messageId
        self.body = body
        self.headers = headers
        self.attempts = attempts
        self.firstAt = firstAt
        self.dueAt = dueAt
    }
}

/// What one publish stores, built once the topic sequence number is known.
public struct PublishWrites: Sendable {
    public var queueCopies: [(queue: QueueRecord, message: NewMessage)]
    public var deliveries: [DeliveryRecord]
    /// Copies that could not be made (missing queue, invalid for it), and of those how many
    /// went to the subscription's dead-letter queue instead (included in `queueCopies`).
    public var failed: Int
    public var redriven: Int

    public init(queueCopies: [(queue: QueueRecord, message: NewMessage)] = [], deliveries: [DeliveryRecord] = [], failed: Int = 0, redriven: Int = 0) {
        self.queueCopies = queueCopies
        self.deliveries = deliveries
        self.failed = failed
        self.redriven = redriven
    }
}

/// One message to publish: dedup key (FIFO topics) and a builder of its copies.
public struct PublishItem: Sendable {
    public var messageId: String
    public var deduplicationKey: String?
    /// Builds the copies given the topic sequence number (FIFO envelopes carry it).
    public var build: @Sendable (_ sequence: Int64) -> PublishWrites

    public init(messageId: String, deduplicationKey: String?, build: @escaping @Sendable (Int64) -> PublishWrites) {
        self.messageId = messageId
        self.deduplicationKey = deduplicationKey
        self.build = build
    }
}

/// The copies one publish stored in one queue.
public struct QueueCopies: Sendable, Equatable {
    public var queue: QueueRecord
    public var outcomes: [SendOutcome]
}

/// What a publish did with one message.
public struct PublishOutcome: Sendable, Equatable {
    public var messageId: String
    public var sequence: Int64
    public var duplicate: Bool
    /// Queue copies stored, per queue id, for waking receivers.
    public var queueOutcomes: [Int64: QueueCopies]
    public var deliveriesQueued: Int
    public var failed: Int = 0
    public var redriven: Int = 0
}

/// The storage contract of the topic layer.
public protocol TopicStore: Sendable {
    func createTopic(account: String, name: String, attributes: [String: String], tags: [String: String], now: Millis) async throws -> (record: TopicRecord, created: Bool)
    func allTopics() async throws -> [TopicRecord]
    func updateTopic(_ topic: TopicRecord) async throws
    /// Deletes the topic, its subscriptions and their pending deliveries.
    func deleteTopic(_ topic: TopicRecord, arn: String) async throws

    func allSubscriptions() async throws -> [SubscriptionRecord]
    /// Inserts or replaces a subscription, and queues `deliveries` in the same commit.
    func saveSubscription(_ subscription: SubscriptionRecord, deliveries: [DeliveryRecord]) async throws
    /// Deletes a subscription and its pending notifications; queues `deliveries` in the same commit.
    func deleteSubscription(arn: String, deliveries: [DeliveryRecord]) async throws

    /// Publishes atomically: topic deduplication, sequence numbers, every queue copy and
    /// every pending HTTP delivery in one commit.
    func publish(topic: TopicRecord, items: [PublishItem], now: Millis) async throws -> [PublishOutcome]

    func nextDeliveryDue() async throws -> Millis?
    func dueDeliveries(now: Millis, limit: Int) async throws -> [DeliveryRecord]
    /// Removes a delivery (done or abandoned); optionally stores a dead-letter copy in the same commit.
    func finishDelivery(id: Int64, deadLetter: (queue: QueueRecord, message: NewMessage)?, now: Millis) async throws -> [SendOutcome]
    func rescheduleDelivery(id: Int64, attempts: Int, dueAt: Millis) async throws
    /// Pushes the due time of deliveries being attempted past the attempt (a lease: after a
    /// crash they are retried when it runs out).
    func lease(ids: [Int64], until: Millis) async throws
    func pendingDeliveryCount() async throws -> Int
}
