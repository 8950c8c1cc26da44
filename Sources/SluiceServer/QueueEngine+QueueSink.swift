import SluiceCore
import SluiceQueues
import SluiceStorage
import SluiceTopics

/// The topic layer publishes into the queue engine through this binding.
extension QueueEngine: QueueSink {
    public func queueRecord(arn: String) -> QueueRecord? {
        record(arn: arn)
    }

    public func prepareCopy(_ queue: QueueRecord, body: String, attributes: MessageAttributes, groupId: String?,
                            deduplicationId: String?) throws(QueueError) -> NewMessage {
        try prepareForwarded(queue, body: body, attributes: attributes, groupId: groupId, deduplicationId: deduplicationId)
    }

    public func stored(_ queue: QueueRecord, _ outcomes: [SendOutcome]) {
        afterSend(queue, outcomes)
    }
}
