import SluiceQueues
import SluiceWire

extension SQSActions {
    static let sendMessageBatch: SQSAction = { call throws(QueueError) in
        let entries = try call.batchEntries(json: "Entries", query: "SendMessageBatchRequestEntry").map { entry throws(QueueError) in
            BatchEntry(id: entry.id, value: try sendRequest(entry.params))
        }
        let results = try await call.engine.sendMessageBatch(try call.queue(), entries, senderId: call.senderId)
        return SQSFields.batchResult(results, entry: "SendMessageBatchResultEntry") { id, result in
            [.scalar("Id", .string(id))] + sendFields(result)
        }
    }
}
