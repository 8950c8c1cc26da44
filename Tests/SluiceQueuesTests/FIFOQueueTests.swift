import Testing
@testable import SluiceCore
@testable import SluiceQueues
@testable import SluiceStorage

@Suite struct FIFOQueueTests {
    func fifo(_ h: EngineHarness, _ extra: [String: String] = [:]) async throws -> QueueKey {
        try await h.queue("f.fifo", ["FifoQueue": "true", "ContentBasedDeduplication": "true"].merging(extra) { $1 })
    }

    @Test func orderAndGroupLock() async throws {
        let h = try await EngineHarness()
        let q = try await fifo(h)
        for body in ["a1", "a2", "a3"] { try await h.send(q, body, group: "a") }
        try await h.send(q, "b1", group: "b")
        let first = try await h.receive(q, max: 1)
        #expect(first.map(\.body) == ["a1"])
        // Group a is locked while a1 is in flight; b is free.
        #expect(try await h.bodies(q, max: 10) == ["b1"])
        #expect(try await h.bodies(q, max: 10).isEmpty)
        try await h.engine.deleteMessage(q, receiptHandle: first[0].receiptHandle)
        #expect(try await h.bodies(q, max: 10) == ["a2", "a3"])
    }

    @Test func groupUnlocksWhenVisibilityExpiresAndKeepsOrder() async throws {
        let h = try await EngineHarness()
        let q = try await fifo(h, ["VisibilityTimeout": "30"])
        for body in ["1", "2", "3"] { try await h.send(q, body, group: "g") }
        #expect(try await h.bodies(q, max: 2) == ["1", "2"])
        h.clock.advance(seconds: 31)
        let again = try await h.receive(q, max: 10)
        #expect(again.map(\.body) == ["1", "2", "3"])
        #expect(again[0].attributes["ApproximateReceiveCount"] == "2")
        #expect(again[2].attributes["ApproximateReceiveCount"] == "1")
    }

    @Test func extendedVisibilityKeepsGroupLocked() async throws {
        let h = try await EngineHarness()
        let q = try await fifo(h, ["VisibilityTimeout": "30"])
        try await h.send(q, "1", group: "g")
        try await h.send(q, "2", group: "g")
        let m = try await h.receive(q, max: 1)[0]
        try await h.engine.changeMessageVisibility(q, receiptHandle: m.receiptHandle, visibilityTimeout: 100)
        h.clock.advance(seconds: 60)
        #expect(try await h.bodies(q).isEmpty)
        h.clock.advance(seconds: 41)
        #expect(try await h.bodies(q) == ["1", "2"])
    }

    @Test func deduplication() async throws {
        let h = try await EngineHarness()
        let q = try await fifo(h)
        let a = try await h.send(q, "same", group: "g")
        let b = try await h.send(q, "same", group: "g")
        #expect(a.messageId == b.messageId)
        let c = try await h.send(q, "same", group: "g", dedup: "explicit")
        #expect(c.messageId != a.messageId)
        #expect(try await h.engine.counts(q).visible == 2)
        // Still deduplicated after delete, until five minutes pass.
        for m in try await h.receive(q) { try await h.engine.deleteMessage(q, receiptHandle: m.receiptHandle) }
        #expect(try await h.send(q, "same", group: "g").messageId == a.messageId)
        h.clock.advance(seconds: 301)
        #expect(try await h.send(q, "same", group: "g").messageId != a.messageId)
    }

    @Test func deduplicationScopeMessageGroup() async throws {
        let h = try await EngineHarness()
        let q = try await fifo(h, ["DeduplicationScope": "messageGroup"])
        let a = try await h.send(q, "x", group: "g1", dedup: "d")
        let b = try await h.send(q, "x", group: "g2", dedup: "d")
        let c = try await h.send(q, "x", group: "g1", dedup: "d")
        #expect(a.messageId != b.messageId)
        #expect(a.messageId == c.messageId)
    }

    @Test func sequenceNumbersIncrease() async throws {
        let h = try await EngineHarness()
        let q = try await fifo(h)
        var last = ""
        for i in 0..<20 {
            let sequence = try #require(try await h.send(q, "m\(i)", group: "g\(i % 3)").sequenceNumber)
            #expect(sequence.count == 20)
            #expect(sequence > last)
            last = sequence
        }
    }

    @Test func fifoRules() async throws {
        let h = try await EngineHarness()
        let q = try await h.queue("plain.fifo", ["FifoQueue": "true"])
        await #expect(throws: QueueError.missing("MessageGroupId")) { try await h.send(q, "x", dedup: "d") }
        await #expect(throws: QueueError.self) { try await h.send(q, "x", group: "g") }
        await #expect(throws: QueueError.self) { try await h.send(q, "x", group: "g", dedup: "d", delay: 5) }
        _ = try await h.send(q, "x", group: "g", dedup: "d", delay: 0)
    }

    @Test func expiredFifoHandleIsRejected() async throws {
        let h = try await EngineHarness()
        let q = try await fifo(h, ["VisibilityTimeout": "10"])
        try await h.send(q, "x", group: "g")
        let m = try await h.receive(q)[0]
        h.clock.advance(seconds: 11)
        await #expect(throws: QueueError.self) { try await h.engine.deleteMessage(q, receiptHandle: m.receiptHandle) }
    }

    @Test func receiveRequestAttemptIdReturnsSameMessages() async throws {
        let h = try await EngineHarness()
        let q = try await fifo(h)
        try await h.send(q, "x", group: "g")
        let request = ReceiveRequest(maxNumberOfMessages: 1, receiveRequestAttemptId: "attempt-1")
        let first = try await h.engine.receiveMessage(q, request)
        let second = try await h.engine.receiveMessage(q, request)
        #expect(first == second)
        #expect(first.count == 1)
    }
}
