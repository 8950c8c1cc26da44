import SluiceStorage

/// What the queue engine reports as it works (CloudWatch's AWS/SQS counters). Called on the
/// request path: implementations must be cheap.
public protocol QueueObserver: Sendable {
    /// Messages committed to `queue` by a send (duplicates included, marked).
    func sent(_ queue: QueueRecord, _ outcomes: [SendOutcome])
    /// A ReceiveMessage call's answer: `count` messages (0 for an empty receive).
    func received(_ queue: QueueRecord, count: Int)
    /// Successful deletes (a repeated delete of the same message counts, as in CloudWatch).
    func deleted(_ queue: QueueRecord, count: Int)
    /// The queue was deleted: stop reporting it.
    func removed(_ queue: QueueRecord)
}

/// An observer that ignores everything.
public struct NoQueueObserver: QueueObserver {
    public init() {}
    public func sent(_ queue: QueueRecord, _ outcomes: [SendOutcome]) {}
    public func received(_ queue: QueueRecord, count: Int) {}
    public func deleted(_ queue: QueueRecord, count: Int) {}
    public func removed(_ queue: QueueRecord) {}
}
