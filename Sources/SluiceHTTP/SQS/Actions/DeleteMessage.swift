import SluiceWire

extension SQSActions {
    static let deleteMessage: SQSAction = { call throws(QueueError) in
        try await call.engine.deleteMessage(try call.queue(), receiptHandle: try call.params.string("ReceiptHandle"))
        return nil
    }
}
