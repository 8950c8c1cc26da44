import Foundation
import SluiceCore
import SluiceStorage

extension TopicEngine {
    static let deliveryTimeoutSeconds = 15.0
    static let maxConcurrentDeliveries = 64

    /// Delivers due HTTP(S) messages, each in its own child task so a slow endpoint delays
    /// only its own deliveries. Sleeps until the next delivery is due or a new one arrives.
    func runDeliveries() async {
        let store = self.store
        await DueWork.run(
            capacity: Self.maxConcurrentDeliveries, alarm: deliveryAlarm, clock: clock,
            fetch: { now, limit in
                let due = try await store.dueDeliveries(now: now, limit: limit)
                if !due.isEmpty {
                    // A lease: after a crash the attempts in progress are made again when it runs out.
                    try await store.lease(ids: due.map(\.id), until: now + Millis((Self.deliveryTimeoutSeconds + 15) * 1000))
                }
                return due
            },
            nextDue: { try await store.nextDeliveryDue() },
            onError: { [logger] error in logger.error("cannot read pending deliveries: \(error)") },
            attempt: { delivery in await self.attempt(delivery) })
    }

    /// The delivery policy in force for a subscription.
    func effectivePolicy(_ subscription: Subscription?, topicArn: String?) -> DeliveryPolicy {
        let topicPolicy = topicArn.flatMap { catalog.topic($0) }?.attributes["DeliveryPolicy"].flatMap { try? DeliveryPolicy.topic(json: $0) }
        if let topicPolicy, !topicPolicy.overridable { return topicPolicy.policy }
        return subscription?.deliveryPolicy ?? topicPolicy?.policy ?? DeliveryPolicy()
    }

    /// One attempt: success removes the delivery; failure schedules the next retry or, when
    /// retries are exhausted, sends it to the subscription's dead-letter queue.
    func attempt(_ delivery: DeliveryRecord) async {
        let subscription = catalog.subscription(delivery.subscriptionArn)
        let topicArn = subscription?.record.topicArn ?? delivery.headers["x-amz-sns-topic-arn"]
        let policy = effectivePolicy(subscription, topicArn: topicArn)
        if delivery.kind == "Notification" && subscription == nil {
            // Unsubscribed meanwhile: nothing to deliver to.
            _ = try? await store.finishDelivery(id: delivery.id, deadLetter: nil, now: clock.now())
            return
        }
        let now = clock.now()
        let slot = throttle.reserve(delivery.subscriptionArn, perSecond: policy.maxReceivesPerSecond, now: now)
        if slot > now {
            try? await store.rescheduleDelivery(id: delivery.id, attempts: delivery.attempts, dueAt: slot)
            return
        }
        var status: Int?
        var failure = ""
        // A function takes the notification as an asynchronous invocation (Lambda retries
        // it); a missing function is not worth retrying, a storage hiccup is.
        var retryable = true
        if subscription?.record.protocol == "lambda" {
            do {
                guard let functions else { throw TopicError.invalid("functions are not available") }
                if try await functions.enqueueEvent(functionArn: delivery.endpoint,
                                                    payload: Self.lambdaEvent(subscriptionArn: delivery.subscriptionArn, sns: delivery.body),
                                                    deadLetterArn: subscription?.deadLetterArn, deadLetterBody: delivery.body) {
                    status = 202
                } else {
                    retryable = false
                    failure = "no function \(delivery.endpoint)"
                }
            } catch {
                failure = "\(error)"
            }
        } else {
            do {
                status = try await client.post(url: delivery.endpoint, body: delivery.body, headers: delivery.headers,
                                               timeoutSeconds: Self.deliveryTimeoutSeconds)
            } catch {
                failure = "\(error)"
            }
        }
        do {
            if let status, (200..<300).contains(status) {
                _ = try await store.finishDelivery(id: delivery.id, deadLetter: nil, now: clock.now())
                if delivery.kind == "Notification", let topicArn { observer.delivered(topicArn: topicArn) }
                return
            }
            let attempts = delivery.attempts + 1
            let reason = status.map { "HTTP \($0)" } ?? failure
            // For HTTP(S), CloudWatch counts every failed attempt, retries included.
            if delivery.kind == "Notification", let topicArn { observer.failed(topicArn: topicArn) }
            if retryable, let delay = policy.delay(beforeRetry: attempts) {
                logger.debug("delivery \(delivery.messageId) to \(delivery.endpoint) failed (\(reason)); retry \(attempts) in \(delay) s")
                try await store.rescheduleDelivery(id: delivery.id, attempts: attempts, dueAt: clock.now() + Millis(delay * 1000))
                return
            }
            logger.warning("delivery \(delivery.messageId) to \(delivery.endpoint) failed after \(attempts) attempts (\(reason))")
            var deadLetter: (queue: QueueRecord, message: NewMessage)?
            if delivery.kind == "Notification", let arn = subscription?.deadLetterArn, let queue = sink.queueRecord(arn: arn) {
                deadLetter = try? (queue, sink.prepareCopy(queue, body: delivery.body, attributes: [:], groupId: nil, deduplicationId: nil))
            }
            let stored = try await store.finishDelivery(id: delivery.id, deadLetter: deadLetter, now: clock.now())
            if let topicArn, delivery.kind == "Notification", subscription?.deadLetterArn != nil {
                observer.redrivenToDeadLetter(topicArn: topicArn, succeeded: deadLetter != nil)
            }
            if let deadLetter { sink.stored(deadLetter.queue, stored) }
        } catch {
            logger.error("cannot record delivery outcome for \(delivery.messageId): \(error)")
        }
    }

    /// The event a function receives for one notification.
    static func lambdaEvent(subscriptionArn: String, sns: String) -> String {
        "{\"Records\":[{\"EventSource\":\"aws:sns\",\"EventVersion\":\"1.0\",\"EventSubscriptionArn\":\(JSONText.quoted(subscriptionArn)),\"Sns\":\(sns)}]}"
    }

    /// Deliveries waiting (including retries), for the metrics exporter.
    public func pendingDeliveries() async -> Int {
        (try? await store.pendingDeliveryCount()) ?? 0
    }
}
