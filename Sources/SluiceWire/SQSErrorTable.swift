import SluiceCore

/// How one domain error looks on the wire.
public struct AWSErrorShape: Sendable, Equatable {
    /// The JSON `__type` short name (the modelled shape).
    public let shape: String
    /// The legacy Query code (`x-amzn-query-error`, `<Code>`).
    public let queryCode: String
    public let status: Int
    /// `Sender` or `Receiver`.
    public let fault: String
}

/// The one table from ``QueueError/Code`` to AWS's error shapes for SQS.
public enum SQSErrorTable {
    public static func shape(for code: QueueError.Code) -> AWSErrorShape {
        switch code {
        case .queueDoesNotExist: return .init(shape: "QueueDoesNotExist", queryCode: "AWS.SimpleQueueService.NonExistentQueue", status: 400, fault: "Sender")
        case .queueNameExists: return .init(shape: "QueueNameExists", queryCode: "QueueAlreadyExists", status: 400, fault: "Sender")
        case .queueDeletedRecently: return .init(shape: "QueueDeletedRecently", queryCode: "AWS.SimpleQueueService.QueueDeletedRecently", status: 400, fault: "Sender")
        case .purgeQueueInProgress: return .init(shape: "PurgeQueueInProgress", queryCode: "AWS.SimpleQueueService.PurgeQueueInProgress", status: 403, fault: "Sender")
        case .overLimit: return .init(shape: "OverLimit", queryCode: "OverLimit", status: 403, fault: "Sender")
        case .tooManyEntriesInBatchRequest: return .init(shape: "TooManyEntriesInBatchRequest", queryCode: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", status: 400, fault: "Sender")
        case .emptyBatchRequest: return .init(shape: "EmptyBatchRequest", queryCode: "AWS.SimpleQueueService.EmptyBatchRequest", status: 400, fault: "Sender")
        case .batchEntryIdsNotDistinct: return .init(shape: "BatchEntryIdsNotDistinct", queryCode: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", status: 400, fault: "Sender")
        case .batchRequestTooLong: return .init(shape: "BatchRequestTooLong", queryCode: "AWS.SimpleQueueService.BatchRequestTooLong", status: 400, fault: "Sender")
        case .invalidBatchEntryId: return .init(shape: "InvalidBatchEntryId", queryCode: "AWS.SimpleQueueService.InvalidBatchEntryId", status: 400, fault: "Sender")
        case .messageNotInflight: return .init(shape: "MessageNotInflight", queryCode: "AWS.SimpleQueueService.MessageNotInflight", status: 400, fault: "Sender")
        case .receiptHandleIsInvalid: return .init(shape: "ReceiptHandleIsInvalid", queryCode: "ReceiptHandleIsInvalid", status: 400, fault: "Sender")
        case .invalidAttributeName: return .init(shape: "InvalidAttributeName", queryCode: "InvalidAttributeName", status: 400, fault: "Sender")
        case .invalidAttributeValue: return .init(shape: "InvalidAttributeValue", queryCode: "InvalidAttributeValue", status: 400, fault: "Sender")
        case .invalidMessageContents: return .init(shape: "InvalidMessageContents", queryCode: "InvalidMessageContents", status: 400, fault: "Sender")
        case .invalidParameterValue: return .init(shape: "InvalidParameterValueException", queryCode: "InvalidParameterValue", status: 400, fault: "Sender")
        case .missingParameter: return .init(shape: "MissingRequiredParameterException", queryCode: "MissingParameter", status: 400, fault: "Sender")
        case .resourceNotFound: return .init(shape: "ResourceNotFoundException", queryCode: "ResourceNotFoundException", status: 404, fault: "Sender")
        case .unsupportedOperation: return .init(shape: "UnsupportedOperation", queryCode: "AWS.SimpleQueueService.UnsupportedOperation", status: 400, fault: "Sender")
        case .invalidAction: return .init(shape: "InvalidAction", queryCode: "InvalidAction", status: 400, fault: "Sender")
        case .invalidAddress: return .init(shape: "InvalidAddress", queryCode: "InvalidAddress", status: 404, fault: "Sender")
        case .requestTooLarge: return .init(shape: "RequestEntityTooLarge", queryCode: "RequestEntityTooLarge", status: 413, fault: "Sender")
        case .malformedRequest: return .init(shape: "SerializationException", queryCode: "MalformedQueryString", status: 400, fault: "Sender")
        case .internalFailure: return .init(shape: "InternalError", queryCode: "InternalError", status: 500, fault: "Receiver")
        }
    }

    /// The message AWS sends over Query for errors whose text differs by protocol.
    public static func queryMessage(for error: QueueError) -> String {
        if error.code == .queueDoesNotExist && error.message == QueueError.queueDoesNotExist.message {
            return "The specified queue does not exist for this wsdl version."
        }
        return error.message
    }
}
