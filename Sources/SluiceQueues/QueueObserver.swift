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
    /// A receive moved `count` messages past their maxReceiveCount into the dead-letter queue.
    func deadLettered(from source: QueueRecord, to target: QueueRecord, count: Int)
}

extension QueueObserver {
    public func deadLettered(from source: QueueRecord, to target: QueueRecord, count: Int) {}
}

/// Reports to several observers.
public struct QueueObservers: QueueObserver {
    let all: [any QueueObserver]
    public init(_ all: [any QueueObserver]) { self.all = all }
    public func sent(_ queue: QueueRecord, _ outcomes: [SendOutcome]) { for o in all { o.sent(queue, outcomes) } }
    public func received(_ queue: QueueRecord, count: Int) { for o in all { o.received(queue, count: count) } }
    public func deleted(_ queue: QueueRecord, count: Int) { for o in all { o.deleted(queue, count: count) } }
    public func removed(_ queue: QueueRecord) { for o in all { o.removed(queue) } }
    public func deadLettered(from source: QueueRecord, to target: QueueRecord, count: Int) {
        for o in all { o.deadLettered(from: source, to: target, count: count) }
    }
}

/// An observer that ignores everything.
public struct NoQueueObserver: QueueObserver {
    public init() {}
    public func sent(_ queue: QueueRecord, _ outcomes: [SendOutcome]) {}
    public func received(_ queue: QueueRecord, count: Int) {}
    public func deleted(_ queue: QueueRecord, count: Int) {}
    public func removed(_ queue: QueueRecord) {}
}
