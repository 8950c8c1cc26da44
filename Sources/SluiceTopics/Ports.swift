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
