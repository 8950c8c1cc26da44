import SluiceCore
import SluiceTopics
import SluiceWire

extension SNSActions {
    static let publish: SNSAction = { call throws(TopicError) in
        if try call.string("PhoneNumber") != nil {
            throw TopicError(.notSupported, "sluice does not send SMS: publish to a TopicArn instead of a PhoneNumber")
        }
        let result = try await call.engine.publish(topicArn: try call.string("TopicArn"), targetArn: try call.string("TargetArn"),
                                                   try SNSCall.publishRequest(call.params), context: call.context)
        return [.scalar("MessageId", .string(result.messageId)), .string("SequenceNumber", result.sequenceNumber)].compactMap { $0 }
    }

    static let publishBatch: SNSAction = { call throws(TopicError) in
        var entries = [(id: String, request: PublishRequest)]()
        for entry in (try? call.params.entries("PublishBatchRequestEntries", query: "PublishBatchRequestEntries.member")) ?? [] {
            guard let id = try? entry.string("Id") else { throw TopicError.invalid("PublishBatchRequestEntries.member.Id") }
            entries.append((id, try SNSCall.publishRequest(entry)))
        }
        let results = try await call.engine.publishBatch(topicArn: try call.string("TopicArn"), entries: entries, context: call.context)
        var successful = [WireItem]()
        var failed = [WireItem]()
        for result in results {
            switch result.result {
            case .success(let published):
                successful.append(.structure([.scalar("Id", .string(result.id)), .scalar("MessageId", .string(published.messageId)),
                                              .string("SequenceNumber", published.sequenceNumber)].compactMap { $0 }))
            case .failure(let error):
                failed.append(.structure([.scalar("Id", .string(result.id)), .scalar("Code", .string(SNSErrorTable.shape(for: error.code).queryCode)),
                                          .scalar("Message", .string(error.message)), .scalar("SenderFault", .bool(error.code != .internalError))]))
            }
        }
        return [.list(json: "Successful", xml: "Successful", wrapped: true, successful),
                .list(json: "Failed", xml: "Failed", wrapped: true, failed)]
    }
}
