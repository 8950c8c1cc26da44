import SluiceCore
import SluiceTopics
import SluiceWire

/// Every SNS action sluice serves, by name; and those it answers as not supported.
enum SNSActions {
    static let all: [String: SNSAction] = [
        "CreateTopic": createTopic, "DeleteTopic": deleteTopic, "ListTopics": listTopics,
        "GetTopicAttributes": getTopicAttributes, "SetTopicAttributes": setTopicAttributes,
        "Subscribe": subscribe, "ConfirmSubscription": confirmSubscription, "Unsubscribe": unsubscribe,
        "ListSubscriptions": listSubscriptions, "ListSubscriptionsByTopic": listSubscriptionsByTopic,
        "GetSubscriptionAttributes": getSubscriptionAttributes, "SetSubscriptionAttributes": setSubscriptionAttributes,
        "Publish": publish, "PublishBatch": publishBatch,
        "AddPermission": addPermission, "RemovePermission": removePermission,
        "TagResource": tagResource, "UntagResource": untagResource, "ListTagsForResource": listTagsForResource,
    ]

    /// Mobile push, SMS, email and data-protection actions: not supported by sluice.
    static let unsupported: Set<String> = [
        "CreatePlatformApplication", "DeletePlatformApplication", "GetPlatformApplicationAttributes", "SetPlatformApplicationAttributes",
        "ListPlatformApplications", "CreatePlatformEndpoint", "DeleteEndpoint", "GetEndpointAttributes", "SetEndpointAttributes",
        "ListEndpointsByPlatformApplication", "CheckIfPhoneNumberIsOptedOut", "OptInPhoneNumber", "ListPhoneNumbersOptedOut",
        "GetSMSAttributes", "SetSMSAttributes", "CreateSMSSandboxPhoneNumber", "DeleteSMSSandboxPhoneNumber",
        "VerifySMSSandboxPhoneNumber", "ListSMSSandboxPhoneNumbers", "GetSMSSandboxAccountStatus", "ListOriginationNumbers",
        "GetDataProtectionPolicy", "PutDataProtectionPolicy",
    ]
}
