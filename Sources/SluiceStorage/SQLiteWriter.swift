import Foundation
import Logging

/// Owns the one writing SQLite connection on a dedicated thread and runs every job in a
/// shared transaction: jobs that arrive while a commit is in progress are committed
/// together by the next one (group commit). Each job runs inside its own savepoint, so a
/// failing job rolls back only itself. A job's caller resumes only after the commit that
/// holds its work has returned, so an answer is never sent for work that is not on disk.
public final class SQLiteWriter: @unchecked Sendable {
    private final class Job {
        let body: (SQLiteConnection) -> Void
        let complete: (Error?) -> Void
        init(body: @escaping (SQLiteConnection) -> Void, complete: @escaping (Error?) -> Void) {
            self.body = body
            self.complete = complete
        }
    }

    private final class Box<T>: @unchecked Sendable {
        var result: Result<T, any Error> = .failure(SQLiteError(code: -1, message: "job did not run"))
    }

    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var stopping = false
    private var finished = false
    private let connection: SQLiteConnection
    private let logger: Logger
    private let maxJobsPerCommit = 1024

    private var commitCount = 0
    private var jobCount = 0

    /// Commits made and jobs they carried, for the metrics exporter.
    public var statistics: (commits: Int, jobs: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (commitCount, jobCount)
    }

    public init(connection: SQLiteConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
        let thread = Thread { [self] in self.loop() }
        thread.name = "sluice-sqlite-writer"
        thread.start()
    }

    /// Runs `work` inside the next group transaction and returns once it is committed.
    public func perform<T: Sendable>(_ work: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        let box = Box<T>()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = Job(
                body: { connection in
                    do {
                        try connection.query("SAVEPOINT job")
                        do {
                            box.result = .success(try work(connection))
                            try connection.query("RELEASE job")
                        } catch {
                            box.result = .failure(error)
                            try connection.query("ROLLBACK TO job")
                            try connection.query("RELEASE job")
                        }
                    } catch {
                        box.result = .failure(error)
                    }
                },
                complete: { commitError in
                    if let commitError {
                        continuation.resume(throwing: commitError)
                    } else {
                        continuation.resume(with: box.result)
                    }
                })
            condition.lock()
            if stopping {
                condition.unlock()
                continuation.resume(throwing: SQLiteError(code: -1, message: "database is closed"))
                return
            }
            jobs.append(job)
            condition.signal()
            condition.unlock()
        }
    }

    /// Finishes queued jobs, then closes the connection. Blocks until done.
    public func close() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty && stopping {
                finished = true
                condition.broadcast()
                condition.unlock()
                break
            }
            let batch: [Job]
            if jobs.count <= maxJobsPerCommit {
                batch = jobs
                jobs.removeAll(keepingCapacity: true)
            } else {
                batch = Array(jobs.prefix(maxJobsPerCommit))
                jobs.removeFirst(maxJobsPerCommit)
            }
            condition.unlock()
            run(batch)
        }
        connection.close()
    }

    private func run(_ batch: [Job]) {
        do {
            try connection.query("BEGIN IMMEDIATE")
        } catch {
            logger.error("cannot begin transaction: \(error)")
            batch.forEach { $0.complete(error) }
            return
        }
        for job in batch { job.body(connection) }
        do {
            try connection.query("COMMIT")
            condition.lock()
            commitCount += 1
            jobCount += batch.count
            condition.unlock()
            batch.forEach { $0.complete(nil) }
        } catch {
            logger.error("commit failed: \(error)")
            try? connection.query("ROLLBACK")
            batch.forEach { $0.complete(error) }
        }
    }
}
