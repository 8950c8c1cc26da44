import Foundation
import Logging
import SluiceCore
import SluiceStorage

/// The SNS topic layer: topics, subscriptions with parsed filter policies, publishing into
/// the queue engine (through ``QueueSink``) in the publish's own commit, and HTTP(S) delivery
/// with retries. It knows nothing of the wire.
public final class TopicEngine: Sendable {
    public let region: String
    public let defaultAccount: String
    let store: any TopicStore
    let sink: any QueueSink
    let client: any EndpointClient
    let signer: any MessageSigner
    let observer: any TopicObserver
    /// Where `lambda` subscriptions deliver; nil when functions are not available.
    let functions: (any FunctionGateway)?
    let clock: any SluiceClock
    let logger: Logger
    let catalog = TopicCatalog()
    let deliveryAlarm = WakeAlarm()
    let throttle = ThrottleBook()

    public init(store: any TopicStore, sink: any QueueSink, client: any EndpointClient, signer: any MessageSigner,
                observer: any TopicObserver = NoTopicObserver(), functions: (any FunctionGateway)? = nil,
                clock: any SluiceClock = SystemClock(), region: String, account: String, logger: Logger) {
        self.functions = functions
        self.store = store
        self.sink = sink
        self.client = client
        self.signer = signer
        self.observer = observer
        self.clock = clock
        self.region = region
        self.defaultAccount = account
        self.logger = logger
    }

    /// Loads topics and subscriptions into memory. Call once before serving.
    public func start() async throws {
        let topics = try await store.allTopics()
        let subscriptions = try await store.allSubscriptions()
        catalog.load(topics: topics.map { (arn(of: $0), $0) }, subscriptions: subscriptions.map { Subscription(record: $0) })
    }

    /// Background work: HTTP(S) deliveries. Returns when cancelled.
    public func run() async {
        await runDeliveries()
    }

    public func shutdown() {
        deliveryAlarm.poke()
    }

    /// Every topic's ARN.
    public var topicArns: [String] { catalog.allTopicArns() }

    func arn(of topic: TopicRecord) -> String { "arn:aws:sns:\(region):\(topic.account):\(topic.name)" }

    /// Resolves a topic ARN parameter as SNS does: missing, malformed, other region, unknown.
    func topic(arn: String?, parameter: String = "TopicArn") throws(TopicError) -> (arn: String, record: TopicRecord) {
        guard let arn, !arn.isEmpty else { throw TopicError.invalid("\(parameter) Reason: no value for required parameter") }
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 6 else { throw TopicError.invalid("\(parameter) Reason: An ARN must have at least 6 elements, not \(parts.count)") }
        guard parts[0] == "arn", parts[2] == "sns", parts[3] == region else { throw TopicError.invalid(parameter) }
        guard let record = catalog.topic(arn) else { throw TopicError.topicNotFound }
        return (arn, record)
    }

    func storing<T>(_ what: String, _ body: () async throws -> T) async throws(TopicError) -> T {
        do {
            return try await body()
        } catch let error as TopicError {
            throw error
        } catch {
            logger.error("storage failure during \(what): \(error)")
            throw TopicError(.internalError, "Internal Error")
        }
    }

    /// Empties the in-memory catalogue (after the store was reset).
    public func resetCatalog() {
        catalog.load(topics: [], subscriptions: [])
    }
}

/// A subscription with its parsed policies.
struct Subscription: Sendable {
    var record: SubscriptionRecord
    var filter: FilterPolicy?
    /// A stored policy that no longer parses admits nothing (rather than everything).
    var filterUnusable = false
    var deliveryPolicy: DeliveryPolicy?
    /// The RedrivePolicy's dead-letter queue ARN, if any.
    var deadLetterArn: String?

    init(record: SubscriptionRecord) {
        self.record = record
        deadLetterArn = record.attributes["RedrivePolicy"].flatMap { text in
            ((try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any])?["deadLetterTargetArn"] as? String
        }
        let scope = FilterPolicyScope(rawValue: record.attributes["FilterPolicyScope"] ?? "MessageAttributes") ?? .messageAttributes
        if let text = record.attributes["FilterPolicy"] {
            do {
                filter = try FilterPolicy(json: text, scope: scope)
            } catch {
                filterUnusable = true
            }
        }
        deliveryPolicy = record.attributes["DeliveryPolicy"].flatMap { try? DeliveryPolicy(subscriptionJSON: $0) }
    }

    var raw: Bool { record.attributes["RawMessageDelivery"] == "true" }
}

/// Topics and subscriptions held in memory; the database is written first, then this.
final class TopicCatalog: @unchecked Sendable {
    private let lock = NSLock()
    private var topics: [String: TopicRecord] = [:]
    private var subscriptions: [String: Subscription] = [:]
    private var byTopic: [String: [String]] = [:]
    private var deleted: [String: Int] = [:]

    func load(topics: [(String, TopicRecord)], subscriptions: [Subscription]) {
        lock.withLock {
            self.topics = Dictionary(topics, uniquingKeysWith: { $1 })
            self.subscriptions = [:]
            byTopic = [:]
            deleted = [:]
            for subscription in subscriptions { insert(subscription) }
        }
    }

    private func insert(_ subscription: Subscription) {
        if subscriptions[subscription.record.arn] == nil {
            byTopic[subscription.record.topicArn, default: []].append(subscription.record.arn)
        }
        subscriptions[subscription.record.arn] = subscription
    }

    func topic(_ arn: String) -> TopicRecord? { lock.withLock { topics[arn] } }
    func putTopic(_ arn: String, _ record: TopicRecord) { lock.withLock { topics[arn] = record } }
    func allTopicArns() -> [String] { lock.withLock { topics.keys.sorted() } }

    func removeTopic(_ arn: String) {
        lock.withLock {
            topics[arn] = nil
            for subscriptionArn in byTopic[arn] ?? [] { subscriptions[subscriptionArn] = nil }
            byTopic[arn] = nil
            deleted[arn] = nil
        }
    }

    func subscription(_ arn: String) -> Subscription? { lock.withLock { subscriptions[arn] } }
    func putSubscription(_ subscription: Subscription) { lock.withLock { insert(subscription) } }

    func removeSubscription(_ arn: String) {
        lock.withLock {
            guard let subscription = subscriptions.removeValue(forKey: arn) else { return }
            byTopic[subscription.record.topicArn]?.removeAll { $0 == arn }
            deleted[subscription.record.topicArn, default: 0] += 1
        }
    }

    func subscriptions(of topicArn: String) -> [Subscription] {
        lock.withLock { (byTopic[topicArn] ?? []).compactMap { subscriptions[$0] } }
    }

    func allSubscriptions() -> [Subscription] {
        lock.withLock { subscriptions.values.sorted { ($0.record.createdAt, $0.record.arn) < ($1.record.createdAt, $1.record.arn) } }
    }

    func deletedCount(_ topicArn: String) -> Int { lock.withLock { deleted[topicArn] ?? 0 } }
}

/// Per-subscription throttles (DeliveryPolicy throttlePolicy.maxReceivesPerSecond).
final class ThrottleBook: @unchecked Sendable {
    private let lock = NSLock()
    private var nextAllowed: [String: Millis] = [:]

    /// Takes the subscription's next slot if it has come (returns `now`); otherwise returns
    /// when it comes, without taking it, so the delivery can try again then.
    func reserve(_ subscriptionArn: String, perSecond: Int?, now: Millis) -> Millis {
        guard let perSecond, perSecond > 0 else { return now }
        return lock.withLock {
            let next = nextAllowed[subscriptionArn] ?? now
            guard now >= next else { return next }
            nextAllowed[subscriptionArn] = now + max(1, 1000 / Millis(perSecond))
            return now
        }
    }
}
