import Foundation
import SluiceCore
import SluiceStorage

/// The JSON envelope SNS wraps a notification in, with keys in AWS's order.
struct Envelope: Sendable {
    let topicArn: String
    let publish: TopicEngine.ValidPublish
    let timestamp: String
    let signatureVersion: String
    /// Signature per delivered message text (non-FIFO topics).
    let signatures: [String: String]
    let certificateURL: String
    let unsubscribeBase: String
    let fifo: Bool

    func json(subscriptionArn: String, protocol proto: String, sequence: Int64) -> String {
        // Lambda events spell the URLs "Url", give Subject as null when absent and always
        // carry MessageAttributes.
        let lambda = proto == "lambda"
        let message = publish.message(for: proto)
        var members: [(String, String)] = [
            ("Type", "\"Notification\""),
            ("MessageId", JSONText.quoted(publish.messageId)),
        ]
        if fifo { members.append(("SequenceNumber", JSONText.quoted(TopicEngine.sequenceNumber(sequence)))) }
        members.append(("TopicArn", JSONText.quoted(topicArn)))
        if let subject = publish.subject {
            members.append(("Subject", JSONText.quoted(subject)))
        } else if lambda {
            members.append(("Subject", "null"))
        }
        members.append(("Message", JSONText.quoted(message)))
        members.append(("Timestamp", JSONText.quoted(timestamp)))
        if !fifo, let signature = signatures[message] {
            members.append(("SignatureVersion", JSONText.quoted(signatureVersion)))
            members.append(("Signature", JSONText.quoted(signature)))
            members.append((lambda ? "SigningCertUrl" : "SigningCertURL", JSONText.quoted(certificateURL)))
        }
        members.append((lambda ? "UnsubscribeUrl" : "UnsubscribeURL", JSONText.quoted(unsubscribeBase + TopicEngine.percent(subscriptionArn))))
        if lambda && publish.attributes.isEmpty {
            members.append(("MessageAttributes", "{}"))
        } else if !publish.attributes.isEmpty {
            let attributes = publish.attributes.keys.sorted().map { name -> (String, String) in
                let attribute = publish.attributes[name]!
                let value = attribute.binaryValue.map { Data($0).base64EncodedString() } ?? attribute.stringValue ?? ""
                return (name, JSONText.object([("Type", JSONText.quoted(attribute.dataType)), ("Value", JSONText.quoted(value))]))
            }
            members.append(("MessageAttributes", JSONText.object(attributes)))
        }
        return JSONText.object(members)
    }
}

/// Everything one publish writes, decided before the commit and built inside it (the FIFO
/// sequence number is only known there).
struct DeliveryPlan: Sendable {
    let targets: [Subscription]
    let publish: TopicEngine.ValidPublish
    let envelope: Envelope
    let topicPolicy: (policy: DeliveryPolicy, overridable: Bool)?
    let sink: any QueueSink
    let now: Millis

    func writes(sequence: Int64) -> PublishWrites {
        var writes = PublishWrites()
        for target in targets {
            let record = target.record
            switch record.protocol {
            case "sqs":
                let raw = target.raw
                let body = raw ? publish.message(for: "sqs") : envelope.json(subscriptionArn: record.arn, protocol: "sqs", sequence: sequence)
                let attributes = raw ? Self.sqsAttributes(publish.attributes) : [:]
                if let queue = sink.queueRecord(arn: record.endpoint),
                   let message = try? sink.prepareCopy(queue, body: body, attributes: attributes, groupId: publish.groupId,
                                                       deduplicationId: queue.settings.fifoQueue ? publish.deduplicationId : nil) {
                    writes.queueCopies.append((queue, message))
                    continue
                }
                writes.failed += 1
                if let dlqArn = target.deadLetterArn, let dlq = sink.queueRecord(arn: dlqArn),
                   let message = try? sink.prepareCopy(dlq, body: envelope.json(subscriptionArn: record.arn, protocol: "sqs", sequence: sequence),
                                                       attributes: [:], groupId: publish.groupId,
                                                       deduplicationId: dlq.settings.fifoQueue ? publish.deduplicationId : nil) {
                    writes.queueCopies.append((dlq, message))
                    writes.redriven += 1
                }
            case "lambda":
                let body = envelope.json(subscriptionArn: record.arn, protocol: "lambda", sequence: sequence)
                writes.deliveries.append(DeliveryRecord(subscriptionArn: record.arn, kind: "Notification", endpoint: record.endpoint,
                                                        messageId: publish.messageId, body: body,
                                                        headers: ["x-amz-sns-topic-arn": envelope.topicArn], firstAt: now, dueAt: now))
            default:
                let raw = target.raw
                let body = raw ? publish.message(for: record.protocol) : envelope.json(subscriptionArn: record.arn, protocol: record.protocol, sequence: sequence)
                var headers = [
                    "x-amz-sns-message-type": "Notification", "x-amz-sns-message-id": publish.messageId,
                    "x-amz-sns-topic-arn": envelope.topicArn, "x-amz-sns-subscription-arn": record.arn,
                    "Content-Type": effectivePolicy(target).headerContentType,
                    "User-Agent": "Amazon Simple Notification Service Agent",
                ]
                if raw { headers["x-amz-sns-rawdelivery"] = "true" }
                writes.deliveries.append(DeliveryRecord(subscriptionArn: record.arn, kind: "Notification", endpoint: record.endpoint,
                                                        messageId: publish.messageId, body: body, headers: headers, firstAt: now, dueAt: now))
            }
        }
        return writes
    }

    func effectivePolicy(_ target: Subscription) -> DeliveryPolicy {
        if let topicPolicy, !topicPolicy.overridable { return topicPolicy.policy }
        return target.deliveryPolicy ?? topicPolicy?.policy ?? DeliveryPolicy()
    }

    /// SNS message attributes as SQS message attributes (raw delivery).
    static func sqsAttributes(_ attributes: [String: SNSAttribute]) -> MessageAttributes {
        attributes.mapValues { attribute in
            if let bytes = attribute.binaryValue, attribute.dataType.hasPrefix("Binary") {
                return MessageAttribute(dataType: attribute.dataType, value: .binary(bytes))
            }
            return MessageAttribute(dataType: attribute.dataType, value: .string(attribute.stringValue ?? ""))
        }
    }
}
