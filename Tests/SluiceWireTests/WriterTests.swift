import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import SluiceCore
@testable import SluiceWire

@Suite struct WriterTests {
    let sample: [WireField] = [
        .scalar("QueueUrl", .string("http://h/1/q")),
        .list(json: "QueueUrls", xml: "QueueUrl", wrapped: false, [.scalar(.string("a")), .scalar(.string("b"))]),
        .map(json: "Attributes", xml: "Attribute", key: "Name", value: "Value", wrapped: false,
             [("k1", .scalar(.string("v1"))), ("k2", .scalar(.string("v2")))]),
        .list(json: "Messages", xml: "Message", wrapped: false, [.structure([.scalar("Body", .string("<&>\"'\r\n")), .scalar("N", .int(7))])]),
    ]

    @Test func jsonIsValidAndShaped() throws {
        let text = JSONWriter.object(sample)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["QueueUrl"] as? String == "http://h/1/q")
        #expect(object["QueueUrls"] as? [String] == ["a", "b"])
        #expect(object["Attributes"] as? [String: String] == ["k1": "v1", "k2": "v2"])
        let message = try #require((object["Messages"] as? [[String: Any]])?.first)
        #expect(message["Body"] as? String == "<&>\"'\r\n")
        #expect(message["N"] as? Int == 7)
    }

    @Test(arguments: 0..<40) func jsonEscapingRoundTripsAnyText(seed: Int) throws {
        var generator = SeededGenerator(seed: UInt64(seed + 100))
        let scalars = (0..<Int.random(in: 0...60, using: &generator)).compactMap { _ -> Character? in
            let pick = UInt32.random(in: 0...0x2FFF, using: &generator)
            return UnicodeScalar(pick).map(Character.init)
        }
        let text = String(scalars)
        var out = ""
        JSONWriter.quote(text, into: &out)
        let parsed = try JSONSerialization.jsonObject(with: Data(out.utf8), options: [.fragmentsAllowed]) as? String
        #expect(parsed == text)
    }

    @Test func xmlIsWellFormedAndFlattened() throws {
        let xml = XMLWriter.response(action: "ReceiveMessage", namespace: "http://queue.amazonaws.com/doc/2012-11-05/", fields: sample, requestId: "r1")
        #expect(xml.contains("<QueueUrl>a</QueueUrl><QueueUrl>b</QueueUrl>"))
        #expect(xml.contains("<Attribute><Name>k1</Name><Value>v1</Value></Attribute>"))
        #expect(xml.contains("<Body>&lt;&amp;&gt;&quot;&apos;&#xD;\n</Body>"))
        let parser = XMLParser(data: Data(xml.utf8))
        #expect(parser.parse())
    }

    @Test func xmlWithoutResult() {
        let xml = XMLWriter.response(action: "DeleteQueue", namespace: "ns", fields: nil, requestId: "r")
        #expect(!xml.contains("DeleteQueueResult"))
        #expect(xml.contains("<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>"))
    }

    @Test func wrappedCollectionsForSNS() {
        let fields: [WireField] = [
            .list(json: "Topics", xml: "Topics", wrapped: true, [.structure([.scalar("TopicArn", .string("t"))])]),
            .map(json: "Attributes", xml: "Attributes", key: "key", value: "value", wrapped: true, [("a", .scalar(.string("b")))]),
        ]
        let xml = XMLWriter.response(action: "X", namespace: "ns", fields: fields, requestId: "r")
        #expect(xml.contains("<Topics><member><TopicArn>t</TopicArn></member></Topics>"))
        #expect(xml.contains("<Attributes><entry><key>a</key><value>b</value></entry></Attributes>"))
    }

    @Test func errorDocument() throws {
        let xml = XMLWriter.error(namespace: "ns", type: "Sender", code: "AWS.SimpleQueueService.NonExistentQueue", message: "a < b", requestId: "r")
        #expect(xml.contains("<Code>AWS.SimpleQueueService.NonExistentQueue</Code>"))
        #expect(xml.contains("<Message>a &lt; b</Message>"))
        #expect(XMLParser(data: Data(xml.utf8)).parse())
    }

    @Test func everyErrorCodeHasAnAWSShape() {
        for code in QueueError.Code.allCases {
            let shape = SQSErrorTable.shape(for: code)
            #expect(!shape.shape.isEmpty && !shape.queryCode.isEmpty)
            #expect(shape.fault == (code == .internalFailure ? "Receiver" : "Sender"))
            #expect((400..<600).contains(shape.status))
        }
        #expect(SQSErrorTable.shape(for: .queueDoesNotExist).queryCode == "AWS.SimpleQueueService.NonExistentQueue")
        #expect(SQSErrorTable.shape(for: .purgeQueueInProgress).status == 403)
        #expect(SQSErrorTable.shape(for: .resourceNotFound).status == 404)
        #expect(SQSErrorTable.queryMessage(for: .queueDoesNotExist) == "The specified queue does not exist for this wsdl version.")
    }
}
