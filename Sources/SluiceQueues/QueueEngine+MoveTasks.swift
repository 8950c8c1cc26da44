import Foundation
import SluiceCore
import SluiceStorage

extension QueueEngine {
    static let defaultMoveRate = 500

    /// StartMessageMoveTask: moves messages out of a dead-letter queue, back to their
    /// sources or to `destinationArn`.
    public func startMessageMoveTask(sourceArn: String?, destinationArn: String?, maxPerSecond: Int?) async throws(QueueError) -> String {
        guard let sourceArn, !sourceArn.isEmpty else { throw .missing("SourceArn") }
        guard let source = record(arn: sourceArn) else {
            throw QueueError(.resourceNotFound, "The resource that you specified for the SourceArn parameter doesn't exist.")
        }
        guard cache.all().contains(where: { $0.settings.redrivePolicy?.deadLetterTargetArn == sourceArn }) else {
            throw .invalidParameter("SourceArn", sourceArn, reason: "Source queue must be configured as a Dead Letter Queue.")
        }
        if let destinationArn {
            guard let destination = record(arn: destinationArn) else {
                throw QueueError(.resourceNotFound, "The resource that you specified for the DestinationArn parameter doesn't exist.")
            }
            if destination.settings.fifoQueue != source.settings.fifoQueue || destination.id == source.id {
                throw .invalidParameter("DestinationArn", destinationArn, reason: "Destination must be a different queue of the same type as the source.")
            }
        }
        if let maxPerSecond, !(1...500).contains(maxPerSecond) {
            throw .invalidParameter("MaxNumberOfMessagesPerSecond", String(maxPerSecond), reason: "Must be between 1 and 500.")
        }
        let tasks = try await storing("StartMessageMoveTask") { try await store.moveTasks(sourceArn: sourceArn) }
        if tasks.contains(where: { $0.status == .running }) {
            throw QueueError(.unsupportedOperation, "There is already a task running. Only one active task is allowed for a source queue arn at a given time.")
        }
        let counts = try await storing("StartMessageMoveTask") { try await store.counts(source, now: clock.now()) }
        let handle = Self.taskHandle(sourceArn: sourceArn)
        let task = MoveTask(handle: handle, sourceArn: sourceArn, destinationArn: destinationArn, maxPerSecond: maxPerSecond,
                            status: .running, moved: 0, toMove: counts.visible + counts.notVisible + counts.delayed,
                            failureReason: nil, startedAt: clock.now())
        try await storing("StartMessageMoveTask") { try await store.saveMoveTask(task) }
        logger.info("started message move task from \(sourceArn) to \(destinationArn ?? "original sources")")
        moveTaskSignal.fire()
        return handle
    }

    static func taskHandle(sourceArn: String) -> String {
        let json = "{\"taskId\":\"\(Identifiers.uuid())\",\"sourceArn\":\"\(sourceArn)\"}"
        return Data(json.utf8).base64EncodedString()
    }

    public func listMessageMoveTasks(sourceArn: String?, maxResults: Int?) async throws(QueueError) -> [MoveTaskInfo] {
        guard let sourceArn, !sourceArn.isEmpty else { throw .missing("SourceArn") }
        guard record(arn: sourceArn) != nil else {
            throw QueueError(.resourceNotFound, "The resource that you specified for the SourceArn parameter doesn't exist.")
        }
        let limit = maxResults ?? 1
        guard (1...10).contains(limit) else {
            throw .invalidParameter("MaxResults", String(limit), reason: "Must be between 1 and 10, if provided.")
        }
        let tasks = try await storing("ListMessageMoveTasks") { try await store.moveTasks(sourceArn: sourceArn) }
        return tasks.prefix(limit).map { task in
            MoveTaskInfo(taskHandle: task.status == .running ? task.handle : nil, status: task.status.rawValue,
                         sourceArn: task.sourceArn, destinationArn: task.destinationArn,
                         maxNumberOfMessagesPerSecond: task.maxPerSecond, approximateNumberOfMessagesMoved: task.moved,
                         approximateNumberOfMessagesToMove: task.toMove, failureReason: task.failureReason,
                         startedTimestamp: task.startedAt)
        }
    }

    public func cancelMessageMoveTask(taskHandle: String?) async throws(QueueError) -> Int {
        guard let taskHandle, !taskHandle.isEmpty else { throw .missing("TaskHandle") }
        let tasks = try await storing("CancelMessageMoveTask") { try await store.moveTasks(sourceArn: nil) }
        guard var task = tasks.first(where: { $0.handle == taskHandle }) else {
            throw QueueError(.resourceNotFound, "Task does not exist.")
        }
        guard task.status == .running else {
            throw QueueError(.unsupportedOperation, "Only active tasks can be cancelled.")
        }
        task.status = .cancelled
        try await storing("CancelMessageMoveTask") { [task] in try await store.saveMoveTask(task) }
        return task.moved
    }

    /// Runs RUNNING tasks at their rate; sleeps until a task starts when there are none.
    func runMoveTasks() async {
        while !Task.isCancelled {
            let running: [MoveTask]
            do {
                running = try await store.moveTasks(sourceArn: nil).filter { $0.status == .running }
            } catch {
                logger.error("cannot read move tasks: \(error)")
                running = []
            }
            if running.isEmpty {
                await moveTaskSignal.wait(timeoutMillis: nil)
                continue
            }
            let started = clock.now()
            for task in running { await step(task) }
            let elapsed = clock.now() - started
            try? await Task.sleep(nanoseconds: UInt64(max(0, 1000 - elapsed)) * 1_000_000)
        }
    }

    /// Moves one second's worth of messages for `task`.
    private func step(_ task: MoveTask) async {
        var task = task
        guard let source = record(arn: task.sourceArn) else {
            task.status = .failed
            task.failureReason = "Source queue \(task.sourceArn) does not exist."
            try? await store.saveMoveTask(task)
            return
        }
        let destination = task.destinationArn.flatMap { record(arn: $0) }
        if task.destinationArn != nil && destination == nil {
            task.status = .failed
            task.failureReason = "Destination queue \(task.destinationArn!) does not exist."
            try? await store.saveMoveTask(task)
            return
        }
        let budget = min(task.maxPerSecond ?? Self.defaultMoveRate, max(0, task.toMove - task.moved))
        do {
            var movedNow = 0
            var failure: String?
            if budget > 0 {
                (movedNow, failure) = try await store.moveMessages(from: source, to: destination, limit: budget, now: clock.now())
            }
            // A concurrent cancel wins over this step's status.
            let current = try await store.moveTasks(sourceArn: task.sourceArn).first { $0.handle == task.handle }
            if let current, current.status != .running { return }
            task.moved += movedNow
            if let failure {
                task.status = .failed
                task.failureReason = failure
            } else if movedNow < budget || task.moved >= task.toMove {
                task.status = .completed
            }
            try await store.saveMoveTask(task)
            if movedNow > 0 {
                for record in cache.all() { waiters.notify(record.id) }
            }
        } catch {
            logger.error("message move task \(task.handle) failed a step: \(error)")
        }
    }
}
