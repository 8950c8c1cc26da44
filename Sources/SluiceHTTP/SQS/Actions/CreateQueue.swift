import SluiceWire

extension SQSActions {
    static let createQueue: SQSAction = { call throws(QueueError) in
        let attributes = try call.params.stringMap("Attributes", query: "Attribute", key: "Name", value: "Value")
        var tags = try call.params.stringMap("tags", query: "Tag", key: "Key", value: "Value")
        if tags.isEmpty { tags = try call.params.stringMap("Tags", query: "Tags", key: "Key", value: "Value") }
        let info = try await call.engine.createQueue(account: nil, name: try call.params.string("QueueName"), attributes: attributes, tags: tags)
        return [.scalar("QueueUrl", .string(call.url(info.key)))]
    }
}
