import SluiceQueues
import SluiceWire

extension SQSActions {
    static let changeMessageVisibilityBatch: SQSAction = { call throws(QueueError) in
        let entries = try call.batchEntries(json: "Entries", query: "ChangeMessageVisibilityBatchRequestEntry").map { entry throws(QueueError) in
            BatchEntry(id: entry.id, value: (try entry.params.string("ReceiptHandle"), try entry.params.int("VisibilityTimeout")))
        }
        let results = try await call.engine.changeMessageVisibilityBatch(try call.queue(), entries)
        return SQSFields.batchResult(results, entry: "ChangeMessageVisibilityBatchResultEntry") { id, _ in [.scalar("Id", .string(id))] }
    }
}
