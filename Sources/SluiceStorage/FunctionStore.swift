import SluiceCore

/// An asynchronous invocation (Invoke with InvocationType Event, or an SNS notification for
/// a function) waiting for its next attempt.
public struct AsyncInvocationRecord: Sendable, Equatable {
    public var id: Int64
    public var functionName: String
    public var requestId: String
    public var payload: String
    /// Attempts made so far.
    public var attempts: Int
    /// The first attempt plus the retries allowed.
    public var maxAttempts: Int
    /// Where the payload goes when every attempt failed (an SQS queue ARN), and as what.
    public var deadLetterArn: String?
    public var deadLetterBody: String?
    public var firstAt: Millis
    public var dueAt: Millis

    public init(id: Int64 = 0, functionName: String, requestId: String, payload: String, attempts: Int = 0, maxAttempts: Int,
                deadLetterArn: String?, deadLetterBody: String?, firstAt: Millis, dueAt: Millis) {
        self.id = id
        self.functionName = functionName
        self.requestId = requestId
        self.payload = payload
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.deadLetterArn = deadLetterArn
        self.deadLetterBody = deadLetterBody
        self.firstAt = firstAt
        self.dueAt = dueAt
    }
}

/// The storage contract of the functions layer: definitions and event source mappings as
/// JSON documents (the layer owns their shape), and the durable queue of asynchronous
/// invocations.
public protocol FunctionStore: Sendable {
    /// Every document of one kind ("function", "mapping").
    func documents(kind: String) async throws -> [(key: String, body: String)]
    func putDocument(kind: String, key: String, body: String) async throws
    func deleteDocument(kind: String, key: String) async throws

    func enqueueAsync(_ invocation: AsyncInvocationRecord) async throws
    /// Due invocations, leased until `leaseUntil` (after a crash they run again when it passes).
    func dueAsync(now: Millis, limit: Int, leaseUntil: Millis) async throws -> [AsyncInvocationRecord]
    func nextAsyncDue() async throws -> Millis?
    func rescheduleAsync(id: Int64, attempts: Int, dueAt: Millis) async throws
    /// Removes an invocation (done or given up); optionally stores a dead-letter copy in the same commit.
    func finishAsync(id: Int64, deadLetter: (queue: QueueRecord, message: NewMessage)?, now: Millis) async throws -> [SendOutcome]
    /// Drops the pending invocations of a deleted function.
    func dropAsync(functionName: String) async throws
}
