import SluiceCore
import SluiceStorage

/// How the topic layer reaches the queue engine without importing it: the composition root
/// binds this to the real engine.
public protocol QueueSink: Sendable {
    /// The queue with this ARN, if it exists.
    func queueRecord(arn: String) -> QueueRecord?
    /// Validates and shapes one copy for `queue` as SendMessage would (size, FIFO rules).
    func prepareCopy(_ queue: QueueRecord, body: String, attributes: MessageAttributes, groupId: String?,
                     deduplicationId: String?) throws(QueueError) -> NewMessage
    /// Called after copies for `queue` are committed (wakes receivers).
    func stored(_ queue: QueueRecord, _ outcomes: [SendOutcome])
}

/// Makes HTTP(S) deliveries.
public protocol EndpointClient: Sendable {
    /// POSTs `body` and returns the response status; throws when no response came.
    func post(url: String, body: String, headers: [String: String], timeoutSeconds: Double) async throws -> Int
}

/// Signs SNS messages and names the certificate that verifies them.
public protocol MessageSigner: Sendable {
    /// Base64 RSA signature of `text`: SHA1 for SignatureVersion 1, SHA256 for 2.
    func sign(_ text: String, version: String) -> String
    /// Path (on sluice's own port) of the PEM certificate.
    var certificatePath: String { get }
}

/// Counts the topic layer reports (CloudWatch's AWS/SNS metrics).
public protocol TopicObserver: Sendable {
    func published(topicArn: String, bytes: Int)
    func delivered(topicArn: String)
    func failed(topicArn: String)
    func filteredOut(topicArn: String, reason: FilterOutcome)
    func redrivenToDeadLetter(topicArn: String, succeeded: Bool)
    /// The topic was deleted: stop reporting it.
    func removed(topicArn: String)
}

/// Reports to several observers.
public struct TopicObservers: TopicObserver {
    let all: [any TopicObserver]
    public init(_ all: [any TopicObserver]) { self.all = all }
    public func published(topicArn: String, bytes: Int) { for o in all { o.published(topicArn: topicArn, bytes: bytes) } }
    public func delivered(topicArn: String) { for o in all { o.delivered(topicArn: topicArn) } }
    public func failed(topicArn: String) { for o in all { o.failed(topicArn: topicArn) } }
    public func filteredOut(topicArn: String, reason: FilterOutcome) { for o in all { o.filteredOut(topicArn: topicArn, reason: reason) } }
    public func redrivenToDeadLetter(topicArn: String, succeeded: Bool) { for o in all { o.redrivenToDeadLetter(topicArn: topicArn, succeeded: succeeded) } }
    public func removed(topicArn: String) { for o in all { o.removed(topicArn: topicArn) } }
}

/// An observer that ignores everything.
public struct NoTopicObserver: TopicObserver {
    public init() {}
    public func published(topicArn: String, bytes: Int) {}
    public func delivered(topicArn: String) {}
    public func failed(topicArn: String) {}
    public func filteredOut(topicArn: String, reason: FilterOutcome) {}
    public func redrivenToDeadLetter(topicArn: String, succeeded: Bool) {}
    public func removed(topicArn: String) {}
}

/// How the topic layer hands notifications to functions (`lambda` subscriptions) without
/// importing the functions layer: an asynchronous invocation, retried by the functions
/// layer, whose payload ends in `deadLetterArn` when every attempt failed.
public protocol FunctionGateway: Sendable {
    /// Whether a function with this ARN exists.
    func functionExists(arn: String) -> Bool
    /// Queues an asynchronous invocation durably; false when the function does not exist
    /// (not worth retrying), throws when it could not be stored (worth retrying).
    func enqueueEvent(functionArn: String, payload: String, deadLetterArn: String?, deadLetterBody: String) async throws -> Bool
}
