import Foundation
import Testing
@testable import SluiceCore
@testable import SluiceTopics

@Suite struct EnvelopeTests {
    func publish(subject: String? = "Hi", attributes: [String: SNSAttribute] = [:]) -> TopicEngine.ValidPublish {
        TopicEngine.ValidPublish(messageId: "m-1", message: "hello \"world\"\n", perProtocol: [:], subject: subject, attributes: attributes,
                                 groupId: nil, deduplicationId: nil, deduplicationKey: nil, bytes: 5)
    }

    @Test func keysInAWSOrder() throws {
        let envelope = Envelope(topicArn: "arn:aws:sns:us-east-1:000000000000:t", publish: publish(attributes: [
            "b": SNSAttribute(dataType: "Binary", binaryValue: [2, 3, 4]), "a": SNSAttribute(dataType: "Number", stringValue: "1.5"),
        ]), timestamp: "2024-01-01T00:00:00.000Z", signatureVersion: "1", signatures: ["hello \"world\"\n": "SIG"],
                                certificateURL: "http://h/cert.pem", unsubscribeBase: "http://h/?Action=Unsubscribe&SubscriptionArn=", fifo: false)
        let json = envelope.json(subscriptionArn: "arn:aws:sns:us-east-1:000000000000:t:abc", protocol: "sqs", sequence: 7)
        let keys = ["Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion", "Signature", "SigningCertURL", "UnsubscribeURL", "MessageAttributes"]
        let positions = keys.map { json.range(of: "\"\($0)\":")!.lowerBound }
        #expect(positions == positions.sorted())
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["Message"] as? String == "hello \"world\"\n")
        #expect(object["UnsubscribeURL"] as? String == "http://h/?Action=Unsubscribe&SubscriptionArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3At%3Aabc")
        let attributes = try #require(object["MessageAttributes"] as? [String: [String: String]])
        #expect(attributes["a"] == ["Type": "Number", "Value": "1.5"])
        #expect(attributes["b"] == ["Type": "Binary", "Value": "AgME"])
        #expect(object["SequenceNumber"] == nil)
    }

    @Test func fifoCarriesSequenceAndNoSignatureAndOmitsEmptyParts() throws {
        let envelope = Envelope(topicArn: "arn:aws:sns:us-east-1:000000000000:t.fifo", publish: publish(subject: nil), timestamp: "2024-01-01T00:00:00.000Z",
                                signatureVersion: "1", signatures: [:], certificateURL: "c", unsubscribeBase: "u=", fifo: true)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(envelope.json(subscriptionArn: "s", protocol: "sqs", sequence: 5).utf8)) as? [String: Any])
        #expect(object["SequenceNumber"] as? String == "10000000000000000005")
        #expect(object["Signature"] == nil)
        #expect(object["Subject"] == nil)
        #expect(object["MessageAttributes"] == nil)
    }

    @Test func timestampsHaveMillisecondsAndZ() {
        #expect(AWSTime.iso8601(1_700_000_000_123) == "2023-11-14T22:13:20.123Z")
        #expect(AWSTime.iso8601(0) == "1970-01-01T00:00:00.000Z")
    }

    @Test func rawAttributesBecomeSQSAttributes() {
        let converted = DeliveryPlan.sqsAttributes([
            "s": SNSAttribute(dataType: "String", stringValue: "x"),
            "b": SNSAttribute(dataType: "Binary", binaryValue: [1]),
            "l": SNSAttribute(dataType: "String.Array", stringValue: "[\"a\"]"),
        ])
        #expect(converted["s"] == MessageAttribute(string: "x"))
        #expect(converted["b"] == MessageAttribute(dataType: "Binary", value: .binary([1])))
        #expect(converted["l"] == MessageAttribute(string: "[\"a\"]", dataType: "String.Array"))
    }
}
