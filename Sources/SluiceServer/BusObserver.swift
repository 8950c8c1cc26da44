import SluiceCore
import SluiceQueues
import SluiceStorage
import SluiceTopics

/// Puts what the queue engine and the topic layer report on the event bus.
struct BusObserver: QueueObserver, TopicObserver {
    let bus: EventBus
    let clock: any SluiceClock = SystemClock()

    func sent(_ queue: QueueRecord, _ outcomes: [SendOutcome]) {
        let fresh = outcomes.filter { !$0.duplicate }
        guard !fresh.isEmpty, bus.isObserved else { return }
        let ids = "[" + fresh.prefix(10).map { JSONText.quoted($0.messageId) }.joined(separator: ",") + "]"
        bus.publish(BrokerEvent(kind: "message.available", time: clock.now(), queue: queue.key.name,
                                detail: [("count", String(fresh.count)), ("messageIds", ids)]))
    }

    func received(_ queue: QueueRecord, count: Int) {}
    func deleted(_ queue: QueueRecord, count: Int) {}
    func removed(_ queue: QueueRecord) {}

    func deadLettered(from source: QueueRecord, to target: QueueRecord, count: Int) {
        bus.publish(BrokerEvent(kind: "message.dead-lettered", time: clock.now(), queue: source.key.name,
                                detail: [("deadLetterQueue", JSONText.quoted(target.key.name)), ("count", String(count))]))
    }

    static func topicName(_ arn: String) -> String { String(arn.split(separator: ":").last ?? "") }

    func published(topicArn: String, bytes: Int) {}
    func delivered(topicArn: String) {
        bus.publish(BrokerEvent(kind: "notification.delivered", time: clock.now(), topic: Self.topicName(topicArn)))
    }
    func failed(topicArn: String) {
        bus.publish(BrokerEvent(kind: "notification.failed", time: clock.now(), topic: Self.topicName(topicArn)))
    }
    func filteredOut(topicArn: String, reason: FilterOutcome) {}
    func redrivenToDeadLetter(topicArn: String, succeeded: Bool) {
        bus.publish(BrokerEvent(kind: "message.dead-lettered", time: clock.now(), topic: Self.topicName(topicArn),
                                detail: [("redriven", succeeded ? "true" : "false")]))
    }
    func removed(topicArn: String) {}
}
