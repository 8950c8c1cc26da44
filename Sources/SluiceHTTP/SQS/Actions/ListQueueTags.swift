import SluiceWire

extension SQSActions {
    static let listQueueTags: SQSAction = { call throws(QueueError) in
        let tags = try call.engine.listQueueTags(try call.queue())
        return [SQSFields.stringMap(json: "Tags", xml: "Tag", key: "Key", tags)].compactMap { $0 }
    }
}
