import Foundation
import Testing
@testable import SluiceCore
@testable import SluiceFunctions
@testable import SluiceQueues

@Suite struct BatchItemFailureTests {
    let ids: Set<String> = ["a", "b", "c"]

    func failed(_ text: String) -> Set<String>? { SQSEvent.failedItems(Array(text.utf8), batchIds: ids) }

    @Test func answersThatMeanCompleteSuccess() {
        for text in ["", "null", "{}", "{\"batchItemFailures\":[]}", "{\"batchItemFailures\":null}", "  \n"] {
            #expect(failed(text) == [], "\(text)")
        }
    }

    @Test func reportedIdentifiersFail() {
        #expect(failed("{\"batchItemFailures\":[{\"itemIdentifier\":\"b\"}]}") == ["b"])
        #expect(failed("{\"batchItemFailures\":[{\"itemIdentifier\":\"a\"},{\"itemIdentifier\":\"c\"}]}") == ["a", "c"])
    }

    @Test func malformedAnswersFailTheWholeBatch() {
        for text in ["[{\"foo\":\"notvalid\"}]", "{\"batchItemFailures\":[{\"itemIdentifier\":\"\"}]}",
                     "{\"batchItemFailures\":[{\"itemIdentifier\":null}]}", "{\"batchItemFailures\":[{\"id\":\"a\"}]}",
                     "{\"batchItemFailures\":[{\"itemIdentifier\":\"zzz\"}]}", "{\"batchItemFailures\":\"a\"}", "not json", "\"done\"", "42"] {
            #expect(failed(text) == nil, "\(text)")
        }
    }
}

@Suite struct SucceededMessagesTests {
    func message(_ id: String, group: String? = nil) -> DeliveredMessage {
        DeliveredMessage(messageId: id, receiptHandle: "r-\(id)", md5OfBody: "", body: id,
                         attributes: group.map { ["MessageGroupId": $0] } ?? [:], md5OfMessageAttributes: nil, messageAttributes: [:])
    }

    func answer(_ failed: [String]) -> InvocationResult {
        .success(Array("{\"batchItemFailures\":[\(failed.map { "{\"itemIdentifier\":\"\($0)\"}" }.joined(separator: ","))]}".utf8))
    }

    @Test func functionErrorKeepsEverything() {
        let batch = [message("a"), message("b")]
        #expect(MappingRunner.succeeded(batch, .error(type: "E", message: "x"), fifo: false, reportsFailures: true).isEmpty)
        #expect(MappingRunner.succeeded(batch, .error(type: "E", message: "x"), fifo: false, reportsFailures: false).isEmpty)
    }

    @Test func withoutReportingAnySuccessDeletesAll() {
        let batch = [message("a"), message("b")]
        #expect(MappingRunner.succeeded(batch, answer(["a"]), fifo: false, reportsFailures: false).map(\.messageId) == ["a", "b"])
    }

    @Test func standardQueueReturnsOnlyReportedOnes() {
        let batch = [message("a"), message("b"), message("c")]
        #expect(MappingRunner.succeeded(batch, answer(["b"]), fifo: false, reportsFailures: true).map(\.messageId) == ["a", "c"])
    }

    @Test func fifoGroupStopsAtItsFirstFailure() {
        let batch = [message("a1", group: "A"), message("b1", group: "B"), message("a2", group: "A"), message("b2", group: "B"), message("a3", group: "A")]
        let done = MappingRunner.succeeded(batch, answer(["a2"]), fifo: true, reportsFailures: true)
        #expect(done.map(\.messageId) == ["a1", "b1", "b2"])
    }
}

@Suite struct MappingValidationTests {
    func mapping(_ change: (inout MappingConfig) -> Void) -> MappingConfig {
        var mapping = MappingConfig(uuid: "u", functionName: "f", eventSourceArn: "arn:aws:sqs:us-east-1:000000000000:q", lastModified: 0, origin: "api")
        change(&mapping)
        return mapping
    }

    func rejects(_ mapping: MappingConfig, fifo: Bool = false) -> Bool {
        do {
            try mapping.validate(fifo: fifo)
            return false
        } catch {
            return error.code == "InvalidParameterValueException" && error.status == 400
        }
    }

    @Test func batchSizeLimits() throws {
        try mapping { $0.batchSize = 10 }.validate(fifo: true)
        try mapping { $0.batchSize = 10_000; $0.batchingWindowSeconds = 1 }.validate(fifo: false)
        #expect(rejects(mapping { $0.batchSize = 0 }))
        #expect(rejects(mapping { $0.batchSize = 10_001; $0.batchingWindowSeconds = 1 }))
        #expect(rejects(mapping { $0.batchSize = 11; $0.batchingWindowSeconds = 1 }, fifo: true))
    }

    @Test func largeBatchesNeedAWindow() {
        #expect(rejects(mapping { $0.batchSize = 11 }))
        #expect(!rejects(mapping { $0.batchSize = 11; $0.batchingWindowSeconds = 1 }))
        #expect(rejects(mapping { $0.batchingWindowSeconds = 301 }))
    }

    @Test func maximumConcurrencyRange() {
        #expect(rejects(mapping { $0.maximumConcurrency = 1 }))
        #expect(rejects(mapping { $0.maximumConcurrency = 1001 }))
        #expect(!rejects(mapping { $0.maximumConcurrency = 2 }))
    }

    @Test func filterPatternsMustParse() {
        #expect(!rejects(mapping { $0.filters = ["{\"body\":{\"kind\":[\"a\"]}}"] }))
        #expect(rejects(mapping { $0.filters = ["{\"body\":"] }))
        #expect(rejects(mapping { $0.filters = Array(repeating: "{\"body\":[\"x\"]}", count: 6) }))
    }

    @Test func apiShape() throws {
        let text = mapping { $0.reportBatchItemFailures = true; $0.maximumConcurrency = 3; $0.lastModified = 1_700_000_000_500 }
            .json(region: "us-east-1", account: "000000000000", functionArn: "arn:aws:lambda:us-east-1:000000000000:function:f", state: "Creating")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["State"] as? String == "Creating")
        #expect(object["FunctionResponseTypes"] as? [String] == ["ReportBatchItemFailures"])
        #expect((object["ScalingConfig"] as? [String: Int])?["MaximumConcurrency"] == 3)
        #expect(object["LastModified"] as? Double == 1_700_000_000.5)
        #expect(object["EventSourceMappingArn"] as? String == "arn:aws:lambda:us-east-1:000000000000:event-source-mapping:u")
    }
}

@Suite struct SQSEventTests {
    @Test func recordShapeAsLambdaSendsIt() throws {
        let message = DeliveredMessage(
            messageId: "m1", receiptHandle: "rh", md5OfBody: "098f6bcd4621d373cade4e832627b4f6", body: "test",
            attributes: ["ApproximateReceiveCount": "1", "SentTimestamp": "1545082649183", "SenderId": "AIDA", "ApproximateFirstReceiveTimestamp": "1545082649185"],
            md5OfMessageAttributes: "d25a6aea97eb8f585bfa92d314504a92",
            messageAttributes: ["Author": MessageAttribute(string: "John"), "Blob": MessageAttribute(dataType: "Binary", value: .binary([1, 2, 3]))])
        let text = SQSEvent.record(message, queueArn: "arn:aws:sqs:us-east-2:123456789012:my-queue", region: "us-east-2")
        #expect(text.hasPrefix("{\"messageId\":\"m1\",\"receiptHandle\":\"rh\",\"body\":\"test\",\"attributes\":{\"ApproximateReceiveCount\":\"1\",\"SentTimestamp\""))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["eventSource"] as? String == "aws:sqs")
        #expect(object["eventSourceARN"] as? String == "arn:aws:sqs:us-east-2:123456789012:my-queue")
        #expect(object["awsRegion"] as? String == "us-east-2")
        let attributes = try #require(object["messageAttributes"] as? [String: [String: Any]])
        #expect(attributes["Author"]?["stringValue"] as? String == "John")
        #expect(attributes["Author"]?["stringListValues"] as? [Any] != nil)
        #expect(attributes["Blob"]?["binaryValue"] as? String == "AQID")
    }

    @Test func noAttributesMeansNullDigest() throws {
        let message = DeliveredMessage(messageId: "m", receiptHandle: "r", md5OfBody: "x", body: "{\"k\":1}", attributes: [:],
                                       md5OfMessageAttributes: nil, messageAttributes: [:])
        let text = SQSEvent.record(message, queueArn: "arn:aws:sqs:us-east-1:000000000000:q", region: "us-east-1")
        #expect(text.contains("\"md5OfMessageAttributes\":null"))
        #expect(text.contains("\"messageAttributes\":{}"))
        // Filter patterns see a JSON body as JSON.
        let parsed = SQSEvent.record(message, queueArn: "arn:aws:sqs:us-east-1:000000000000:q", region: "us-east-1", parsedBody: true)
        #expect(parsed.contains("\"body\":{\"k\":1}"))
    }
}
