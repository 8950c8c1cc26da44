import SluiceWire

extension SQSActions {
    static let listQueues: SQSAction = { call throws(QueueError) in
        let page = try call.engine.listQueues(account: nil, prefix: try call.params.string("QueueNamePrefix"),
                                              maxResults: try call.params.int("MaxResults"), nextToken: try call.params.string("NextToken"))
        return [SQSFields.queueList(json: "QueueUrls", page.queues.map(call.url)), .string("NextToken", page.nextToken)].compactMap { $0 }
    }
}
