import Foundation
import SluiceCore
import SluiceStorage

extension TopicEngine {
    static let deliverableProtocols: Set<String> = ["sqs", "http", "https"]
    static let knownProtocols: Set<String> = ["sqs", "http", "https", "lambda", "email", "email-json", "sms", "application", "firehose"]

    /// Subscribe: sqs subscriptions are confirmed at once; http(s) ones get a SubscriptionConfirmation.
    public func subscribe(topicArn: String?, protocol proto: String?, endpoint: String?, attributes: [String: String],
                          returnSubscriptionArn: Bool, context: CallerContext) async throws(TopicError) -> String {
        let (topicArn, topic) = try topic(arn: topicArn)
        guard let proto, !proto.isEmpty else { throw TopicError.invalid("Protocol") }
        guard Self.knownProtocols.contains(proto) else { throw TopicError.invalid("Amazon SNS does not support this protocol string: \(proto)") }
        guard Self.deliverableProtocols.contains(proto) || (proto == "lambda" && functions != nil) else {
            throw TopicError.invalid("Protocol Reason: sluice does not deliver to protocol \(proto) yet; supported protocols are sqs, http, https and lambda")
        }
        guard let endpoint, !endpoint.isEmpty else { throw TopicError.invalid("Endpoint") }
        switch proto {
        case "sqs":
            guard let queueArn = ResourceName.parse(arn: endpoint, service: "sqs") else { throw TopicError.invalid("SQS endpoint ARN") }
            if queueArn.name.hasSuffix(".fifo") && !topic.isFIFO {
                throw TopicError.invalid("Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics")
            }
        case "lambda":
            let parts = endpoint.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count >= 7, parts.count <= 8, parts[0] == "arn", parts[2] == "lambda", parts[5] == "function", !parts[6].isEmpty else {
                throw TopicError.invalid("Invalid parameter: Lambda endpoint ARN")
            }
        default:
            guard let url = URL(string: endpoint), url.scheme?.lowercased() == proto, url.host != nil else {
                throw TopicError.invalid("Endpoint Reason: \(proto.uppercased()) endpoint should start with \(proto)://")
            }
        }
        var stored = [String: String]()
        let scope = attributes["FilterPolicyScope"] ?? "MessageAttributes"
        for (name, value) in attributes {
            stored[name] = try validateSubscriptionAttribute(name, value, protocol: proto, topic: topic, scope: scope, prefix: "Attributes Reason: ")
        }
        if let existing = catalog.subscriptions(of: topicArn).first(where: { $0.record.protocol == proto && $0.record.endpoint == endpoint }) {
            for (name, value) in stored where existing.record.attributes[name] != value {
                throw TopicError.invalid("Attributes Reason: Subscription already exists with different attributes")
            }
            return existing.record.pendingConfirmation && !returnSubscriptionArn ? "pending confirmation" : existing.record.arn
        }
        let arn = "\(topicArn):\(Identifiers.uuid())"
        let now = clock.now()
        let needsConfirmation = proto == "http" || proto == "https"
        let token = needsConfirmation ? Self.token() : nil
        let record = SubscriptionRecord(arn: arn, topicArn: topicArn, protocol: proto, endpoint: endpoint, owner: topic.account,
                                        attributes: stored, pendingConfirmation: needsConfirmation, token: token,
                                        confirmationWasAuthenticated: false, createdAt: now)
        var deliveries = [DeliveryRecord]()
        if let token {
            deliveries.append(confirmationDelivery(kind: "SubscriptionConfirmation", subscription: record, token: token, context: context, now: now))
        }
        try await storing("Subscribe") { try await store.saveSubscription(record, deliveries: deliveries) }
        catalog.putSubscription(Subscription(record: record))
        if !deliveries.isEmpty { deliveryAlarm.poke() }
        logger.info("subscribed \(proto) \(endpoint) to \(topicArn)")
        return needsConfirmation && !returnSubscriptionArn ? "pending confirmation" : arn
    }

    static func token() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<8).map { _ -> String in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    /// A SubscriptionConfirmation or UnsubscribeConfirmation POST.
    func confirmationDelivery(kind: String, subscription: SubscriptionRecord, token: String, context: CallerContext, now: Millis) -> DeliveryRecord {
        let messageId = Identifiers.uuid()
        let topicArn = subscription.topicArn
        let subscribeURL = "\(context.baseURL)/?Action=ConfirmSubscription&TopicArn=\(Self.percent(topicArn))&Token=\(token)"
        let message = kind == "SubscriptionConfirmation"
            ? "You have chosen to subscribe to the topic \(topicArn).\nTo confirm the subscription, visit the SubscribeURL included in this message."
            : "You have chosen to deactivate subscription \(subscription.arn).\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message."
        let timestamp = AWSTime.iso8601(now)
        let version = catalog.topic(topicArn)?.attributes["SignatureVersion"] ?? "1"
        let stringToSign = "Message\n\(message)\nMessageId\n\(messageId)\nSubscribeURL\n\(subscribeURL)\nTimestamp\n\(timestamp)\nToken\n\(token)\nTopicArn\n\(topicArn)\nType\n\(kind)\n"
        let body = JSONText.object([
            ("Type", JSONText.quoted(kind)), ("MessageId", JSONText.quoted(messageId)), ("Token", JSONText.quoted(token)),
            ("TopicArn", JSONText.quoted(topicArn)), ("Message", JSONText.quoted(message)),
            ("SubscribeURL", JSONText.quoted(subscribeURL)), ("Timestamp", JSONText.quoted(timestamp)),
            ("SignatureVersion", JSONText.quoted(version)), ("Signature", JSONText.quoted(signer.sign(stringToSign, version: version))),
            ("SigningCertURL", JSONText.quoted(context.baseURL + signer.certificatePath)),
        ])
        let headers = [
            "x-amz-sns-message-type": kind, "x-amz-sns-message-id": messageId, "x-amz-sns-topic-arn": topicArn,
            "Content-Type": "text/plain; charset=UTF-8", "User-Agent": "Amazon Simple Notification Service Agent",
        ]
        return DeliveryRecord(subscriptionArn: subscription.arn, kind: kind, endpoint: subscription.endpoint, messageId: messageId,
                              body: body, headers: headers, firstAt: now, dueAt: now)
    }

    static func percent(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// Validates a settable subscription attribute; returns the value to store (nil removes).
    func validateSubscriptionAttribute(_ name: String, _ value: String, protocol proto: String, topic: TopicRecord, scope: String,
                                       currentFilterPolicy: String? = nil, prefix: String) throws(TopicError) -> String? {
        switch name {
        case "RawMessageDelivery":
            guard value == "true" || value == "false" || value == "True" || value == "False" else {
                throw TopicError.invalid("\(prefix)RawMessageDelivery: Invalid value [\(value)]. Must be true or false.")
            }
            return value.lowercased()
        case "FilterPolicy":
            if value.isEmpty { return nil }
            do {
                _ = try FilterPolicy(json: value, scope: FilterPolicyScope(rawValue: scope) ?? .messageAttributes)
            } catch {
                throw TopicError.invalid("\(prefix)\(error.reason)")
            }
            return value
        case "FilterPolicyScope":
            guard let newScope = FilterPolicyScope(rawValue: value) else {
                throw TopicError.invalid("\(prefix)FilterPolicyScope: Invalid value [\(value)]. Please use either MessageBody or MessageAttributes")
            }
            if let policy = currentFilterPolicy, (try? FilterPolicy(json: policy, scope: newScope)) == nil {
                throw TopicError.invalid("\(prefix)Filter policy scope MessageAttributes does not support nested filter policy")
            }
            return value
        case "RedrivePolicy":
            if value.isEmpty { return nil }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(value.utf8))) as? [String: Any] else {
                throw TopicError.invalid("\(prefix)RedrivePolicy: failed to parse JSON")
            }
            guard let target = object["deadLetterTargetArn"] as? String, let queue = ResourceName.parse(arn: target, service: "sqs") else {
                throw TopicError.invalid("\(prefix)RedrivePolicy: deadLetterTargetArn is an invalid arn")
            }
            if topic.isFIFO && !queue.name.hasSuffix(".fifo") {
                throw TopicError.invalid("\(prefix)RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic.")
            }
            return value
        case "DeliveryPolicy":
            if value.isEmpty { return nil }
            _ = try DeliveryPolicy(subscriptionJSON: value)
            return DeliveryPolicy.normalizedSubscriptionJSON(value)
        case "SubscriptionRoleArn", "ReplayPolicy":
            return value.isEmpty ? nil : value
        default:
            throw TopicError.invalid("AttributeName")
        }
    }

    /// ConfirmSubscription (also reached by the unsigned SubscribeURL GET).
    public func confirmSubscription(topicArn: String?, token: String?, authenticateOnUnsubscribe: Bool) async throws(TopicError) -> String {
        let (topicArn, _) = try topic(arn: topicArn)
        guard let token, !token.isEmpty else { throw TopicError.invalid("Token") }
        guard let subscription = catalog.allSubscriptions().first(where: { $0.record.token == token }) else {
            throw TopicError.invalid("Token")
        }
        guard subscription.record.topicArn == topicArn else { throw TopicError.invalid("Topic") }
        guard subscription.record.pendingConfirmation else { return subscription.record.arn }
        var record = subscription.record
        record.pendingConfirmation = false
        record.confirmationWasAuthenticated = authenticateOnUnsubscribe
        try await storing("ConfirmSubscription") { [record] in try await store.saveSubscription(record, deliveries: []) }
        catalog.putSubscription(Subscription(record: record))
        logger.info("confirmed subscription \(record.arn)")
        return record.arn
    }

    public func unsubscribe(arn: String?, context: CallerContext) async throws(TopicError) {
        guard let arn, !arn.isEmpty else { throw TopicError.invalid("SubscriptionArn") }
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 7, parts[0] == "arn", parts[2] == "sns" else { throw TopicError.invalid("SubscriptionArn") }
        guard let subscription = catalog.subscription(arn) else { return }
        var deliveries = [DeliveryRecord]()
        if (subscription.record.protocol == "http" || subscription.record.protocol == "https") && !subscription.record.pendingConfirmation {
            deliveries.append(confirmationDelivery(kind: "UnsubscribeConfirmation", subscription: subscription.record,
                                                   token: subscription.record.token ?? Self.token(), context: context, now: clock.now()))
        }
        try await storing("Unsubscribe") { try await store.deleteSubscription(arn: arn, deliveries: deliveries) }
        catalog.removeSubscription(arn)
        if !deliveries.isEmpty { deliveryAlarm.poke() }
        logger.info("unsubscribed \(arn)")
    }

    /// A subscription as the List* calls show it.
    public struct SubscriptionSummary: Sendable {
        public var subscriptionArn: String
        public var owner: String
        public var `protocol`: String
        public var endpoint: String
        public var topicArn: String
    }

    public func listSubscriptions(topicArn: String?, nextToken: String?) throws(TopicError) -> (items: [SubscriptionSummary], nextToken: String?) {
        let subscriptions: [Subscription]
        if let topicArn {
            let (arn, _) = try topic(arn: topicArn)
            subscriptions = catalog.subscriptions(of: arn)
        } else {
            subscriptions = catalog.allSubscriptions()
        }
        let keys = subscriptions.map(\.record.arn).sorted()
        let (page, next) = try Self.page(keys, nextToken: nextToken, size: 100)
        let items = page.compactMap { catalog.subscription($0) }.map { s in
            SubscriptionSummary(subscriptionArn: s.record.pendingConfirmation ? "PendingConfirmation" : s.record.arn, owner: s.record.owner,
                                protocol: s.record.protocol, endpoint: s.record.endpoint, topicArn: s.record.topicArn)
        }
        return (items, next)
    }

    public func getSubscriptionAttributes(arn: String?) throws(TopicError) -> [String: String] {
        guard let arn, !arn.isEmpty else { throw TopicError.invalid("SubscriptionArn") }
        guard let subscription = catalog.subscription(arn) else { throw TopicError.subscriptionNotFound }
        let record = subscription.record
        var out = record.attributes
        out["SubscriptionArn"] = record.arn
        out["TopicArn"] = record.topicArn
        out["Protocol"] = record.protocol
        out["Endpoint"] = record.endpoint
        out["Owner"] = record.owner
        out["PendingConfirmation"] = record.pendingConfirmation ? "true" : "false"
        out["ConfirmationWasAuthenticated"] = record.confirmationWasAuthenticated ? "true" : "false"
        out["RawMessageDelivery"] = record.attributes["RawMessageDelivery"] ?? "false"
        out["SubscriptionPrincipal"] = "arn:aws:iam::\(record.owner):user/sluice"
        if record.attributes["FilterPolicy"] != nil { out["FilterPolicyScope"] = record.attributes["FilterPolicyScope"] ?? "MessageAttributes" }
        if record.protocol == "http" || record.protocol == "https" {
            out["EffectiveDeliveryPolicy"] = effectivePolicy(subscription, topicArn: record.topicArn).subscriptionJSON
        }
        return out
    }

    public func setSubscriptionAttribute(arn: String?, name: String?, value: String?) async throws(TopicError) {
        guard let arn, !arn.isEmpty else { throw TopicError.invalid("SubscriptionArn") }
        guard let subscription = catalog.subscription(arn), let topic = catalog.topic(subscription.record.topicArn) else {
            throw TopicError.subscriptionNotFound
        }
        guard let name, !name.isEmpty else { throw TopicError.invalid("AttributeName") }
        var record = subscription.record
        record.attributes[name] = try validateSubscriptionAttribute(
            name, value ?? "", protocol: record.protocol, topic: topic, scope: record.attributes["FilterPolicyScope"] ?? "MessageAttributes",
            currentFilterPolicy: record.attributes["FilterPolicy"], prefix: "")
        try await storing("SetSubscriptionAttributes") { [record] in try await store.saveSubscription(record, deliveries: []) }
        catalog.putSubscription(Subscription(record: record))
    }
}
