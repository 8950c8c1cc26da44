import SluiceCore
import SluiceTopics
import SluiceWire

extension SNSActions {
    static let subscribe: SNSAction = { call throws(TopicError) in
        let arn = try await call.engine.subscribe(
            topicArn: try call.string("TopicArn"), protocol: try call.string("Protocol"), endpoint: try call.string("Endpoint"),
            attributes: try call.attributes(), returnSubscriptionArn: (try call.string("ReturnSubscriptionArn"))?.lowercased() == "true",
            context: call.context)
        return [.scalar("SubscriptionArn", .string(arn))]
    }

    static let confirmSubscription: SNSAction = { call throws(TopicError) in
        let arn = try await call.engine.confirmSubscription(
            topicArn: try call.string("TopicArn"), token: try call.string("Token"),
            authenticateOnUnsubscribe: (try call.string("AuthenticateOnUnsubscribe"))?.lowercased() == "true")
        return [.scalar("SubscriptionArn", .string(arn))]
    }

    static let unsubscribe: SNSAction = { call throws(TopicError) in
        try await call.engine.unsubscribe(arn: try call.string("SubscriptionArn"), context: call.context)
        return nil
    }

    static func subscriptionList(_ page: (items: [TopicEngine.SubscriptionSummary], nextToken: String?)) -> [WireField] {
        [
            .list(json: "Subscriptions", xml: "Subscriptions", wrapped: true, page.items.map { item in
                .structure([
                    .scalar("SubscriptionArn", .string(item.subscriptionArn)), .scalar("Owner", .string(item.owner)),
                    .scalar("Protocol", .string(item.protocol)), .scalar("Endpoint", .string(item.endpoint)),
                    .scalar("TopicArn", .string(item.topicArn)),
                ])
            }),
            .string("NextToken", page.nextToken),
        ].compactMap { $0 }
    }

    static let listSubscriptions: SNSAction = { call throws(TopicError) in
        subscriptionList(try call.engine.listSubscriptions(topicArn: nil, nextToken: try call.string("NextToken")))
    }

    static let listSubscriptionsByTopic: SNSAction = { call throws(TopicError) in
        guard let topic = try call.string("TopicArn") else { throw TopicError.invalid("TopicArn") }
        return subscriptionList(try call.engine.listSubscriptions(topicArn: topic, nextToken: try call.string("NextToken")))
    }

    static let getSubscriptionAttributes: SNSAction = { call throws(TopicError) in
        [SNSFields.map("Attributes", try call.engine.getSubscriptionAttributes(arn: try call.string("SubscriptionArn")))]
    }

    static let setSubscriptionAttributes: SNSAction = { call throws(TopicError) in
        try await call.engine.setSubscriptionAttribute(arn: try call.string("SubscriptionArn"), name: try call.string("AttributeName"),
                                                       value: try call.string("AttributeValue"))
        return nil
    }
}
