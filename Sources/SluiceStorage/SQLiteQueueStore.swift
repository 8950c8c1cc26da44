import Foundation
import Logging
import SluiceCore

/// How hard a commit presses data to disk.
public enum Durability: String, Sendable, CaseIterable {
    /// fsync before answering (`synchronous=FULL`): survives power loss.
    case full
    /// `synchronous=NORMAL` in WAL mode: survives a process crash, may lose the last commits on power loss.
    case relaxed
}

/// The SQLite backend of ``QueueStore``: one file in WAL mode, one writing connection on its
/// own thread, group commit (see ``SQLiteWriter``).
public final class SQLiteQueueStore: QueueStore {
    let writer: SQLiteWriter
    public let path: String
    /// A second, read-only connection for metrics scrapes, so they never wait on or hold up
    /// the writer (WAL readers see the last commit).
    private let reader: LockedConnection
    /// The region queue ARNs are written in (dead-letter source ARNs).
    let region: String

    public init(path: String, durability: Durability, region: String, logger: Logger) throws {
        self.path = path
        self.region = region
        let connection = try SQLiteConnection(path: path)
        try connection.execute("PRAGMA journal_mode=WAL")
        try connection.execute("PRAGMA synchronous=\(durability == .full ? "FULL" : "NORMAL")")
        try connection.execute("PRAGMA cache_size=-16000")
        // Keep the WAL file from staying huge after one large transaction (a queue deletion).
        try connection.execute("PRAGMA journal_size_limit=67108864")
        try SQLiteSchema.migrate(connection)
        writer = SQLiteWriter(connection: connection, logger: logger)
        let readOnly = try SQLiteConnection(path: path)
        try readOnly.execute("PRAGMA query_only=1")
        reader = LockedConnection(readOnly)
    }

    public func close() async {
        writer.close()
        reader.with { $0.close() }
    }

    public func countsByQueue(now: Millis) async throws -> [Int64: QueueCounts] {
        // Off the event loops: a scrape of a large store must not stall requests.
        let reader = self.reader
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try Self.countsByQueue(reader, now: now) })
            }
        }
    }

    static func countsByQueue(_ reader: LockedConnection, now: Millis) throws -> [Int64: QueueCounts] {
        try reader.with { reader in
            var counts = [Int64: QueueCounts]()
            try reader.execute("BEGIN")
            defer { try? reader.execute("COMMIT") }
            try reader.query("""
                SELECT queue_id, sum(visible_at <= ?1), sum(visible_at > ?1 AND receipt IS NOT NULL),
                       sum(visible_at > ?1 AND receipt IS NULL), min(sent_at)
                FROM messages INDEXED BY messages_by_visibility GROUP BY queue_id
                """, [.int(now)]) { row in
                counts[row.int(0)] = QueueCounts(visible: Int(row.int(1)), notVisible: Int(row.int(2)), delayed: Int(row.int(3)),
                                                 oldestSentAt: row.optionalInt(4))
            }
            try reader.query("SELECT queue_id, count(*) FROM fifo_groups WHERE available_at > ? GROUP BY queue_id", [.int(now)]) { row in
                counts[row.int(0), default: QueueCounts()].groupsInFlight = Int(row.int(1))
            }
            return counts
        }
    }

    public func sizeOnDisk() -> Int64 {
        [path, path + "-wal"].reduce(Int64(0)) { total, file in
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value ?? 0
            return total + size
        }
    }

    public func commitStatistics() -> (commits: Int, jobs: Int) {
        writer.statistics
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    static func json<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static let queueColumns = "id, account, name, settings, tags, created_at, modified_at"

    static func queueRecord(_ row: SQLiteRow) throws -> QueueRecord {
        let decoder = JSONDecoder()
        return QueueRecord(
            id: row.int(0),
            key: QueueKey(account: row.text(1), name: row.text(2)),
            settings: try decoder.decode(QueueSettings.self, from: Data(row.text(3).utf8)),
            tags: try decoder.decode([String: String].self, from: Data(row.text(4).utf8)),
            createdAt: row.int(5),
            modifiedAt: row.int(6))
    }

    static func loadQueue(_ db: SQLiteConnection, _ key: QueueKey) throws -> QueueRecord? {
        try db.rows("SELECT \(queueColumns) FROM queues WHERE account = ? AND name = ?", [.text(key.account), .text(key.name)],
                    queueRecord).first
    }

    // MARK: Queues

    public func createQueue(key: QueueKey, settings: QueueSettings, tags: [String: String], now: Millis) async throws -> (record: QueueRecord, created: Bool) {
        try await writer.perform { db in
            if let existing = try Self.loadQueue(db, key) { return (existing, false) }
            if let deletedAt = try db.scalar("SELECT deleted_at FROM deleted_queues WHERE account = ? AND name = ?",
                                             [.text(key.account), .text(key.name)]),
               now - deletedAt < SQLiteLimits.deletedNameReservation {
                throw QueueError(.queueDeletedRecently, "You must wait 60 seconds after deleting a queue before you can create another with the same name.")
            }
            try db.query("DELETE FROM deleted_queues WHERE account = ? AND name = ?", [.text(key.account), .text(key.name)])
            try db.query("INSERT INTO queues(account, name, settings, tags, created_at, modified_at) VALUES(?, ?, ?, ?, ?, ?)",
                         [.text(key.account), .text(key.name), .text(try Self.json(settings)), .text(try Self.json(tags)), .int(now / 1000 * 1000), .int(now / 1000 * 1000)])
            let record = QueueRecord(id: db.lastInsertRowID, key: key, settings: settings, tags: tags,
                                     createdAt: now / 1000 * 1000, modifiedAt: now / 1000 * 1000)
            return (record, true)
        }
    }

    public func queue(_ key: QueueKey) async throws -> QueueRecord? {
        try await writer.perform { db in try Self.loadQueue(db, key) }
    }

    public func queue(id: Int64) async throws -> QueueRecord? {
        try await writer.perform { db in
            try db.rows("SELECT \(Self.queueColumns) FROM queues WHERE id = ?", [.int(id)], Self.queueRecord).first
        }
    }

    public func allQueues() async throws -> [QueueRecord] {
        try await writer.perform { db in
            try db.rows("SELECT \(Self.queueColumns) FROM queues ORDER BY account, name", [], Self.queueRecord)
        }
    }

    public func deleteQueue(_ queue: QueueRecord, now: Millis) async throws {
        try await writer.perform { db in
            try db.query("DELETE FROM messages WHERE queue_id = ?", [.int(queue.id)])
            try db.query("DELETE FROM fifo_groups WHERE queue_id = ?", [.int(queue.id)])
            try db.query("DELETE FROM dedup WHERE queue_id = ?", [.int(queue.id)])
            try db.query("DELETE FROM queues WHERE id = ?", [.int(queue.id)])
            try db.query("INSERT OR REPLACE INTO deleted_queues(account, name, deleted_at) VALUES(?, ?, ?)",
                         [.text(queue.key.account), .text(queue.key.name), .int(now)])
        }
    }

    public func updateQueue(_ queue: QueueRecord) async throws {
        try await writer.perform { db in
            try db.query("UPDATE queues SET settings = ?, tags = ?, modified_at = ? WHERE id = ?",
                         [.text(try Self.json(queue.settings)), .text(try Self.json(queue.tags)), .int(queue.modifiedAt), .int(queue.id)])
            guard db.changes == 1 else { throw QueueError.queueDoesNotExist }
        }
    }

    public func counts(_ queue: QueueRecord, now: Millis) async throws -> QueueCounts {
        try await writer.perform { db in
            let visible = try db.scalar("SELECT count(*) FROM messages WHERE queue_id = ? AND visible_at <= ?", [.int(queue.id), .int(now)]) ?? 0
            let notVisible = try db.scalar("SELECT count(*) FROM messages WHERE queue_id = ? AND visible_at > ? AND receipt IS NOT NULL", [.int(queue.id), .int(now)]) ?? 0
            let delayed = try db.scalar("SELECT count(*) FROM messages WHERE queue_id = ? AND visible_at > ? AND receipt IS NULL", [.int(queue.id), .int(now)]) ?? 0
            return QueueCounts(visible: Int(visible), notVisible: Int(notVisible), delayed: Int(delayed))
        }
    }

    public func inFlightCount(_ queue: QueueRecord, now: Millis) async throws -> Int {
        // On the read connection: no commit to wait for, and the writer is not held up.
        let reader = self.reader
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    try reader.with { db in
                        Int(try db.scalar("SELECT count(*) FROM messages WHERE queue_id = ? AND visible_at > ? AND receipt IS NOT NULL",
                                          [.int(queue.id), .int(now)]) ?? 0)
                    }
                })
            }
        }
    }

    public func purge(_ queue: QueueRecord, now: Millis) async throws {
        try await writer.perform { db in
            if let last = try db.scalar("SELECT last_purge_at FROM queues WHERE id = ?", [.int(queue.id)]),
               now - last < SQLiteLimits.purgeInterval {
                throw QueueError(.purgeQueueInProgress, "Only one PurgeQueue operation on \(queue.key.name) is allowed every 60 seconds.")
            }
            try db.query("DELETE FROM messages WHERE queue_id = ?", [.int(queue.id)])
            try db.query("DELETE FROM fifo_groups WHERE queue_id = ?", [.int(queue.id)])
            try db.query("UPDATE queues SET last_purge_at = ? WHERE id = ?", [.int(now), .int(queue.id)])
        }
    }

    public func reset() async throws {
        try await writer.perform { db in
            for table in ["messages", "fifo_groups", "dedup", "queues", "deleted_queues", "move_tasks", "topics", "subscriptions", "topic_dedup", "deliveries", "function_documents", "async_invocations"] {
                try db.query("DELETE FROM \(table)")
            }
        }
    }

    // MARK: Expiry

    public func nextExpiry() async throws -> Millis? {
        try await writer.perform { db in
            let message = try db.scalar("SELECT min(expires_at) FROM messages")
            let dedup = try db.scalar("SELECT min(expires_at) FROM dedup")
            return [message, dedup].compactMap { $0 }.min()
        }
    }

    public func reapExpired(now: Millis, limit: Int) async throws -> Int {
        try await writer.perform { db in
            var touched = Set<GroupRef>()
            var removed = 0
            try db.query("DELETE FROM messages WHERE seq IN (SELECT seq FROM messages WHERE expires_at <= ? ORDER BY expires_at LIMIT ?) RETURNING queue_id, group_id",
                         [.int(now), .int(Int64(limit))]) { row in
                removed += 1
                if let group = row.optionalText(1) { touched.insert(GroupRef(queueId: row.int(0), groupId: group)) }
            }
            for group in touched where try db.scalar("SELECT 1 FROM fifo_groups WHERE queue_id = ? AND group_id = ?", [.int(group.queueId), .text(group.groupId)]) != nil {
                try Self.refreshGroup(db, queueId: group.queueId, groupId: group.groupId)
            }
            try db.query("DELETE FROM dedup WHERE (queue_id, key) IN (SELECT queue_id, key FROM dedup WHERE expires_at <= ? LIMIT ?)",
                         [.int(now), .int(Int64(limit))])
            removed += db.changes
            try db.query("DELETE FROM deleted_queues WHERE deleted_at <= ?", [.int(now - SQLiteLimits.deletedNameReservation)])
            return removed
        }
    }

    // MARK: Move tasks

    public func saveMoveTask(_ task: MoveTask) async throws {
        try await writer.perform { db in
            try db.query("""
                INSERT OR REPLACE INTO move_tasks(handle, source_arn, destination_arn, max_per_second, status, moved, to_move, failure, started_at)
                VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.text(task.handle), .text(task.sourceArn), task.destinationArn.map { .text($0) } ?? .null,
                      task.maxPerSecond.map { .int(Int64($0)) } ?? .null, .text(task.status.rawValue), .int(Int64(task.moved)),
                      .int(Int64(task.toMove)), task.failureReason.map { .text($0) } ?? .null, .int(task.startedAt)])
        }
    }

    public func moveTasks(sourceArn: String?) async throws -> [MoveTask] {
        try await writer.perform { db in
            let columns = "handle, source_arn, destination_arn, max_per_second, status, moved, to_move, failure, started_at"
            let map: (SQLiteRow) -> MoveTask = { row in
                MoveTask(handle: row.text(0), sourceArn: row.text(1), destinationArn: row.optionalText(2),
                         maxPerSecond: row.optionalInt(3).map { Int($0) }, status: MoveTask.Status(rawValue: row.text(4)) ?? .failed,
                         moved: Int(row.int(5)), toMove: Int(row.int(6)), failureReason: row.optionalText(7), startedAt: row.int(8))
            }
            if let sourceArn {
                return try db.rows("SELECT \(columns) FROM move_tasks WHERE source_arn = ? ORDER BY started_at DESC", [.text(sourceArn)], map)
            }
            return try db.rows("SELECT \(columns) FROM move_tasks ORDER BY started_at DESC", [], map)
        }
    }
}

struct GroupRef: Hashable {
    let queueId: Int64
    let groupId: String
}

enum SQLiteLimits {
    static let deletedNameReservation: Millis = SQSLimits.deletedNameReservationMillis
    static let purgeInterval: Millis = SQSLimits.purgeIntervalMillis
}

/// A connection used from several threads, one at a time.
final class LockedConnection: @unchecked Sendable {
    private let lock = NSLock()
    private let connection: SQLiteConnection

    init(_ connection: SQLiteConnection) { self.connection = connection }

    func with<T>(_ body: (SQLiteConnection) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(connection)
    }
}
