import SluiceWire

extension SQSActions {
    static let getQueueUrl: SQSAction = { call throws(QueueError) in
        let info = try call.engine.getQueueUrl(account: try call.params.string("QueueOwnerAWSAccountId"), name: try call.params.string("QueueName"))
        return [.scalar("QueueUrl", .string(call.url(info.key)))]
    }
}
