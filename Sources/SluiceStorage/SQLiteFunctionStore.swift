import SluiceCore

/// The SQLite backend of ``FunctionStore``. It shares the queue store's writer, so a
/// dead-letter copy and the end of its invocation are one commit.
public final class SQLiteFunctionStore: FunctionStore {
    let writer: SQLiteWriter

    public init(sharing queues: SQLiteQueueStore) {
        writer = queues.writer
    }

    public func documents(kind: String) async throws -> [(key: String, body: String)] {
        try await writer.perform { db in
            try db.rows("SELECT key, body FROM function_documents WHERE kind = ? ORDER BY key", [.text(kind)]) { (key: $0.text(0), body: $0.text(1)) }
        }
    }

    public func putDocument(kind: String, key: String, body: String) async throws {
        try await writer.perform { db in
            try db.query("INSERT OR REPLACE INTO function_documents(kind, key, body) VALUES(?, ?, ?)", [.text(kind), .text(key), .text(body)])
        }
    }

    public func deleteDocument(kind: String, key: String) async throws {
        try await writer.perform { db in
            try db.query("DELETE FROM function_documents WHERE kind = ? AND key = ?", [.text(kind), .text(key)])
        }
    }

    public func enqueueAsync(_ invocation: AsyncInvocationRecord) async throws {
        try await writer.perform { db in
            try db.query("""
                INSERT INTO async_invocations(function_name, request_id, payload, attempts, max_attempts, dead_letter_arn, dead_letter_body, first_at, due_at)
                VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.text(invocation.functionName), .text(invocation.requestId), .text(invocation.payload), .int(Int64(invocation.attempts)),
                      .int(Int64(invocation.maxAttempts)), invocation.deadLetterArn.map { .text($0) } ?? .null,
                      invocation.deadLetterBody.map { .text($0) } ?? .null, .int(invocation.firstAt), .int(invocation.dueAt)])
        }
    }

    public func dueAsync(now: Millis, limit: Int, leaseUntil: Millis) async throws -> [AsyncInvocationRecord] {
        try await writer.perform { db in
            let due = try db.rows("""
                SELECT id, function_name, request_id, payload, attempts, max_attempts, dead_letter_arn, dead_letter_body, first_at, due_at
                FROM async_invocations WHERE due_at <= ? ORDER BY due_at LIMIT ?
                """, [.int(now), .int(Int64(limit))]) { row in
                AsyncInvocationRecord(id: row.int(0), functionName: row.text(1), requestId: row.text(2), payload: row.text(3),
                                      attempts: Int(row.int(4)), maxAttempts: Int(row.int(5)), deadLetterArn: row.optionalText(6),
                                      deadLetterBody: row.optionalText(7), firstAt: row.int(8), dueAt: row.int(9))
            }
            for invocation in due {
                try db.query("UPDATE async_invocations SET due_at = ? WHERE id = ?", [.int(leaseUntil), .int(invocation.id)])
            }
            return due
        }
    }

    public func nextAsyncDue() async throws -> Millis? {
        try await writer.perform { db in try db.scalar("SELECT min(due_at) FROM async_invocations") }
    }

    public func rescheduleAsync(id: Int64, attempts: Int, dueAt: Millis) async throws {
        try await writer.perform { db in
            try db.query("UPDATE async_invocations SET attempts = ?, due_at = ? WHERE id = ?", [.int(Int64(attempts)), .int(dueAt), .int(id)])
        }
    }

    public func finishAsync(id: Int64, deadLetter: (queue: QueueRecord, message: NewMessage)?, now: Millis) async throws -> [SendOutcome] {
        let deadLetter = deadLetter.map { DeadLetterCopy(queue: $0.queue, message: $0.message) }
        return try await writer.perform { db in
            try db.query("DELETE FROM async_invocations WHERE id = ?", [.int(id)])
            guard let deadLetter else { return [] }
            return try SQLiteQueueStore.insert(db, deadLetter.queue, [deadLetter.message], now: now)
        }
    }

    public func dropAsync(functionName: String) async throws {
        try await writer.perform { db in
            try db.query("DELETE FROM async_invocations WHERE function_name = ?", [.text(functionName)])
        }
    }
}
