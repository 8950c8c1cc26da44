import SluiceCore

extension SQLiteQueueStore {
    static let messageColumns = """
        seq, message_id, body, body_md5, attributes, sent_at, visible_at, expires_at, receive_count, \
        first_receive_at, group_id, dedup_id, trace_header, sender_id, dlq_source_arn
        """

    /// A stored message row as read for receive and move.
    struct Row {
        let seq: Int64
        let messageId: String
        let body: String
        let bodyMD5: String
        let attributes: [UInt8]
        let sentAt: Millis
        let visibleAt: Millis
        let expiresAt: Millis
        let receiveCount: Int
        let firstReceiveAt: Millis?
        let groupId: String?
        let dedupId: String?
        let traceHeader: String?
        let senderId: String
        let deadLetterSourceArn: String?

        init(_ row: SQLiteRow) {
            seq = row.int(0)
            messageId = row.text(1)
            body = row.text(2)
            bodyMD5 = row.text(3)
            attributes = row.blob(4)
            sentAt = row.int(5)
            visibleAt = row.int(6)
            expiresAt = row.int(7)
            receiveCount = Int(row.int(8))
            firstReceiveAt = row.optionalInt(9)
            groupId = row.optionalText(10)
            dedupId = row.optionalText(11)
            traceHeader = row.optionalText(12)
            senderId = row.text(13)
            deadLetterSourceArn = row.optionalText(14)
        }
    }

    // MARK: Send

    public func send(_ queue: QueueRecord, _ messages: [NewMessage], now: Millis) async throws -> [SendOutcome] {
        try await writer.perform { db in try Self.insert(db, queue, messages, now: now) }
    }

    /// Stores messages into a queue inside the caller's transaction: deduplication, the
    /// message rows, dedup entries and FIFO group rows.
    static func insert(_ db: SQLiteConnection, _ queue: QueueRecord, _ messages: [NewMessage], now: Millis) throws -> [SendOutcome] {
        var outcomes = [SendOutcome]()
        outcomes.reserveCapacity(messages.count)
        for message in messages {
            if let key = message.deduplicationKey {
                var original: SendOutcome?
                try db.query("SELECT message_id, seq FROM dedup WHERE queue_id = ? AND key = ? AND expires_at > ?",
                             [.int(queue.id), .text(key), .int(now)]) { row in
                    original = SendOutcome(messageId: row.text(0), sequence: row.int(1), duplicate: true, visibleAt: now, expiresAt: now)
                }
                if let original {
                    outcomes.append(original)
                    continue
                }
            }
            let visibleAt = now + Millis(message.delaySeconds) * 1000
            let expiresAt = now + queue.settings.retentionMillis
            try db.query("""
                INSERT INTO messages(queue_id, message_id, body, body_md5, attributes, sent_at, visible_at, expires_at,
                                     group_id, dedup_id, trace_header, sender_id)
                VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.int(queue.id), .text(message.messageId), .text(message.body), .text(message.bodyMD5),
                      message.attributes.isEmpty ? .null : .blob(message.attributes.canonicalBytes()),
                      .int(now), .int(visibleAt), .int(expiresAt),
                      message.groupId.map { .text($0) } ?? .null, message.deduplicationId.map { .text($0) } ?? .null,
                      message.traceHeader.map { .text($0) } ?? .null, .text(message.senderId)])
            let seq = db.lastInsertRowID
            if let key = message.deduplicationKey {
                try db.query("INSERT OR REPLACE INTO dedup(queue_id, key, message_id, seq, expires_at) VALUES(?, ?, ?, ?, ?)",
                             [.int(queue.id), .text(key), .text(message.messageId), .int(seq), .int(now + SQSLimits.deduplicationWindowMillis)])
            }
            if queue.settings.fifoQueue, let group = message.groupId {
                try db.query("INSERT OR IGNORE INTO fifo_groups(queue_id, group_id, available_at) VALUES(?, ?, ?)",
                             [.int(queue.id), .text(group), .int(visibleAt)])
            }
            outcomes.append(SendOutcome(messageId: message.messageId, sequence: seq, duplicate: false, visibleAt: visibleAt, expiresAt: expiresAt,
                                        bytes: message.body.utf8.count + message.attributes.byteCount))
        }
        return outcomes
    }

    // MARK: Receive

    public func receive(_ queue: QueueRecord, deadLetter: QueueRecord?, max: Int, visibilityTimeout: Int, now: Millis) async throws -> ReceiveOutcome {
        try await writer.perform { db in
            var receiver = Receiver(db: db, queue: queue, deadLetter: deadLetter, sourceArn: queue.key.arn(region: self.region), now: now,
                                    deadline: now + Millis(visibilityTimeout) * 1000, max: max)
            if queue.settings.fifoQueue {
                try receiver.receiveFIFO()
            } else {
                try receiver.receiveStandard()
            }
            var outcome = ReceiveOutcome(messages: receiver.delivered, deadLettered: receiver.deadLettered, nextVisibleAt: nil)
            if outcome.messages.isEmpty {
                outcome.nextVisibleAt = queue.settings.fifoQueue
                    ? try db.scalar("SELECT min(available_at) FROM fifo_groups WHERE queue_id = ? AND available_at > ?", [.int(queue.id), .int(now)])
                    : try db.scalar("SELECT min(visible_at) FROM messages WHERE queue_id = ? AND visible_at > ?", [.int(queue.id), .int(now)])
            }
            return outcome
        }
    }

    /// One receive transaction's work: pick, expire, dead-letter and deliver.
    struct Receiver {
        let db: SQLiteConnection
        let queue: QueueRecord
        let deadLetter: QueueRecord?
        let sourceArn: String
        let now: Millis
        let deadline: Millis
        let max: Int
        var delivered: [ReceivedMessage] = []
        var deadLettered = 0

        mutating func receiveStandard() throws {
            // With a visibility timeout of 0 a taken message stays visible: never take it twice.
            var taken = [Int64]()
            while delivered.count < max {
                let exclude = taken.isEmpty ? "" : " AND seq NOT IN (\(taken.map(String.init).joined(separator: ",")))"
                let rows = try db.rows("SELECT \(messageColumns) FROM messages WHERE queue_id = ? AND visible_at <= ?\(exclude) ORDER BY visible_at LIMIT ?",
                                       [.int(queue.id), .int(now), .int(Int64(max - delivered.count))], Row.init)
                if rows.isEmpty { return }
                for row in rows {
                    taken.append(row.seq)
                    try take(row)
                }
            }
        }

        mutating func receiveFIFO() throws {
            let groups = try db.rows("SELECT group_id FROM fifo_groups WHERE queue_id = ? AND available_at <= ? ORDER BY available_at LIMIT ?",
                                     [.int(queue.id), .int(now), .int(Int64(max))]) { $0.text(0) }
            for group in groups where delivered.count < max {
                var after: Int64 = 0
                groupLoop: while delivered.count < max {
                    let rows = try db.rows("SELECT \(messageColumns) FROM messages WHERE queue_id = ? AND group_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                                           [.int(queue.id), .text(group), .int(after), .int(Int64(max - delivered.count))], Row.init)
                    if rows.isEmpty { break }
                    for row in rows {
                        if row.visibleAt > now { break groupLoop }
                        after = row.seq
                        try take(row)
                    }
                }
                try SQLiteQueueStore.refreshGroup(db, queueId: queue.id, groupId: group)
            }
        }

        /// Delivers, expires or dead-letters one receivable row.
        mutating func take(_ row: Row) throws {
            if row.expiresAt <= now {
                try db.query("DELETE FROM messages WHERE seq = ?", [.int(row.seq)])
                return
            }
            if let deadLetter, let policy = queue.settings.redrivePolicy, row.receiveCount >= policy.maxReceiveCount {
                try SQLiteQueueStore.moveRow(db, row, into: deadLetter, now: now, keepReceiveState: true,
                            deadLetterSourceArn: sourceArn)
                try db.query("DELETE FROM messages WHERE seq = ?", [.int(row.seq)])
                deadLettered += 1
                return
            }
            let token = Identifiers.token()
            let firstReceive = row.firstReceiveAt ?? now
            try db.query("UPDATE messages SET visible_at = ?, receive_count = receive_count + 1, first_receive_at = ?, received_at = ?, receipt = ? WHERE seq = ?",
                         [.int(deadline), .int(firstReceive), .int(now), .int(token), .int(row.seq)])
            delivered.append(ReceivedMessage(
                sequence: row.seq, messageId: row.messageId,
                receipt: ReceiptHandle(queueId: queue.id, sequence: row.seq, token: token),
                body: row.body, bodyMD5: row.bodyMD5,
                attributes: row.attributes.isEmpty ? [:] : (MessageAttributes.decode(canonical: row.attributes) ?? [:]),
                sentAt: row.sentAt, receiveCount: row.receiveCount + 1, firstReceiveAt: firstReceive,
                groupId: row.groupId, deduplicationId: row.dedupId, traceHeader: row.traceHeader,
                senderId: row.senderId, deadLetterSourceArn: row.deadLetterSourceArn))
        }
    }

    /// Copies a row into another queue as a new row (a new sequence, so FIFO order in the
    /// target follows arrival there). The caller deletes the original.
    static func moveRow(_ db: SQLiteConnection, _ row: Row, into target: QueueRecord, now: Millis,
                        keepReceiveState: Bool, deadLetterSourceArn: String?) throws {
        let expiresAt = target.settings.fifoQueue ? now + target.settings.retentionMillis : row.sentAt + target.settings.retentionMillis
        let groupId = target.settings.fifoQueue ? (row.groupId ?? "default") : row.groupId
        try db.query("""
            INSERT INTO messages(queue_id, message_id, body, body_md5, attributes, sent_at, visible_at, expires_at,
                                 receive_count, first_receive_at, group_id, dedup_id, trace_header, sender_id, dlq_source_arn)
            VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [.int(target.id), .text(row.messageId), .text(row.body), .text(row.bodyMD5),
                  row.attributes.isEmpty ? .null : .blob(row.attributes), .int(row.sentAt), .int(now), .int(expiresAt),
                  .int(keepReceiveState ? Int64(row.receiveCount) : 0),
                  keepReceiveState ? (row.firstReceiveAt.map { .int($0) } ?? .null) : .null,
                  groupId.map { .text($0) } ?? .null, row.dedupId.map { .text($0) } ?? .null,
                  row.traceHeader.map { .text($0) } ?? .null, .text(row.senderId),
                  deadLetterSourceArn.map { .text($0) } ?? .null])
        if target.settings.fifoQueue, let groupId {
            try db.query("INSERT OR IGNORE INTO fifo_groups(queue_id, group_id, available_at) VALUES(?, ?, ?)",
                         [.int(target.id), .text(groupId), .int(now)])
        }
    }

    /// Recomputes when a FIFO group can next be received from: while messages received in the
    /// current cycle lead the group, when the last of them leaves flight; otherwise when its
    /// head becomes visible. Only the group's first few rows are read: at most ten can be in flight.
    static func refreshGroup(_ db: SQLiteConnection, queueId: Int64, groupId: String) throws {
        var rows = [(visibleAt: Millis, received: Bool)]()
        try db.query("SELECT visible_at, receipt FROM messages WHERE queue_id = ? AND group_id = ? ORDER BY seq LIMIT 12",
                     [.int(queueId), .text(groupId)]) { row in
            rows.append((row.int(0), !row.isNull(1)))
        }
        guard let head = rows.first else {
            try db.query("DELETE FROM fifo_groups WHERE queue_id = ? AND group_id = ?", [.int(queueId), .text(groupId)])
            return
        }
        var availableAt = head.visibleAt
        if head.received {
            for row in rows {
                guard row.received else { break }
                availableAt = Swift.max(availableAt, row.visibleAt)
            }
        }
        try db.query("INSERT OR REPLACE INTO fifo_groups(queue_id, group_id, available_at) VALUES(?, ?, ?)",
                     [.int(queueId), .text(groupId), .int(availableAt)])
    }

    // MARK: Delete and visibility

    public func delete(_ queue: QueueRecord, _ handles: [ReceiptHandle], now: Millis) async throws -> [EntryResult] {
        try await writer.perform { db in
            var results = [EntryResult]()
            var groups = Set<String>()
            for handle in handles {
                guard handle.queueId == queue.id else {
                    results.append(.failure(QueueError(.receiptHandleIsInvalid, "The input receipt handle \"\(handle.encoded)\" is not a valid receipt handle.")))
                    continue
                }
                var found: (receipt: Int64?, visibleAt: Millis, group: String?)?
                try db.query("SELECT receipt, visible_at, group_id FROM messages WHERE seq = ? AND queue_id = ?",
                             [.int(handle.sequence), .int(queue.id)]) { row in
                    found = (row.optionalInt(0), row.int(1), row.optionalText(2))
                }
                guard let found else {
                    results.append(.success(()))
                    continue
                }
                if queue.settings.fifoQueue && (found.receipt != handle.token || found.visibleAt <= now) {
                    results.append(.failure(.invalidParameter("ReceiptHandle", handle.encoded, reason: "The receipt handle has expired.")))
                    continue
                }
                try db.query("DELETE FROM messages WHERE seq = ?", [.int(handle.sequence)])
                if queue.settings.fifoQueue, let group = found.group { groups.insert(group) }
                results.append(.success(()))
            }
            for group in groups { try Self.refreshGroup(db, queueId: queue.id, groupId: group) }
            return results
        }
    }

    public func changeVisibility(_ queue: QueueRecord, _ changes: [(ReceiptHandle, Int)], now: Millis) async throws -> [EntryResult] {
        let changes = changes.map { VisibilityChange(handle: $0.0, timeout: $0.1) }
        return try await writer.perform { db in
            var results = [EntryResult]()
            var groups = Set<String>()
            for change in changes {
                let handle = change.handle
                guard handle.queueId == queue.id else {
                    results.append(.failure(QueueError(.receiptHandleIsInvalid, "The input receipt handle \"\(handle.encoded)\" is not a valid receipt handle.")))
                    continue
                }
                var found: (receipt: Int64?, visibleAt: Millis, receivedAt: Millis?, group: String?)?
                try db.query("SELECT receipt, visible_at, received_at, group_id FROM messages WHERE seq = ? AND queue_id = ?",
                             [.int(handle.sequence), .int(queue.id)]) { row in
                    found = (row.optionalInt(0), row.int(1), row.optionalInt(2), row.optionalText(3))
                }
                guard let found, let receipt = found.receipt else {
                    results.append(.failure(.invalidParameter("ReceiptHandle", handle.encoded,
                        reason: "Message does not exist or is not available for visibility timeout change.")))
                    continue
                }
                if queue.settings.fifoQueue && (receipt != handle.token || found.visibleAt <= now) {
                    results.append(.failure(.invalidParameter("ReceiptHandle", handle.encoded, reason: "The receipt handle has expired.")))
                    continue
                }
                let newVisibleAt = now + Millis(change.timeout) * 1000
                let receivedAt = found.receivedAt ?? now
                if newVisibleAt > receivedAt + Millis(SQSLimits.maxVisibilityTimeout) * 1000 {
                    results.append(.failure(.invalidParameter("VisibilityTimeout", String(change.timeout),
                        reason: "Total VisibilityTimeout for the message is beyond the limit [43200 seconds]")))
                    continue
                }
                try db.query("UPDATE messages SET visible_at = ? WHERE seq = ?", [.int(newVisibleAt), .int(handle.sequence)])
                if queue.settings.fifoQueue, let group = found.group { groups.insert(group) }
                results.append(.success(()))
            }
            for group in groups { try Self.refreshGroup(db, queueId: queue.id, groupId: group) }
            return results
        }
    }

    // MARK: Moves

    public func moveMessages(from source: QueueRecord, to destination: QueueRecord?, limit: Int, now: Millis) async throws -> (moved: Int, failure: String?) {
        try await writer.perform { db in
            let rows = try db.rows("SELECT \(Self.messageColumns) FROM messages WHERE queue_id = ? AND visible_at <= ? ORDER BY visible_at LIMIT ?",
                                   [.int(source.id), .int(now), .int(Int64(limit))], Row.init)
            var moved = 0
            var targets = [String: QueueRecord]()
            for row in rows {
                let target: QueueRecord
                if let destination {
                    target = destination
                } else {
                    guard let arn = row.deadLetterSourceArn, let name = ResourceName.parse(arn: arn, service: "sqs") else {
                        return (moved, "Message \(row.messageId) has no dead-letter source queue to return to.")
                    }
                    if let cached = targets[arn] {
                        target = cached
                    } else if let loaded = try Self.loadQueue(db, QueueKey(account: name.account, name: name.name)) {
                        targets[arn] = loaded
                        target = loaded
                    } else {
                        return (moved, "Destination queue \(arn) does not exist.")
                    }
                }
                try Self.moveRow(db, row, into: target, now: now, keepReceiveState: false, deadLetterSourceArn: nil)
                try db.query("DELETE FROM messages WHERE seq = ?", [.int(row.seq)])
                if source.settings.fifoQueue, let group = row.groupId {
                    try Self.refreshGroup(db, queueId: source.id, groupId: group)
                }
                moved += 1
            }
            return (moved, nil)
        }
    }
}

struct VisibilityChange: Sendable {
    let handle: ReceiptHandle
    let timeout: Int
}
