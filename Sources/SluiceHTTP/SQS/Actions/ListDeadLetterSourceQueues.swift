import SluiceWire

extension SQSActions {
    static let listDeadLetterSourceQueues: SQSAction = { call throws(QueueError) in
        let page = try call.engine.listDeadLetterSourceQueues(try call.queue(), maxResults: try call.params.int("MaxResults"),
                                                              nextToken: try call.params.string("NextToken"))
        // JSON spells this list `queueUrls` (lowercase), as the model does.
        let urls = WireField.list(json: "queueUrls", xml: "QueueUrl", wrapped: false, page.queues.map { .scalar(.string(call.url($0))) })
        return [urls, .string("NextToken", page.nextToken)].compactMap { $0 }
    }
}
