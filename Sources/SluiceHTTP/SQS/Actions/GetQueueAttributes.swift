import SluiceWire

extension SQSActions {
    static let getQueueAttributes: SQSAction = { call throws(QueueError) in
        let names = try call.params.strings("AttributeNames", query: "AttributeName")
        let attributes = try await call.engine.getQueueAttributes(try call.queue(), names: names)
        return [SQSFields.stringMap(json: "Attributes", xml: "Attribute", key: "Name", attributes)].compactMap { $0 }
    }
}
