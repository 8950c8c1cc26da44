import SluiceWire

extension SQSActions {
    static let startMessageMoveTask: SQSAction = { call throws(QueueError) in
        let handle = try await call.engine.startMessageMoveTask(
            sourceArn: try call.params.string("SourceArn"), destinationArn: try call.params.string("DestinationArn"),
            maxPerSecond: try call.params.int("MaxNumberOfMessagesPerSecond"))
        return [.scalar("TaskHandle", .string(handle))]
    }
}
