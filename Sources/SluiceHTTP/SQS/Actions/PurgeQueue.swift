import SluiceWire

extension SQSActions {
    static let purgeQueue: SQSAction = { call throws(QueueError) in
        try await call.engine.purgeQueue(try call.queue())
        return nil
    }
}
