import SluiceCore

/// One message to send, as a client asked.
public struct SendRequest: Sendable {
    public var body: String?
    public var delaySeconds: Int?
    public var attributes: MessageAttributes
    public var systemAttributes: MessageAttributes
    public var deduplicationId: String?
    public var groupId: String?

    public init(body: String?, delaySeconds: Int? = nil, attributes: MessageAttributes = [:],
                systemAttributes: MessageAttributes = [:], deduplicationId: String? = nil, groupId: String? = nil) {
        self.body = body
        self.delaySeconds = delaySeconds
        self.attributes = attributes
        self.systemAttributes = systemAttributes
        self.deduplicationId = deduplicationId
        self.groupId = groupId
    }
}

/// What SendMessage answers.
public struct SendResult: Sendable, Equatable {
    public var messageId: String
    public var md5OfMessageBody: String
    public var md5OfMessageAttributes: String?
    public var md5OfMessageSystemAttributes: String?
    public var sequenceNumber: String?
}

/// One entry of a batch call.
public struct BatchEntry<Value: Sendable>: Sendable {
    public var id: String
    public var value: Value

    public init(id: String, value: Value) {
        self.id = id
        self.value = value
    }
}

/// A batch entry's outcome: the value, or an error with whether the sender is at fault.
public struct BatchResult<Value: Sendable>: Sendable {
    public var id: String
    public var result: Result<Value, QueueError>

    public var senderFault: Bool {
        if case .failure(let error) = result { return error.code != .internalFailure }
        return false
    }
}

/// ReceiveMessage's parameters.
public struct ReceiveRequest: Sendable {
    public var maxNumberOfMessages: Int?
    public var visibilityTimeout: Int?
    public var waitTimeSeconds: Int?
    /// AttributeNames and MessageSystemAttributeNames together.
    public var systemAttributeNames: [String]
    public var messageAttributeNames: [String]
    public var receiveRequestAttemptId: String?

    public init(maxNumberOfMessages: Int? = nil, visibilityTimeout: Int? = nil, waitTimeSeconds: Int? = nil,
                systemAttributeNames: [String] = [], messageAttributeNames: [String] = [], receiveRequestAttemptId: String? = nil) {
        self.maxNumberOfMessages = maxNumberOfMessages
        self.visibilityTimeout = visibilityTimeout
        self.waitTimeSeconds = waitTimeSeconds
        self.systemAttributeNames = systemAttributeNames
        self.messageAttributeNames = messageAttributeNames
        self.receiveRequestAttemptId = receiveRequestAttemptId
    }
}

/// A message as ReceiveMessage returns it.
public struct DeliveredMessage: Sendable, Equatable {
    public var messageId: String
    public var receiptHandle: String
    public var md5OfBody: String
    public var body: String
    /// Requested system attributes, by name.
    public var attributes: [String: String]
    public var md5OfMessageAttributes: String?
    /// Requested message attributes.
    public var messageAttributes: MessageAttributes
}

/// A queue's identity as the wire needs it to build URLs and ARNs.
public struct QueueInfo: Sendable, Equatable {
    public var key: QueueKey
    public var arn: String
}

/// A page of queue names.
public struct QueuePage: Sendable {
    public var queues: [QueueKey]
    public var nextToken: String?
}

/// A message move task as ListMessageMoveTasks shows it.
public struct MoveTaskInfo: Sendable, Equatable {
    public var taskHandle: String?
    public var status: String
    public var sourceArn: String
    public var destinationArn: String?
    public var maxNumberOfMessagesPerSecond: Int?
    public var approximateNumberOfMessagesMoved: Int
    public var approximateNumberOfMessagesToMove: Int
    public var failureReason: String?
    public var startedTimestamp: Int64
}
