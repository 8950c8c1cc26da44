import Foundation
import Testing
@testable import SluiceCore
@testable import SluiceQueues
@testable import SluiceStorage

@Suite struct StandardQueueTests {
    @Test func sendReceiveDelete() async throws {
        let h = try await EngineHarness()
        let q = try await h.queue("q")
        let sent = try await h.send(q, "message-1")
        #expect(sent.md5OfMessageBody == "3d6b824fd8c1520e9a047d21fee6fb1f")
        #expect(sent.sequenceNumber == nil)
        let got = try await h.receive(q)
        #expect(got.map(\.messageId) == [sent.messageId])
        #expect(got[0].attributes["ApproximateReceiveCount"] == "1")
        #expect(got[0].attributes["SentTimestamp"] == String(h.clock.now()))
        #expect(try await h.engine.counts(q) == QueueCounts(visible: 0, notVisible: 1, delayed: 0))
        try await h.engine.deleteMessage(q, receiptHandle: got[0].receiptHandle)
        #expect(try await h.engine.counts(q) == QueueCounts())
        // Deleting again with the same handle succeeds.
        try await h.engine.deleteMessage(q, receiptHandle: got[0].receiptHandle)
    }

    @Test func visibilityTimeoutReturnsMessage() async throws {
        let h = try await EngineHarness()
        let q = try await h.queue("q", ["VisibilityTimeout": "30"])
        try await h.send(q, "a")
        #expect(try await h.bodies(q) == ["a"])
        h.clock.advance(seconds: 29.9)
        #expect(try await h.bodies(q).isEmpty)
        h.clock.advance(seconds: 0.2)
        let again = try await h.receive(q, visibility: 5)
        #expect(again.map(\.body) == ["a"])
        #expect(again[0].attributes["ApproximateReceiveCount"] == "2")
        h.clock.advance(seconds: 5)
        #expect(try await h.bodies(q) == ["a"])
    }

    @Test func zeroVisibilityReceivesEachMessageOncePerCall() async throws {
        let h = try await EngineHarness()
        let q = try await h.queue("q")
        try await h.send(q, "a")
        try await h.send(q, "b")
        let first = try await h.receive(q, max: 10, visibility: 0)
        #expect(first.map(\.body).sorted() == ["a", "b"])
        // Still visible: the next call gets them again, once each.
        let second = try await h.receive(q, max: 10, visibility: 0)
        #expect(second.map(\.body).sorted() == ["a", "b"])
        #expect(second.allSatisfy { $0.attributes["ApproximateReceiveCount"] == "2" })
    }

    @Test func changeVisibility() async throws {
        let h = try await EngineHarness()
        let q = try await h.queue("q")
        try await h.send(q, "a")
        let m = try await h.receive(q)[0]
        try await h.engine.changeMessageVisibility(q, receiptHandle: m.receiptHandle, visibilityTimeout: 0)
        let again = try await h.receive(q)[0]
        #expect(again.body == "a")
        #expect(again.receiptHandle != m.receiptHandle)
        // 12 hours from this receive is the cap.
        h.clock.advance(seconds: 3600)
        await #expect(throws: QueueError.self) {
            try await h.engine.changeMessageVisibility(q, receiptHandle: again.receiptHandle, visibilityTimeout: 43200)
        }
        try await h.engine.changeMessageVisibility(q, receiptHandle: again.receiptHandle, visibilityTimeout: 39600)
        await #expect(throws: QueueError.self) {
            try await h.engine.changeMessageVisibility(q, receiptHandle: "garbage", visibilityTimeout: 1)
        }
    }

    @Test func delays() async throws {
        let h = try await EngineHarness()
        let q = try await h.queue("q", ["DelaySeconds": "10"])
        try await h.send(q, "queue-delay")
        try await h.send(q, "no-delay", delay: 0)
        #expect(try await h.engine.counts(q) == QueueCounts(visible: 1, notVisible: 0, delayed: 1))
        #expect(try await h.bodies(q) == ["no-delay"])
        h.clock.advance(seconds: 10)
        #expect(try await h.bodies(q) == ["queue-delay"])
        await #expect(throws: QueueError.self) { try await h.send(q, "x", delay: 901) }
    }

    @Test func retentionExpiresAndReclaims() async throws {
        let h = try await EngineHarness()
        let q = try await h.queue("q", ["MessageRetentionPeriod": "60"])
        try await h.send(q, "old")
        h.clock.advance(seconds: 30)
        try await h.send(q, "young")
        h.clock.advance(seconds: 31)
        #expect(try await h.store.nextExpiry() != nil)
        let reaped = try await h.store.reapExpired(now: h.clock.now(), limit: 100)
        #expect(reaped == 1)
        #expect(try await h.bodies(q) == ["young"])
    }

    @Test func expiredMessageIsNeverDeliveredEvenBeforeReaping() async throws {
        let h = try await EngineHarness()
        let q = try await h.queue("q", ["MessageRetentionPeriod": "60"])
        try await h.send(q, "old")
        h.clock.advance(seconds: 61)
        #expect(try await h.bodies(q).isEmpty)
    }

    @Test func messageAttributeSelectionAndMD5() async throws {
        let h = try await EngineHarness()
        let q = try await h.queue("q")
        let attributes: MessageAttributes = [
            "order.id": MessageAttribute(string: "1"), "order.kind": MessageAttribute(string: "x"), "other": MessageAttribute(string: "y"),
        ]
        let sent = try await h.engine.sendMessage(q, SendRequest(body: "b", attributes: attributes), senderId: "s")
        #expect(sent.md5OfMessageAttributes == attributes.md5())
        let selected = QueueEngine.select(attributes, names: ["order.*"])
        #expect(Set(selected.keys) == ["order.id", "order.kind"])
        #expect(QueueEngine.select(attributes, names: ["other", "missing"]).keys.sorted() == ["other"])
        #expect(QueueEngine.select(attributes, names: []).isEmpty)
        let got = try await h.engine.receiveMessage(q, ReceiveRequest(messageAttributeNames: ["other"]))
        #expect(got[0].md5OfMessageAttributes == ["other": MessageAttribute(string: "y")].md5())
    }

    @Test func sendValidation() async throws {
        let h = try await EngineHarness()
        let q = try await h.queue("q", ["MaximumMessageSize": "1024"])
        await #expect(throws: QueueError(.invalidParameterValue, "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.")) {
            try await h.send(q, String(repeating: "x", count: 1025))
        }
        await #expect(throws: QueueError.self) { try await h.send(q, "bad\u{0}") }
        await #expect(throws: QueueError.missing("MessageBody")) { try await h.send(q, "") }
        await #expect(throws: QueueError.self) { try await h.send(q, "x", dedup: "d") }
        var many = MessageAttributes()
        for i in 0..<11 { many["a\(i)"] = MessageAttribute(string: "v") }
        await #expect(throws: QueueError.self) { try await h.engine.sendMessage(q, SendRequest(body: "x", attributes: many), senderId: "s") }
        await #expect(throws: QueueError.self) {
            try await h.engine.sendMessage(q, SendRequest(body: "x", attributes: ["n": MessageAttribute(string: "abc", dataType: "Number")]), senderId: "s")
        }
        await #expect(throws: QueueError.self) {
            try await h.engine.sendMessage(q, SendRequest(body: "x", attributes: ["n": MessageAttribute(string: "1", dataType: "Float")]), senderId: "s")
        }
        _ = try await h.engine.sendMessage(q, SendRequest(body: "x", attributes: ["n": MessageAttribute(string: "1.5", dataType: "Number.float")]), senderId: "s")
    }

    @Test func batchRules() async throws {
        let h = try await EngineHarness()
        let q = try await h.queue("q")
        let entry = { (id: String) in BatchEntry(id: id, value: SendRequest(body: "b")) }
        await #expect(throws: QueueError.self) { try await h.engine.sendMessageBatch(q, [], senderId: "s") }
        await #expect(throws: QueueError.self) { try await h.engine.sendMessageBatch(q, (0..<11).map { entry("e\($0)") }, senderId: "s") }
        await #expect(throws: QueueError.self) { try await h.engine.sendMessageBatch(q, [entry("a"), entry("a")], senderId: "s") }
        await #expect(throws: QueueError.self) { try await h.engine.sendMessageBatch(q, [entry("bad id")], senderId: "s") }
        let results = try await h.engine.sendMessageBatch(q, [entry("ok"), BatchEntry(id: "bad", value: SendRequest(body: "\u{1}"))], senderId: "s")
        #expect(results.map(\.id) == ["ok", "bad"])
        #expect((try? results[0].result.get()) != nil)
        #expect((try? results[1].result.get()) == nil)
        #expect(try await h.engine.counts(q).visible == 1)
    }

    @Test func createQueueIdempotencyAndNames() async throws {
        let h = try await EngineHarness()
        _ = try await h.queue("q", ["VisibilityTimeout": "60"])
        _ = try await h.queue("q", ["VisibilityTimeout": "60"])
        _ = try await h.queue("q")
        await #expect(throws: QueueError.self) { try await h.queue("q", ["VisibilityTimeout": "61"]) }
        await #expect(throws: QueueError.self) { try await h.queue("bad name") }
        await #expect(throws: QueueError.self) { try await h.queue("q.fifo") }
        await #expect(throws: QueueError.self) { try await h.queue("plain", ["FifoQueue": "true"]) }
        try await h.engine.deleteQueue(QueueKey(account: "000000000000", name: "q"))
        await #expect(throws: QueueError.self) { try await h.queue("q") }
        h.clock.advance(seconds: 61)
        _ = try await h.queue("q")
    }

    @Test func purgeOncePerMinute() async throws {
        let h = try await EngineHarness()
        let q = try await h.queue("q")
        try await h.send(q, "a")
        try await h.engine.purgeQueue(q)
        #expect(try await h.engine.counts(q) == QueueCounts())
        await #expect(throws: QueueError.self) { try await h.engine.purgeQueue(q) }
        h.clock.advance(seconds: 60)
        try await h.engine.purgeQueue(q)
    }

    @Test func stateSurvivesReopen() async throws {
        let h = try await EngineHarness()
        let q = try await h.queue("q", ["VisibilityTimeout": "100"])
        try await h.send(q, "kept")
        try await h.send(q, "inflight")
        try await h.send(q, "deleted")
        let all = try await h.receive(q)
        for message in all where message.body == "kept" {
            try await h.engine.changeMessageVisibility(q, receiptHandle: message.receiptHandle, visibilityTimeout: 0)
        }
        for message in all where message.body == "deleted" {
            try await h.engine.deleteMessage(q, receiptHandle: message.receiptHandle)
        }
        let r = try await h.reopened()
        #expect(try await r.engine.counts(q) == QueueCounts(visible: 1, notVisible: 1, delayed: 0))
        #expect(try await r.engine.getQueueAttributes(q, names: ["VisibilityTimeout"]) == ["VisibilityTimeout": "100"])
        let again = try await r.receive(q)
        #expect(again.map(\.body) == ["kept"])
        #expect(again[0].attributes["ApproximateReceiveCount"] == "2")
    }

    @Test func inFlightLimit() async throws {
        let h = try await EngineHarness(maxInFlight: 3)
        let q = try await h.queue("q")
        let f = try await h.queue("f.fifo", ["FifoQueue": "true", "ContentBasedDeduplication": "true"])
        for i in 0..<5 {
            try await h.send(q, "m\(i)")
            try await h.send(f, "m\(i)", group: "g\(i)")
        }
        #expect(try await h.receive(q, max: 3).count == 3)
        #expect(try await h.receive(f, max: 3).count == 3)
        h.clock.advance(seconds: 1.1)
        await #expect(throws: QueueError(.overLimit, "The maximum number of in flight messages is reached.")) { try await h.receive(q) }
        #expect(try await h.receive(f).isEmpty)
    }

    @Test func longPollWakesOnSend() async throws {
        let h = try await EngineHarness()
        let q = try await h.queue("q")
        let started = Date()
        async let received = h.engine.receiveMessage(q, ReceiveRequest(waitTimeSeconds: 20))
        try await Task.sleep(nanoseconds: 100_000_000)
        try await h.send(q, "wake")
        let messages = try await received
        #expect(messages.map(\.body) == ["wake"])
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test func permissionsEditPolicy() async throws {
        let h = try await EngineHarness()
        let q = try await h.queue("q")
        try await h.engine.addPermission(q, label: "L1", accounts: ["111111111111"], actions: ["SendMessage"])
        let policy = try await h.engine.getQueueAttributes(q, names: ["Policy"])["Policy"]!
        let json = try JSONSerialization.jsonObject(with: Data(policy.utf8)) as! [String: Any]
        let statement = (json["Statement"] as! [[String: Any]])[0]
        #expect(statement["Sid"] as? String == "L1")
        #expect(statement["Action"] as? String == "SQS:SendMessage")
        #expect((statement["Principal"] as? [String: Any])?["AWS"] as? String == "arn:aws:iam::111111111111:root")
        await #expect(throws: QueueError.self) { try await h.engine.addPermission(q, label: "L1", accounts: ["1"], actions: ["SendMessage"]) }
        try await h.engine.removePermission(q, label: "L1")
        #expect(try await h.engine.getQueueAttributes(q, names: ["Policy"])["Policy"] == nil)
        await #expect(throws: QueueError.self) { try await h.engine.removePermission(q, label: "L1") }
    }

    @Test func listQueuesPaging() async throws {
        let h = try await EngineHarness()
        for name in ["a1", "a2", "a3", "b1"] { _ = try await h.queue(name) }
        let first = try h.engine.listQueues(account: nil, prefix: "a", maxResults: 2, nextToken: nil)
        #expect(first.queues.map(\.name) == ["a1", "a2"])
        let second = try h.engine.listQueues(account: nil, prefix: "a", maxResults: 2, nextToken: first.nextToken)
        #expect(second.queues.map(\.name) == ["a3"])
        #expect(second.nextToken == nil)
        #expect(try h.engine.listQueues(account: nil, prefix: nil, maxResults: nil, nextToken: nil).queues.count == 4)
    }
}
