import SluiceQueues
import SluiceWire

extension SQSActions {
    static let deleteMessageBatch: SQSAction = { call throws(QueueError) in
        let entries = try call.batchEntries(json: "Entries", query: "DeleteMessageBatchRequestEntry").map { entry throws(QueueError) in
            BatchEntry(id: entry.id, value: try entry.params.string("ReceiptHandle"))
        }
        let results = try await call.engine.deleteMessageBatch(try call.queue(), entries)
        return SQSFields.batchResult(results, entry: "DeleteMessageBatchResultEntry") { id, _ in [.scalar("Id", .string(id))] }
    }
}
