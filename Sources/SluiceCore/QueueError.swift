/// A domain error of the queue engine. The wire layer maps each ``Code`` to AWS's
/// error shape, legacy code and HTTP status in one table (`SQSErrorTable`).
public struct QueueError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        case queueDoesNotExist
        case queueNameExists
        case queueDeletedRecently
        case purgeQueueInProgress
        case overLimit
        case tooManyEntriesInBatchRequest
        case emptyBatchRequest
        case batchEntryIdsNotDistinct
        case batchRequestTooLong
        case invalidBatchEntryId
        case messageNotInflight
        case receiptHandleIsInvalid
        case invalidAttributeName
        case invalidAttributeValue
        case invalidMessageContents
        case invalidParameterValue
        case missingParameter
        case resourceNotFound
        case unsupportedOperation
        case invalidAction
        case invalidAddress
        case requestTooLarge
        case malformedRequest
        case internalFailure
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    public static let queueDoesNotExist = QueueError(.queueDoesNotExist, "The specified queue does not exist.")

    public static func invalidParameter(_ name: String, _ value: String, reason: String) -> QueueError {
        QueueError(.invalidParameterValue, "Value \(value) for parameter \(name) is invalid. Reason: \(reason)")
    }

    public static func missing(_ name: String) -> QueueError {
        QueueError(.missingParameter, "The request must contain the parameter \(name).")
    }

    public static func invalidAttributeValue(_ name: String) -> QueueError {
        QueueError(.invalidAttributeValue, "Invalid value for the parameter \(name).")
    }
}
