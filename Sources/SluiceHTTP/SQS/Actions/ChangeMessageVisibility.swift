import SluiceWire

extension SQSActions {
    static let changeMessageVisibility: SQSAction = { call throws(QueueError) in
        try await call.engine.changeMessageVisibility(try call.queue(), receiptHandle: try call.params.string("ReceiptHandle"),
                                                      visibilityTimeout: try call.params.int("VisibilityTimeout"))
        return nil
    }
}
