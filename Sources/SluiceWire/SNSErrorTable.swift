import SluiceCore

/// The one table from ``TopicError/Code`` to SNS's error codes and statuses.
public enum SNSErrorTable {
    public static func shape(for code: TopicError.Code) -> AWSErrorShape {
        switch code {
        case .invalidParameter: return .init(shape: "InvalidParameterException", queryCode: "InvalidParameter", status: 400, fault: "Sender")
        case .parameterValueInvalid: return .init(shape: "InvalidParameterValueException", queryCode: "ParameterValueInvalid", status: 400, fault: "Sender")
        case .notFound: return .init(shape: "NotFoundException", queryCode: "NotFound", status: 404, fault: "Sender")
        case .resourceNotFound: return .init(shape: "ResourceNotFoundException", queryCode: "ResourceNotFound", status: 404, fault: "Sender")
        case .authorizationError: return .init(shape: "AuthorizationErrorException", queryCode: "AuthorizationError", status: 403, fault: "Sender")
        case .internalError: return .init(shape: "InternalErrorException", queryCode: "InternalError", status: 500, fault: "Receiver")
        case .topicLimitExceeded: return .init(shape: "TopicLimitExceededException", queryCode: "TopicLimitExceeded", status: 403, fault: "Sender")
        case .subscriptionLimitExceeded: return .init(shape: "SubscriptionLimitExceededException", queryCode: "SubscriptionLimitExceeded", status: 403, fault: "Sender")
        case .filterPolicyLimitExceeded: return .init(shape: "FilterPolicyLimitExceededException", queryCode: "FilterPolicyLimitExceeded", status: 403, fault: "Sender")
        case .tagLimitExceeded: return .init(shape: "TagLimitExceededException", queryCode: "TagLimitExceeded", status: 400, fault: "Sender")
        case .batchEntryIdsNotDistinct: return .init(shape: "BatchEntryIdsNotDistinctException", queryCode: "BatchEntryIdsNotDistinct", status: 400, fault: "Sender")
        case .batchRequestTooLong: return .init(shape: "BatchRequestTooLongException", queryCode: "BatchRequestTooLong", status: 400, fault: "Sender")
        case .emptyBatchRequest: return .init(shape: "EmptyBatchRequestException", queryCode: "EmptyBatchRequest", status: 400, fault: "Sender")
        case .invalidBatchEntryId: return .init(shape: "InvalidBatchEntryIdException", queryCode: "InvalidBatchEntryId", status: 400, fault: "Sender")
        case .tooManyEntriesInBatchRequest: return .init(shape: "TooManyEntriesInBatchRequestException", queryCode: "TooManyEntriesInBatchRequest", status: 400, fault: "Sender")
        case .invalidAction: return .init(shape: "InvalidAction", queryCode: "InvalidAction", status: 400, fault: "Sender")
        case .notSupported: return .init(shape: "InvalidAction", queryCode: "InvalidAction", status: 400, fault: "Sender")
        case .validationError: return .init(shape: "ValidationException", queryCode: "ValidationError", status: 400, fault: "Sender")
        }
    }
}
