import SluiceWire

extension SQSActions {
    static let tagQueue: SQSAction = { call throws(QueueError) in
        var tags = try call.params.stringMap("Tags", query: "Tags", key: "Key", value: "Value")
        if tags.isEmpty { tags = try call.params.stringMap("Tags", query: "Tag", key: "Key", value: "Value") }
        try await call.engine.tagQueue(try call.queue(), tags)
        return nil
    }
}
