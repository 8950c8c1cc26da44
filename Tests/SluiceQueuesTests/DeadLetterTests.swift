import Foundation
import Testing
@testable import SluiceCore
@testable import SluiceQueues
@testable import SluiceStorage

@Suite struct DeadLetterTests {
    func redrive(_ dlq: String, _ count: Int) -> [String: String] {
        ["RedrivePolicy": "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:\(dlq)\",\"maxReceiveCount\":\(count)}", "VisibilityTimeout": "10"]
    }

    @Test func movesAfterMaxReceiveCount() async throws {
        let h = try await EngineHarness()
        let dlq = try await h.queue("dlq")
        let q = try await h.queue("src", redrive("dlq", 2))
        let sent = try await h.send(q, "poison")
        for _ in 0..<2 {
            #expect(try await h.bodies(q) == ["poison"])
            h.clock.advance(seconds: 11)
        }
        #expect(try await h.bodies(q).isEmpty)
        let moved = try await h.receive(dlq)
        #expect(moved.map(\.messageId) == [sent.messageId])
        #expect(moved[0].attributes["DeadLetterQueueSourceArn"] == "arn:aws:sqs:us-east-1:000000000000:src")
        #expect(moved[0].attributes["ApproximateReceiveCount"] == "3")
        let sources = try h.engine.listDeadLetterSourceQueues(dlq, maxResults: nil, nextToken: nil)
        #expect(sources.queues.map(\.name) == ["src"])
    }

    @Test func redriveValidation() async throws {
        let h = try await EngineHarness()
        await #expect(throws: QueueError.self) { try await h.queue("src", redrive("missing", 2)) }
        _ = try await h.queue("fdlq.fifo", ["FifoQueue": "true"])
        await #expect(throws: QueueError.self) { try await h.queue("src", redrive("fdlq.fifo", 2)) }
        _ = try await h.queue("closed", ["RedriveAllowPolicy": #"{"redrivePermission":"denyAll"}"#])
        await #expect(throws: QueueError.self) { try await h.queue("src", redrive("closed", 2)) }
        _ = try await h.queue("picky", ["RedriveAllowPolicy": #"{"redrivePermission":"byQueue","sourceQueueArns":["arn:aws:sqs:us-east-1:000000000000:src"]}"#])
        _ = try await h.queue("src", redrive("picky", 2))
        await #expect(throws: QueueError.self) { try await h.queue("other", redrive("picky", 2)) }
    }

    @Test func moveTaskRedrivesBackToSource() async throws {
        let h = try await EngineHarness()
        let dlq = try await h.queue("dlq")
        let q = try await h.queue("src", redrive("dlq", 1))
        for i in 0..<5 { try await h.send(q, "m\(i)") }
        _ = try await h.receive(q)
        h.clock.advance(seconds: 11)
        #expect(try await h.bodies(q).isEmpty)
        #expect(try await h.engine.counts(dlq).visible == 5)
        await #expect(throws: QueueError.self) {
            try await h.engine.startMessageMoveTask(sourceArn: "arn:aws:sqs:us-east-1:000000000000:src", destinationArn: nil, maxPerSecond: nil)
        }
        let handle = try await h.engine.startMessageMoveTask(sourceArn: "arn:aws:sqs:us-east-1:000000000000:dlq", destinationArn: nil, maxPerSecond: 10)
        await #expect(throws: QueueError.self) {
            try await h.engine.startMessageMoveTask(sourceArn: "arn:aws:sqs:us-east-1:000000000000:dlq", destinationArn: nil, maxPerSecond: nil)
        }
        let runner = Task { await h.engine.run() }
        var status = ""
        for _ in 0..<50 where status != "COMPLETED" {
            try await Task.sleep(nanoseconds: 100_000_000)
            status = try await h.engine.listMessageMoveTasks(sourceArn: "arn:aws:sqs:us-east-1:000000000000:dlq", maxResults: 1)[0].status
        }
        runner.cancel()
        h.engine.moveTaskSignal.fire()
        #expect(status == "COMPLETED")
        let task = try await h.engine.listMessageMoveTasks(sourceArn: "arn:aws:sqs:us-east-1:000000000000:dlq", maxResults: 10)[0]
        #expect(task.approximateNumberOfMessagesMoved == 5)
        #expect(task.approximateNumberOfMessagesToMove == 5)
        #expect(task.taskHandle == nil)
        #expect(try await h.engine.counts(q).visible == 5)
        #expect(try await h.engine.counts(dlq).visible == 0)
        await #expect(throws: QueueError.self) { try await h.engine.cancelMessageMoveTask(taskHandle: handle) }
        await #expect(throws: QueueError.self) { try await h.engine.cancelMessageMoveTask(taskHandle: "nope") }
    }
}
