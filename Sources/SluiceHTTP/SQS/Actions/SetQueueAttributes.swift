import SluiceWire

extension SQSActions {
    static let setQueueAttributes: SQSAction = { call throws(QueueError) in
        let attributes = try call.params.stringMap("Attributes", query: "Attribute", key: "Name", value: "Value")
        try await call.engine.setQueueAttributes(try call.queue(), attributes)
        return nil
    }
}
