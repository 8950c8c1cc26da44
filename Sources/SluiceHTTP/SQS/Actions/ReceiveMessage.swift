import SluiceQueues
import SluiceWire

extension SQSActions {
    static let receiveMessage: SQSAction = { call throws(QueueError) in
        let params = call.params
        let systemNames = try params.strings("AttributeNames", query: "AttributeName")
            + params.strings("MessageSystemAttributeNames", query: "MessageSystemAttributeName")
        let request = ReceiveRequest(
            maxNumberOfMessages: try params.int("MaxNumberOfMessages"), visibilityTimeout: try params.int("VisibilityTimeout"),
            waitTimeSeconds: try params.int("WaitTimeSeconds"), systemAttributeNames: systemNames,
            messageAttributeNames: try params.strings("MessageAttributeNames", query: "MessageAttributeName"),
            receiveRequestAttemptId: try params.string("ReceiveRequestAttemptId"))
        let messages = try await call.engine.receiveMessage(try call.queue(), request)
        guard !messages.isEmpty else { return [] }
        return [.list(json: "Messages", xml: "Message", wrapped: false, messages.map { .structure(messageFields($0)) })]
    }

    static func messageFields(_ message: DeliveredMessage) -> [WireField] {
        var fields: [WireField] = [
            .scalar("MessageId", .string(message.messageId)),
            .scalar("ReceiptHandle", .string(message.receiptHandle)),
            .scalar("MD5OfBody", .string(message.md5OfBody)),
            .scalar("Body", .string(message.body)),
        ]
        if let attributes = SQSFields.stringMap(json: "Attributes", xml: "Attribute", key: "Name", message.attributes) {
            fields.append(attributes)
        }
        if let md5 = message.md5OfMessageAttributes {
            fields.append(.scalar("MD5OfMessageAttributes", .string(md5)))
            fields.append(.map(json: "MessageAttributes", xml: "MessageAttribute", key: "Name", value: "Value", wrapped: false,
                               message.messageAttributes.keys.sorted().map { ($0, SQSFields.messageAttribute(message.messageAttributes[$0]!)) }))
        }
        return fields
    }
}
