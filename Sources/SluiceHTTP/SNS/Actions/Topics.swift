import SluiceCore
import SluiceTopics
import SluiceWire

extension SNSActions {
    static let createTopic: SNSAction = { call throws(TopicError) in
        let arn = try await call.engine.createTopic(account: nil, name: try call.string("Name"), attributes: try call.attributes(), tags: try call.tags())
        return [.scalar("TopicArn", .string(arn))]
    }

    static let deleteTopic: SNSAction = { call throws(TopicError) in
        try await call.engine.deleteTopic(arn: try call.string("TopicArn"))
        return nil
    }

    static let listTopics: SNSAction = { call throws(TopicError) in
        let page = try call.engine.listTopics(account: nil, nextToken: try call.string("NextToken"))
        return [
            .list(json: "Topics", xml: "Topics", wrapped: true, page.arns.map { .structure([.scalar("TopicArn", .string($0))]) }),
            .string("NextToken", page.nextToken),
        ].compactMap { $0 }
    }

    static let getTopicAttributes: SNSAction = { call throws(TopicError) in
        [SNSFields.map("Attributes", try call.engine.getTopicAttributes(arn: try call.string("TopicArn")))]
    }

    static let setTopicAttributes: SNSAction = { call throws(TopicError) in
        try await call.engine.setTopicAttribute(arn: try call.string("TopicArn"), name: try call.string("AttributeName"),
                                                value: try call.string("AttributeValue"))
        return nil
    }

    static let addPermission: SNSAction = { call throws(TopicError) in
        try await call.engine.addPermission(arn: try call.string("TopicArn"), label: try call.string("Label"),
                                            accounts: call.members("AWSAccountId"), actions: call.members("ActionName"))
        return nil
    }

    static let removePermission: SNSAction = { call throws(TopicError) in
        try await call.engine.removePermission(arn: try call.string("TopicArn"), label: try call.string("Label"))
        return nil
    }

    static let tagResource: SNSAction = { call throws(TopicError) in
        try await call.engine.tagResource(arn: try call.string("ResourceArn"), tags: try call.tags())
        return []  // TagResource has an (empty) result element, unlike the older actions
    }

    static let untagResource: SNSAction = { call throws(TopicError) in
        try await call.engine.untagResource(arn: try call.string("ResourceArn"), keys: call.members("TagKeys"))
        return []
    }

    static let listTagsForResource: SNSAction = { call throws(TopicError) in
        let tags = try call.engine.listTags(arn: try call.string("ResourceArn"))
        return [.list(json: "Tags", xml: "Tags", wrapped: true, tags.keys.sorted().map {
            .structure([.scalar("Key", .string($0)), .scalar("Value", .string(tags[$0]!))])
        })]
    }
}
