import Foundation
import SluiceCore
import SluiceStorage

extension TopicEngine {
    public static let maxMessageBytes = 262_144

    /// A publish that passed validation.
    struct ValidPublish: Sendable {
        var messageId: String
        var message: String
        /// Per-protocol messages of MessageStructure=json (`default` under "default").
        var perProtocol: [String: String]
        var subject: String?
        var attributes: [String: SNSAttribute]
        var groupId: String?
        var deduplicationId: String?
        var deduplicationKey: String?
        var bytes: Int

        func message(for proto: String) -> String { perProtocol[proto] ?? perProtocol["default"] ?? message }
    }

    public func publish(topicArn: String?, targetArn: String?, _ request: PublishRequest, context: CallerContext) async throws(TopicError) -> PublishResult {
        let arnParameter = topicArn == nil && targetArn != nil ? "TargetArn" : "TopicArn"
        if topicArn == nil && targetArn == nil { throw TopicError.invalid("TopicArn or TargetArn Reason: no value for required parameter") }
        let (arn, topic) = try self.topic(arn: topicArn ?? targetArn, parameter: arnParameter)
        let valid = try validate(request, topic: topic)
        let outcomes = try await commit(arn: arn, topic: topic, [valid], context: context)
        return PublishResult(messageId: outcomes[0].messageId, sequenceNumber: topic.isFIFO ? Self.sequenceNumber(outcomes[0].sequence) : nil)
    }

    public func publishBatch(topicArn: String?, entries: [(id: String, request: PublishRequest)], context: CallerContext) async throws(TopicError) -> [PublishBatchResult] {
        let (arn, topic) = try self.topic(arn: topicArn)
        guard !entries.isEmpty else { throw TopicError(.emptyBatchRequest, "The batch request doesn't contain any entries.") }
        guard entries.count <= 10 else { throw TopicError(.tooManyEntriesInBatchRequest, "The batch request contains more entries than permissible.") }
        var seen = Set<String>()
        for entry in entries {
            guard SQSLimits.isValidBatchEntryId(entry.id) else {
                throw TopicError(.invalidBatchEntryId, entry.id.count > 80
                    ? "The Id of a batch entry in the batch request is too long: \(entry.id)"
                    : "The Id of a batch entry in the batch request contains an impermissible character: \(entry.id)")
            }
            guard seen.insert(entry.id).inserted else { throw TopicError(.batchEntryIdsNotDistinct, "Two or more batch entries in the request have the same Id.") }
        }
        let total = entries.reduce(0) { $0 + ($1.request.message?.utf8.count ?? 0) + Self.attributeBytes($1.request.attributes) }
        guard total <= Self.maxMessageBytes else { throw TopicError(.batchRequestTooLong, "The length of all the messages put together is more than the limit.") }
        var results = [PublishBatchResult?](repeating: nil, count: entries.count)
        var valid = [(Int, ValidPublish)]()
        for (index, entry) in entries.enumerated() {
            do {
                valid.append((index, try validate(entry.request, topic: topic)))
            } catch {
                results[index] = PublishBatchResult(id: entry.id, result: .failure(error))
            }
        }
        if !valid.isEmpty {
            let outcomes = try await commit(arn: arn, topic: topic, valid.map(\.1), context: context)
            for ((index, _), outcome) in zip(valid, outcomes) {
                results[index] = PublishBatchResult(id: entries[index].id, result: .success(PublishResult(
                    messageId: outcome.messageId, sequenceNumber: topic.isFIFO ? Self.sequenceNumber(outcome.sequence) : nil)))
            }
        }
        return results.map { $0! }
    }

    static func sequenceNumber(_ sequence: Int64) -> String {
        String(UInt64(10_000_000_000_000_000_000) + UInt64(sequence))
    }

    static func attributeBytes(_ attributes: [String: SNSAttribute]) -> Int {
        attributes.reduce(0) { $0 + $1.key.utf8.count + $1.value.dataType.utf8.count + ($1.value.stringValue?.utf8.count ?? 0) + ($1.value.binaryValue?.count ?? 0) }
    }

    func validate(_ request: PublishRequest, topic: TopicRecord) throws(TopicError) -> ValidPublish {
        guard let message = request.message, !message.isEmpty else { throw TopicError.invalid("Empty message") }
        let bytes = message.utf8.count + Self.attributeBytes(request.attributes)
        guard bytes <= Self.maxMessageBytes else { throw TopicError.invalid("Message too long") }
        if let subject = request.subject {
            guard !subject.isEmpty, subject.count < 100,
                  subject.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7f }) else { throw TopicError.invalid("Subject") }
        }
        var perProtocol = [String: String]()
        if let structure = request.messageStructure {
            guard structure == "json" else { throw TopicError.invalid("MessageStructure") }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(message.utf8))) as? [String: Any] else {
                throw TopicError.invalid("Message Structure - JSON message body failed to parse")
            }
            guard object["default"] is String else { throw TopicError.invalid("Message Structure - No default entry in JSON message body") }
            for (key, value) in object { if let text = value as? String { perProtocol[key] = text } }
        }
        try Self.validateAttributes(request.attributes)
        var groupId = request.groupId
        var dedupId = request.deduplicationId
        var dedupKey: String?
        if topic.isFIFO {
            guard let group = groupId, !group.isEmpty else { throw TopicError.invalid("The MessageGroupId parameter is required for FIFO topics") }
            guard SQSLimits.isValidTokenId(group) else { throw TopicError.invalid("MessageGroupId Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.") }
            if dedupId == nil {
                guard topic.attributes["ContentBasedDeduplication"] == "true" else {
                    throw TopicError.invalid("The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
                }
                dedupId = Digest.sha256Hex(message)
            }
            guard SQSLimits.isValidTokenId(dedupId!) else { throw TopicError.invalid("MessageDeduplicationId Reason: MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length.") }
            dedupKey = topic.attributes["FifoThroughputScope"] == "MessageGroup" ? "\(group)\u{0}\(dedupId!)" : dedupId
        } else {
            if dedupId != nil { throw TopicError.invalid("MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type") }
            if let group = groupId, !SQSLimits.isValidTokenId(group) {
                throw TopicError.invalid("MessageGroupId Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.")
            }
            if groupId?.isEmpty == true { groupId = nil }
        }
        return ValidPublish(messageId: Identifiers.uuid(), message: message, perProtocol: perProtocol, subject: request.subject,
                            attributes: request.attributes, groupId: groupId, deduplicationId: dedupId, deduplicationKey: dedupKey, bytes: bytes)
    }

    static func validateAttributes(_ attributes: [String: SNSAttribute]) throws(TopicError) {
        for name in attributes.keys.sorted() {
            let attribute = attributes[name]!
            func invalid(_ text: String) -> TopicError { TopicError(.parameterValueInvalid, text) }
            if name.isEmpty { throw invalid("The message attribute name can not be empty.") }
            if name.utf8.count >= 256 { throw invalid("Length of message attribute name must be less than 256 bytes.") }
            if name.hasPrefix(".") { throw invalid("Invalid message attribute name starting with character '.' was found.") }
            if name.hasSuffix(".") { throw invalid("Invalid message attribute name ending with character '.' was found.") }
            if name.contains("..") { throw invalid("Message attribute name can not have successive '.' character.") }
            let lower = name.lowercased()
            if lower.hasPrefix("aws.") || lower.hasPrefix("amazon.") { throw invalid("The message attribute name '\(name)' is reserved.") }
            guard name.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x61 && $0 <= 0x7a) || $0 == 0x2d || $0 == 0x5f || $0 == 0x2e }) else {
                throw invalid("Invalid non-alphanumeric character was found in the message attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots.")
            }
            let type = attribute.dataType
            let base = type.split(separator: ".", maxSplits: 1).first.map(String.init) ?? ""
            guard ["String", "Number", "Binary"].contains(base) else {
                throw invalid("The message attribute '\(name)' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.")
            }
            if base == "Binary" {
                guard let bytes = attribute.binaryValue, !bytes.isEmpty else {
                    throw invalid("The message attribute '\(name)' must contain non-empty message attribute value for message attribute type '\(type)'.")
                }
            } else {
                if attribute.stringValue == nil && attribute.binaryValue != nil {
                    throw invalid("The message attribute '\(name)' with type '\(type)' must use field 'String'.")
                }
                guard let value = attribute.stringValue, !value.isEmpty else {
                    throw invalid("The message attribute '\(name)' must contain non-empty message attribute value for message attribute type '\(type)'.")
                }
                if base == "Number" && Double(value.trimmingCharacters(in: .whitespaces)) == nil {
                    throw invalid("Could not cast message attribute '\(name)' value to number.")
                }
            }
        }
    }

    /// Decides every subscription and commits the queue copies and HTTP deliveries with the publish.
    func commit(arn: String, topic: TopicRecord, _ publishes: [ValidPublish], context: CallerContext) async throws(TopicError) -> [PublishOutcome] {
        let now = clock.now()
        let subscriptions = catalog.subscriptions(of: arn).filter { !$0.record.pendingConfirmation }
        let version = topic.attributes["SignatureVersion"] ?? "1"
        let topicPolicy = topic.attributes["DeliveryPolicy"].flatMap { try? DeliveryPolicy.topic(json: $0) }
        var items = [PublishItem]()
        for publish in publishes {
            observer.published(topicArn: arn, bytes: publish.bytes)
            var targets = [Subscription]()
            var bodies = [String: FilterMessageBody]()
            for subscription in subscriptions {
                let outcome = decide(subscription, publish, bodies: &bodies)
                if outcome == .matched {
                    targets.append(subscription)
                } else {
                    observer.filteredOut(topicArn: arn, reason: outcome)
                }
            }
            let timestamp = AWSTime.iso8601(now)
            var signatures = [String: String]()
            if !topic.isFIFO {
                // Raw deliveries carry no envelope, so only enveloped ones need a signature (RSA is costly).
                for proto in Set(targets.filter { !$0.raw }.map(\.record.protocol)) {
                    let message = publish.message(for: proto)
                    if signatures[message] == nil {
                        var text = "Message\n\(message)\nMessageId\n\(publish.messageId)\n"
                        if let subject = publish.subject { text += "Subject\n\(subject)\n" }
                        text += "Timestamp\n\(timestamp)\nTopicArn\n\(arn)\nType\nNotification\n"
                        signatures[message] = signer.sign(text, version: version)
                    }
                }
            }
            let envelope = Envelope(topicArn: arn, publish: publish, timestamp: timestamp, signatureVersion: version,
                                    signatures: signatures, certificateURL: context.baseURL + signer.certificatePath,
                                    unsubscribeBase: "\(context.baseURL)/?Action=Unsubscribe&SubscriptionArn=", fifo: topic.isFIFO)
            let plan = DeliveryPlan(targets: targets, publish: publish, envelope: envelope, topicPolicy: topicPolicy, sink: sink, now: now)
            items.append(PublishItem(messageId: publish.messageId, deduplicationKey: publish.deduplicationKey) { sequence in
                plan.writes(sequence: sequence)
            })
        }
        let outcomes = try await storing("Publish") { try await store.publish(topic: topic, items: items, now: now) }
        var anyDelivery = false
        for outcome in outcomes where !outcome.duplicate {
            var copies = 0
            for copiesInQueue in outcome.queueOutcomes.values {
                sink.stored(copiesInQueue.queue, copiesInQueue.outcomes)
                copies += copiesInQueue.outcomes.count
            }
            // Copies that went to a subscription's dead-letter queue were not delivered.
            for _ in 0..<max(0, copies - outcome.redriven) { observer.delivered(topicArn: arn) }
            for _ in 0..<outcome.failed { observer.failed(topicArn: arn) }
            if outcome.failed > outcome.redriven {
                logger.warning("message \(outcome.messageId) from \(arn): \(outcome.failed - outcome.redriven) queue copies could not be delivered (queue missing or message invalid for it) and have no dead-letter queue")
            }
            for _ in 0..<outcome.redriven { observer.redrivenToDeadLetter(topicArn: arn, succeeded: true) }
            anyDelivery = anyDelivery || outcome.deliveriesQueued > 0
        }
        if anyDelivery { deliveryAlarm.poke() }
        return outcomes
    }

    /// Whether a subscription's filter policy admits a message.
    /// `bodies` caches parsed message bodies across the subscriptions of one publish.
    func decide(_ subscription: Subscription, _ publish: ValidPublish, bodies: inout [String: FilterMessageBody]) -> FilterOutcome {
        if subscription.filterUnusable { return .filteredOut(.messageAttributes) }
        guard let filter = subscription.filter else { return .matched }
        if filter.scope == .messageBody {
            let text = publish.message(for: subscription.record.protocol)
            if bodies[text] == nil { bodies[text] = FilterMessageBody(text) }
            return filter.matches(body: bodies[text]!)
        }
        return filter.matches(attributes: publish.attributes.mapValues { FilterAttribute(dataType: $0.dataType, stringValue: $0.stringValue) })
    }
}
