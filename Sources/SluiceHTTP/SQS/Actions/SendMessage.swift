import SluiceQueues
import SluiceWire

extension SQSActions {
    static let sendMessage: SQSAction = { call throws(QueueError) in
        let result = try await call.engine.sendMessage(try call.queue(), try sendRequest(call.params), senderId: call.senderId)
        return sendFields(result)
    }

    static func sendRequest(_ params: any RequestParams) throws(QueueError) -> SendRequest {
        SendRequest(body: try params.string("MessageBody"), delaySeconds: try params.int("DelaySeconds"),
                    attributes: try params.messageAttributes("MessageAttributes", query: "MessageAttribute"),
                    systemAttributes: try params.messageAttributes("MessageSystemAttributes", query: "MessageSystemAttribute"),
                    deduplicationId: try params.string("MessageDeduplicationId"), groupId: try params.string("MessageGroupId"))
    }

    static func sendFields(_ result: SendResult) -> [WireField] {
        [
            .string("MD5OfMessageBody", result.md5OfMessageBody),
            .string("MD5OfMessageAttributes", result.md5OfMessageAttributes),
            .string("MD5OfMessageSystemAttributes", result.md5OfMessageSystemAttributes),
            .string("MessageId", result.messageId),
            .string("SequenceNumber", result.sequenceNumber),
        ].compactMap { $0 }
    }
}
