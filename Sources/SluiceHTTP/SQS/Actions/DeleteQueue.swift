import SluiceWire

extension SQSActions {
    static let deleteQueue: SQSAction = { call throws(QueueError) in
        try await call.engine.deleteQueue(try call.queue())
        return nil
    }
}
