import SluiceCore

/// An SNS message attribute: `String`, `String.Array`, `Number` or `Binary` (optionally with a label).
public struct SNSAttribute: Sendable, Equatable {
    public var dataType: String
    public var stringValue: String?
    public var binaryValue: [UInt8]?

    public init(dataType: String, stringValue: String? = nil, binaryValue: [UInt8]? = nil) {
        self.dataType = dataType
        self.stringValue = stringValue
        self.binaryValue = binaryValue
    }
}

/// One Publish (or PublishBatch entry) as a client asked.
public struct PublishRequest: Sendable {
    public var message: String?
    public var subject: String?
    public var messageStructure: String?
    public var attributes: [String: SNSAttribute]
    public var groupId: String?
    public var deduplicationId: String?

    public init(message: String?, subject: String? = nil, messageStructure: String? = nil, attributes: [String: SNSAttribute] = [:],
                groupId: String? = nil, deduplicationId: String? = nil) {
        self.message = message
        self.subject = subject
        self.messageStructure = messageStructure
        self.attributes = attributes
        self.groupId = groupId
        self.deduplicationId = deduplicationId
    }
}

/// What Publish answers.
public struct PublishResult: Sendable, Equatable {
    public var messageId: String
    public var sequenceNumber: String?
}

/// A batch entry's outcome.
public struct PublishBatchResult: Sendable {
    public var id: String
    public var result: Result<PublishResult, TopicError>
}

/// Where sluice is reachable, for the URLs it writes into messages (SubscribeURL, UnsubscribeURL, SigningCertURL).
public struct CallerContext: Sendable {
    public var baseURL: String
    public var account: String

    public init(baseURL: String, account: String) {
        self.baseURL = baseURL
        self.account = account
    }
}
