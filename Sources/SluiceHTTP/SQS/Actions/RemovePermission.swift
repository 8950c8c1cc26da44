import SluiceWire

extension SQSActions {
    static let removePermission: SQSAction = { call throws(QueueError) in
        try await call.engine.removePermission(try call.queue(), label: try call.params.string("Label"))
        return nil
    }
}
