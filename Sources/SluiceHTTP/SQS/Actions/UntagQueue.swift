import SluiceWire

extension SQSActions {
    static let untagQueue: SQSAction = { call throws(QueueError) in
        try await call.engine.untagQueue(try call.queue(), try call.params.strings("TagKeys", query: "TagKey"))
        return nil
    }
}
