import SluiceWire

extension SQSActions {
    static let listMessageMoveTasks: SQSAction = { call throws(QueueError) in
        let tasks = try await call.engine.listMessageMoveTasks(sourceArn: try call.params.string("SourceArn"), maxResults: try call.params.int("MaxResults"))
        let items: [WireItem] = tasks.map { task in
            .structure([
                .string("TaskHandle", task.taskHandle),
                .string("Status", task.status),
                .string("SourceArn", task.sourceArn),
                .string("DestinationArn", task.destinationArn),
                .int("MaxNumberOfMessagesPerSecond", task.maxNumberOfMessagesPerSecond),
                .scalar("ApproximateNumberOfMessagesMoved", .int(Int64(task.approximateNumberOfMessagesMoved))),
                .scalar("ApproximateNumberOfMessagesToMove", .int(Int64(task.approximateNumberOfMessagesToMove))),
                .string("FailureReason", task.failureReason),
                .scalar("StartedTimestamp", .int(task.startedTimestamp)),
            ].compactMap { $0 })
        }
        return [.list(json: "Results", xml: "ListMessageMoveTasksResultEntry", wrapped: false, items)]
    }
}
