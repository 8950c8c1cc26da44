/// Named, ordered, append-only migrations of the SQLite schema. Never edit a shipped one:
/// add a new entry.
enum SQLiteSchema {
    static let migrations: [(name: String, sql: String)] = [
        ("0001-queues-and-messages", """
        CREATE TABLE queues(
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            account TEXT NOT NULL,
            name TEXT NOT NULL,
            settings TEXT NOT NULL,
            tags TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            modified_at INTEGER NOT NULL,
            last_purge_at INTEGER,
            UNIQUE(account, name));
        CREATE TABLE deleted_queues(
            account TEXT NOT NULL,
            name TEXT NOT NULL,
            deleted_at INTEGER NOT NULL,
            PRIMARY KEY(account, name)) WITHOUT ROWID;
        CREATE TABLE messages(
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            queue_id INTEGER NOT NULL,
            message_id TEXT NOT NULL,
            body TEXT NOT NULL,
            body_md5 TEXT NOT NULL,
            attributes BLOB,
            sent_at INTEGER NOT NULL,
            visible_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            receive_count INTEGER NOT NULL DEFAULT 0,
            first_receive_at INTEGER,
            received_at INTEGER,
            receipt INTEGER,
            group_id TEXT,
            dedup_id TEXT,
            trace_header TEXT,
            sender_id TEXT NOT NULL,
            dlq_source_arn TEXT);
        CREATE INDEX messages_by_visibility ON messages(queue_id, visible_at, receipt);
        CREATE INDEX messages_by_expiry ON messages(expires_at);
        CREATE INDEX messages_by_group ON messages(queue_id, group_id, seq) WHERE group_id IS NOT NULL;
        CREATE TABLE fifo_groups(
            queue_id INTEGER NOT NULL,
            group_id TEXT NOT NULL,
            available_at INTEGER NOT NULL,
            PRIMARY KEY(queue_id, group_id)) WITHOUT ROWID;
        CREATE INDEX fifo_groups_by_availability ON fifo_groups(queue_id, available_at);
        CREATE TABLE dedup(
            queue_id INTEGER NOT NULL,
            key TEXT NOT NULL,
            message_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            PRIMARY KEY(queue_id, key)) WITHOUT ROWID;
        CREATE INDEX dedup_by_expiry ON dedup(expires_at);
        CREATE TABLE move_tasks(
            handle TEXT PRIMARY KEY,
            source_arn TEXT NOT NULL,
            destination_arn TEXT,
            max_per_second INTEGER,
            status TEXT NOT NULL,
            moved INTEGER NOT NULL,
            to_move INTEGER NOT NULL,
            failure TEXT,
            started_at INTEGER NOT NULL) WITHOUT ROWID;
        """),
        ("0002-topics-and-subscriptions", """
        CREATE TABLE topics(
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            account TEXT NOT NULL,
            name TEXT NOT NULL,
            attributes TEXT NOT NULL,
            tags TEXT NOT NULL,
            seq INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            UNIQUE(account, name));
        CREATE TABLE subscriptions(
            arn TEXT PRIMARY KEY,
            topic_arn TEXT NOT NULL,
            protocol TEXT NOT NULL,
            endpoint TEXT NOT NULL,
            owner TEXT NOT NULL,
            attributes TEXT NOT NULL,
            pending INTEGER NOT NULL,
            token TEXT,
            authenticated INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL) WITHOUT ROWID;
        CREATE INDEX subscriptions_by_topic ON subscriptions(topic_arn);
        CREATE TABLE topic_dedup(
            topic_id INTEGER NOT NULL,
            key TEXT NOT NULL,
            message_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            PRIMARY KEY(topic_id, key)) WITHOUT ROWID;
        CREATE INDEX topic_dedup_by_expiry ON topic_dedup(expires_at);
        CREATE TABLE deliveries(
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            subscription_arn TEXT NOT NULL,
            kind TEXT NOT NULL,
            endpoint TEXT NOT NULL,
            message_id TEXT NOT NULL,
            body TEXT NOT NULL,
            headers TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            first_at INTEGER NOT NULL,
            due_at INTEGER NOT NULL);
        CREATE INDEX deliveries_by_due ON deliveries(due_at);
        """),
        ("0003-sent-time-in-visibility-index", """
        DROP INDEX messages_by_visibility;
        CREATE INDEX messages_by_visibility ON messages(queue_id, visible_at, receipt, sent_at);
        """),
        ("0004-functions", """
        CREATE TABLE function_documents(
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY(kind, key)) WITHOUT ROWID;
        CREATE TABLE async_invocations(
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            function_name TEXT NOT NULL,
            request_id TEXT NOT NULL,
            payload TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            max_attempts INTEGER NOT NULL,
            dead_letter_arn TEXT,
            dead_letter_body TEXT,
            first_at INTEGER NOT NULL,
            due_at INTEGER NOT NULL);
        CREATE INDEX async_invocations_by_due ON async_invocations(due_at);
        """),
    ]

    /// Applies the migrations not yet applied, each in its own transaction.
    static func migrate(_ connection: SQLiteConnection) throws {
        try connection.execute("CREATE TABLE IF NOT EXISTS schema_migrations(name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)")
        let applied = Set(try connection.rows("SELECT name FROM schema_migrations") { $0.text(0) })
        for migration in migrations where !applied.contains(migration.name) {
            try connection.execute("BEGIN IMMEDIATE")
            do {
                try connection.execute(migration.sql)
                try connection.query("INSERT INTO schema_migrations(name, applied_at) VALUES(?, strftime('%s','now'))",
                                     [.text(migration.name)])
                try connection.execute("COMMIT")
            } catch {
                try? connection.execute("ROLLBACK")
                throw error
            }
        }
    }
}
