/// A domain error of the topic layer. The wire layer maps each ``Code`` to SNS's error
/// code and HTTP status in one table (`SNSErrorTable`).
public struct TopicError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        case invalidParameter
        case parameterValueInvalid
        case notFound
        case resourceNotFound
        case authorizationError
        case internalError
        case topicLimitExceeded
        case subscriptionLimitExceeded
        case filterPolicyLimitExceeded
        case tagLimitExceeded
        case batchEntryIdsNotDistinct
        case batchRequestTooLong
        case emptyBatchRequest
        case invalidBatchEntryId
        case tooManyEntriesInBatchRequest
        case invalidAction
        case notSupported
        case validationError
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// `InvalidParameter` with AWS's "Invalid parameter: " prefix.
    public static func invalid(_ detail: String) -> TopicError {
        TopicError(.invalidParameter, "Invalid parameter: \(detail)")
    }

    public static let topicNotFound = TopicError(.notFound, "Topic does not exist")
    public static let subscriptionNotFound = TopicError(.notFound, "Subscription does not exist")
}
