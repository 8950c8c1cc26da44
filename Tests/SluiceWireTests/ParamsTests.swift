import Foundation
import Testing
@testable import SluiceCore
@testable import SluiceWire

@Suite struct ParamsTests {
    @Test func formDecoding() throws {
        let fields = try QueryParams.decodeForm("Action=SendMessage&MessageBody=a+b%26c%3D%F0%9F%98%80&Empty=&Flag")
        #expect(fields["Action"] == "SendMessage")
        #expect(fields["MessageBody"] == "a b&c=😀")
        #expect(fields["Empty"] == "")
        #expect(fields["Flag"] == "")
        #expect(throws: QueueError.self) { try QueryParams.decodeForm("bad=%ZZ") }
    }

    @Test(arguments: 0..<40) func formRoundTrip(seed: Int) throws {
        var generator = SeededGenerator(seed: UInt64(seed + 7))
        var expected = [String: String]()
        var pairs = [String]()
        let allowed = CharacterSet.alphanumerics.subtracting(CharacterSet(charactersIn: "+&="))
        for index in 0..<Int.random(in: 1...8, using: &generator) {
            let value = String((0..<Int.random(in: 0...20, using: &generator)).compactMap { _ in
                UnicodeScalar(UInt32.random(in: 0x20...0x24FF, using: &generator)).map(Character.init)
            })
            expected["k\(index)"] = value
            pairs.append("k\(index)=" + value.addingPercentEncoding(withAllowedCharacters: allowed)!)
        }
        #expect(try QueryParams.decodeForm(pairs.joined(separator: "&")) == expected)
    }

    @Test func queryFlattening() throws {
        let params = QueryParams(fields: [
            "Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "60",
            "Attribute.2.Name": "DelaySeconds", "Attribute.2.Value": "5",
            "AttributeName.2": "B", "AttributeName.1": "A", "AttributeName.10": "C",
            "MessageAttribute.1.Name": "n", "MessageAttribute.1.Value.DataType": "Number", "MessageAttribute.1.Value.StringValue": "1",
            "MessageAttribute.2.Name": "b", "MessageAttribute.2.Value.DataType": "Binary", "MessageAttribute.2.Value.BinaryValue": "AQI=",
            "SendMessageBatchRequestEntry.1.Id": "x", "SendMessageBatchRequestEntry.1.MessageBody": "hi",
            "SendMessageBatchRequestEntry.2.Id": "y", "SendMessageBatchRequestEntry.2.MessageBody": "yo",
            "SendMessageBatchRequestEntry.2.MessageAttribute.1.Name": "a",
            "SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.DataType": "String",
            "SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.StringValue": "v",
            "MaxNumberOfMessages": "10",
        ])
        #expect(try params.stringMap("Attributes", query: "Attribute", key: "Name", value: "Value") == ["VisibilityTimeout": "60", "DelaySeconds": "5"])
        #expect(try params.strings("AttributeNames", query: "AttributeName") == ["A", "B", "C"])
        let attributes = try params.messageAttributes("MessageAttributes", query: "MessageAttribute")
        #expect(attributes["n"] == MessageAttribute(string: "1", dataType: "Number"))
        #expect(attributes["b"] == MessageAttribute(dataType: "Binary", value: .binary([1, 2])))
        let entries = try params.entries("Entries", query: "SendMessageBatchRequestEntry")
        #expect(entries.count == 2)
        #expect(try entries[1].string("MessageBody") == "yo")
        #expect(try entries[1].messageAttributes("MessageAttributes", query: "MessageAttribute")["a"]?.stringValue == "v")
        #expect(try params.int("MaxNumberOfMessages") == 10)
        #expect(throws: QueueError.self) { try QueryParams(fields: ["X": "abc"]).int("X") }
    }

    @Test func jsonParams() throws {
        let body = #"{"QueueUrl":"u","MaxNumberOfMessages":5,"WaitTimeSeconds":"3","AttributeNames":["All"],"Attributes":{"DelaySeconds":"1","Flag":true},"MessageAttributes":{"b":{"DataType":"Binary","BinaryValue":"AQI="}},"Entries":[{"Id":"1"}]}"#
        let params = try JSONParams(body: Array(body.utf8))
        #expect(try params.string("QueueUrl") == "u")
        #expect(try params.int("MaxNumberOfMessages") == 5)
        #expect(try params.int("WaitTimeSeconds") == 3)
        #expect(try params.strings("AttributeNames", query: "") == ["All"])
        #expect(try params.stringMap("Attributes", query: "", key: "", value: "") == ["DelaySeconds": "1", "Flag": "true"])
        #expect(try params.messageAttributes("MessageAttributes", query: "")["b"]?.binaryValue == [1, 2])
        #expect(try params.entries("Entries", query: "").count == 1)
        #expect(throws: QueueError.self) { try JSONParams(body: Array("{not json".utf8)) }
        #expect(throws: QueueError.self) { try JSONParams(body: Array("[1]".utf8)) }
        #expect(throws: QueueError.self) { try JSONParams(body: Array(#"{"A":[1]}"#.utf8)).strings("A", query: "") }
        #expect(try JSONParams(body: []).string("x") == nil)
    }

    @Test func jsonParamsSurviveArbitraryBytes() {
        var generator = SeededGenerator(seed: 99)
        for _ in 0..<300 {
            let bytes = (0..<Int.random(in: 0...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = try? JSONParams(body: bytes)
        }
    }

    @Test func sigV4Credential() throws {
        let header = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/sqs/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=abc123"
        let credential = try #require(SigV4Credential(authorization: header))
        #expect(credential.accessKeyId == "AKIDEXAMPLE")
        #expect(credential.region == "us-east-1")
        #expect(credential.service == "sqs")
        #expect(credential.signedHeaders == ["content-type", "host", "x-amz-date"])
        #expect(credential.signature == "abc123")
        #expect(SigV4Credential(authorization: "Basic abc") == nil)
        #expect(SigV4Credential(authorization: "AWS4-HMAC-SHA256 Credential=bad") == nil)
    }
}
