import Foundation
import SluiceCore
import SluiceQueues

/// The event Lambda sends for SQS messages, with keys in AWS's order.
enum SQSEvent {
    static let attributeOrder = [
        "ApproximateReceiveCount", "AWSTraceHeader", "SentTimestamp", "SequenceNumber", "MessageGroupId", "SenderId",
        "MessageDeduplicationId", "ApproximateFirstReceiveTimestamp", "DeadLetterQueueSourceArn",
    ]

    /// One record; `parsedBody` embeds a JSON body as JSON (what filter patterns see).
    static func record(_ message: DeliveredMessage, queueArn: String, region: String, parsedBody: Bool = false) -> String {
        var attributes = [(String, String)]()
        for name in attributeOrder {
            if let value = message.attributes[name] { attributes.append((name, JSONText.quoted(value))) }
        }
        let messageAttributes = message.messageAttributes.keys.sorted().map { name -> (String, String) in
            let attribute = message.messageAttributes[name]!
            var members = [(String, String)]()
            if let bytes = attribute.binaryValue {
                members.append(("binaryValue", JSONText.quoted(Data(bytes).base64EncodedString())))
            } else {
                members.append(("stringValue", JSONText.quoted(attribute.stringValue ?? "")))
            }
            members += [("stringListValues", "[]"), ("binaryListValues", "[]"), ("dataType", JSONText.quoted(attribute.dataType))]
            return (name, JSONText.object(members))
        }
        let body = parsedBody && (try? JSONReader.parse(message.body)) != nil ? message.body : JSONText.quoted(message.body)
        return JSONText.object([
            ("messageId", JSONText.quoted(message.messageId)),
            ("receiptHandle", JSONText.quoted(message.receiptHandle)),
            ("body", body),
            ("attributes", JSONText.object(attributes)),
            ("messageAttributes", JSONText.object(messageAttributes)),
            ("md5OfMessageAttributes", message.md5OfMessageAttributes.map(JSONText.quoted) ?? "null"),
            ("md5OfBody", JSONText.quoted(message.md5OfBody)),
            ("eventSource", "\"aws:sqs\""),
            ("eventSourceARN", JSONText.quoted(queueArn)),
            ("awsRegion", JSONText.quoted(region)),
        ])
    }

    static func event(_ records: [String]) -> String {
        "{\"Records\":[" + records.joined(separator: ",") + "]}"
    }

    /// What a function with ReportBatchItemFailures answered: the ids to keep, or nil when
    /// the answer is malformed (then the whole batch failed).
    static func failedItems(_ response: [UInt8], batchIds: Set<String>) -> Set<String>? {
        let trimmed = InvocationResult.trimmed(response)
        if trimmed.isEmpty { return [] }
        guard let value = try? JSONReader.parse(bytes: trimmed) else { return nil }
        switch value {
        case .null: return []
        case .object(let members):
            guard let failures = members.first(where: { $0.key == "batchItemFailures" })?.value else { return [] }
            switch failures {
            case .null: return []
            case .array(let items):
                var ids = Set<String>()
                for item in items {
                    guard case .string(let id)? = item["itemIdentifier"], !id.isEmpty, batchIds.contains(id) else { return nil }
                    ids.insert(id)
                }
                return ids
            default: return nil
            }
        default: return nil
        }
    }
}
