import SluiceWire

extension SQSActions {
    static let cancelMessageMoveTask: SQSAction = { call throws(QueueError) in
        let moved = try await call.engine.cancelMessageMoveTask(taskHandle: try call.params.string("TaskHandle"))
        return [.scalar("ApproximateNumberOfMessagesMoved", .int(Int64(moved)))]
    }
}
