import Foundation
import SluiceCore

/// The SQLite backend of ``TopicStore``. It shares the queue store's writer, so a publish and
/// the queue copies it makes are one transaction.
public final class SQLiteTopicStore: TopicStore {
    let writer: SQLiteWriter

    public init(sharing queues: SQLiteQueueStore) {
        writer = queues.writer
    }

    static func decode(_ text: String) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
    }

    static let topicColumns = "id, account, name, attributes, tags, created_at"

    static func topic(_ row: SQLiteRow) -> TopicRecord {
        TopicRecord(id: row.int(0), account: row.text(1), name: row.text(2), attributes: decode(row.text(3)),
                    tags: decode(row.text(4)), createdAt: row.int(5))
    }

    public func createTopic(account: String, name: String, attributes: [String: String], tags: [String: String], now: Millis) async throws -> (record: TopicRecord, created: Bool) {
        try await writer.perform { db in
            if let existing = try db.rows("SELECT \(Self.topicColumns) FROM topics WHERE account = ? AND name = ?",
                                          [.text(account), .text(name)], Self.topic).first {
                return (existing, false)
            }
            try db.query("INSERT INTO topics(account, name, attributes, tags, created_at) VALUES(?, ?, ?, ?, ?)",
                         [.text(account), .text(name), .text(try SQLiteQueueStore.json(attributes)), .text(try SQLiteQueueStore.json(tags)), .int(now)])
            return (TopicRecord(id: db.lastInsertRowID, account: account, name: name, attributes: attributes, tags: tags, createdAt: now), true)
        }
    }

    public func allTopics() async throws -> [TopicRecord] {
        try await writer.perform { db in try db.rows("SELECT \(Self.topicColumns) FROM topics", [], Self.topic) }
    }

    public func updateTopic(_ topic: TopicRecord) async throws {
        try await writer.perform { db in
            try db.query("UPDATE topics SET attributes = ?, tags = ? WHERE id = ?",
                         [.text(try SQLiteQueueStore.json(topic.attributes)), .text(try SQLiteQueueStore.json(topic.tags)), .int(topic.id)])
        }
    }

    public func deleteTopic(_ topic: TopicRecord, arn: String) async throws {
        try await writer.perform { db in
            try db.query("DELETE FROM deliveries WHERE subscription_arn IN (SELECT arn FROM subscriptions WHERE topic_arn = ?)", [.text(arn)])
            try db.query("DELETE FROM subscriptions WHERE topic_arn = ?", [.text(arn)])
            try db.query("DELETE FROM topic_dedup WHERE topic_id = ?", [.int(topic.id)])
            try db.query("DELETE FROM topics WHERE id = ?", [.int(topic.id)])
        }
    }

    public func allSubscriptions() async throws -> [SubscriptionRecord] {
        try await writer.perform { db in
            try db.rows("SELECT arn, topic_arn, protocol, endpoint, owner, attributes, pending, token, authenticated, created_at FROM subscriptions ORDER BY created_at, arn", []) { row in
                SubscriptionRecord(arn: row.text(0), topicArn: row.text(1), protocol: row.text(2), endpoint: row.text(3), owner: row.text(4),
                                   attributes: Self.decode(row.text(5)), pendingConfirmation: row.int(6) != 0, token: row.optionalText(7),
                                   confirmationWasAuthenticated: row.int(8) != 0, createdAt: row.int(9))
            }
        }
    }

    public func saveSubscription(_ subscription: SubscriptionRecord, deliveries: [DeliveryRecord]) async throws {
        try await writer.perform { db in
            try db.query("""
                INSERT OR REPLACE INTO subscriptions(arn, topic_arn, protocol, endpoint, owner, attributes, pending, token, authenticated, created_at)
                VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.text(subscription.arn), .text(subscription.topicArn), .text(subscription.protocol), .text(subscription.endpoint),
                      .text(subscription.owner), .text(try SQLiteQueueStore.json(subscription.attributes)),
                      .int(subscription.pendingConfirmation ? 1 : 0), subscription.token.map { .text($0) } ?? .null,
                      .int(subscription.confirmationWasAuthenticated ? 1 : 0), .int(subscription.createdAt)])
            try Self.insert(db, deliveries)
        }
    }

    public func deleteSubscription(arn: String, deliveries: [DeliveryRecord]) async throws {
        try await writer.perform { db in
            try db.query("DELETE FROM deliveries WHERE subscription_arn = ?", [.text(arn)])
            try db.query("DELETE FROM subscriptions WHERE arn = ?", [.text(arn)])
            try Self.insert(db, deliveries)
        }
    }

    static func insert(_ db: SQLiteConnection, _ deliveries: [DeliveryRecord]) throws {
        for delivery in deliveries {
            try db.query("""
                INSERT INTO deliveries(subscription_arn, kind, endpoint, message_id, body, headers, attempts, first_at, due_at)
                VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.text(delivery.subscriptionArn), .text(delivery.kind), .text(delivery.endpoint), .text(delivery.messageId),
                      .text(delivery.body), .text(try SQLiteQueueStore.json(delivery.headers)), .int(Int64(delivery.attempts)),
                      .int(delivery.firstAt), .int(delivery.dueAt)])
        }
    }

    public func publish(topic: TopicRecord, items: [PublishItem], now: Millis) async throws -> [PublishOutcome] {
        try await writer.perform { db in
            var outcomes = [PublishOutcome]()
            for item in items {
                if let key = item.deduplicationKey {
                    var original: PublishOutcome?
                    try db.query("SELECT message_id, seq FROM topic_dedup WHERE topic_id = ? AND key = ? AND expires_at > ?",
                                 [.int(topic.id), .text(key), .int(now)]) { row in
                        original = PublishOutcome(messageId: row.text(0), sequence: row.int(1), duplicate: true, queueOutcomes: [:], deliveriesQueued: 0)
                    }
                    if let original {
                        outcomes.append(original)
                        continue
                    }
                }
                var sequence: Int64 = 0
                try db.query("UPDATE topics SET seq = seq + 1 WHERE id = ? RETURNING seq", [.int(topic.id)]) { sequence = $0.int(0) }
                let writes = item.build(sequence)
                var perQueue = [Int64: QueueCopies]()
                for copy in writes.queueCopies {
                    let stored = try SQLiteQueueStore.insert(db, copy.queue, [copy.message], now: now)
                    perQueue[copy.queue.id, default: QueueCopies(queue: copy.queue, outcomes: [])].outcomes += stored
                }
                try Self.insert(db, writes.deliveries)
                if let key = item.deduplicationKey {
                    try db.query("INSERT OR REPLACE INTO topic_dedup(topic_id, key, message_id, seq, expires_at) VALUES(?, ?, ?, ?, ?)",
                                 [.int(topic.id), .text(key), .text(item.messageId), .int(sequence), .int(now + SQSLimits.deduplicationWindowMillis)])
                }
                outcomes.append(PublishOutcome(messageId: item.messageId, sequence: sequence, duplicate: false,
                                               queueOutcomes: perQueue, deliveriesQueued: writes.deliveries.count,
                                               failed: writes.failed, redriven: writes.redriven))
            }
            try db.query("DELETE FROM topic_dedup WHERE (topic_id, key) IN (SELECT topic_id, key FROM topic_dedup WHERE expires_at <= ? LIMIT 16)", [.int(now)])
            return outcomes
        }
    }

    public func nextDeliveryDue() async throws -> Millis? {
        try await writer.perform { db in try db.scalar("SELECT min(due_at) FROM deliveries") }
    }

    public func dueDeliveries(now: Millis, limit: Int) async throws -> [DeliveryRecord] {
        try await writer.perform { db in
            try db.rows("""
                SELECT id, subscription_arn, kind, endpoint, message_id, body, headers, attempts, first_at, due_at
                FROM deliveries WHERE due_at <= ? ORDER BY due_at LIMIT ?
                """, [.int(now), .int(Int64(limit))]) { row in
                DeliveryRecord(id: row.int(0), subscriptionArn: row.text(1), kind: row.text(2), endpoint: row.text(3), messageId: row.text(4),
                               body: row.text(5), headers: Self.decode(row.text(6)), attempts: Int(row.int(7)), firstAt: row.int(8), dueAt: row.int(9))
            }
        }
    }

    public func finishDelivery(id: Int64, deadLetter: (queue: QueueRecord, message: NewMessage)?, now: Millis) async throws -> [SendOutcome] {
        let deadLetter = deadLetter.map { DeadLetterCopy(queue: $0.queue, message: $0.message) }
        return try await writer.perform { db in
            try db.query("DELETE FROM deliveries WHERE id = ?", [.int(id)])
            guard let deadLetter else { return [] }
            return try SQLiteQueueStore.insert(db, deadLetter.queue, [deadLetter.message], now: now)
        }
    }

    public func rescheduleDelivery(id: Int64, attempts: Int, dueAt: Millis) async throws {
        try await writer.perform { db in
            try db.query("UPDATE deliveries SET attempts = ?, due_at = ? WHERE id = ?", [.int(Int64(attempts)), .int(dueAt), .int(id)])
        }
    }

    public func lease(ids: [Int64], until: Millis) async throws {
        try await writer.perform { db in
            for id in ids { try db.query("UPDATE deliveries SET due_at = ? WHERE id = ?", [.int(until), .int(id)]) }
        }
    }

    public func pendingDeliveryCount() async throws -> Int {
        try await writer.perform { db in Int(try db.scalar("SELECT count(*) FROM deliveries") ?? 0) }
    }
}

struct DeadLetterCopy: Sendable {
    let queue: QueueRecord
    let message: NewMessage
}
