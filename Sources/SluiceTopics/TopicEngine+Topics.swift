import Foundation
import SluiceCore
import SluiceStorage

extension TopicEngine {
    static let feedbackAttribute = try! NSRegularExpression(pattern: "^(HTTP|Firehose|Lambda|Application|SQS)(Success|Failure)Feedback(RoleArn|SampleRate)$")

    /// Validates one settable topic attribute; returns the value to store (nil removes it).
    static func validateTopicAttribute(_ name: String, _ value: String, fifo: Bool) throws(TopicError) -> String? {
        switch name {
        case "DisplayName":
            guard value.count <= 100 else { throw TopicError.invalid("DisplayName") }
            return value
        case "Policy", "DataProtectionPolicy", "ArchivePolicy":
            if value.isEmpty { return nil }
            guard (try? JSONSerialization.jsonObject(with: Data(value.utf8))) is [String: Any] else {
                throw TopicError.invalid("\(name): failed to parse JSON")
            }
            return value
        case "DeliveryPolicy":
            if value.isEmpty { return nil }
            _ = try DeliveryPolicy.topic(json: value)
            return value
        case "TracingConfig":
            guard value == "PassThrough" || value == "Active" else { throw TopicError.invalid("TracingConfig: Invalid value [\(value)]. Please use either Active or PassThrough") }
            return value
        case "KmsMasterKeyId":
            return value.isEmpty ? nil : value
        case "SignatureVersion":
            guard value == "1" || value == "2" else { throw TopicError.invalid("SignatureVersion: Invalid value [\(value)]. Please use either 1 or 2") }
            return value
        case "ContentBasedDeduplication":
            guard fifo else { throw TopicError.invalid("ContentBasedDeduplication: only FIFO topics support content-based deduplication") }
            guard value == "true" || value == "false" else { throw TopicError.invalid("ContentBasedDeduplication: Invalid value [\(value)]. Must be true or false.") }
            return value
        case "FifoThroughputScope":
            guard fifo else { throw TopicError.invalid("FifoThroughputScope: only FIFO topics support this attribute") }
            guard value == "Topic" || value == "MessageGroup" else { throw TopicError.invalid("FifoThroughputScope: Invalid value [\(value)]. Please use either Topic or MessageGroup") }
            return value
        default:
            let range = NSRange(name.startIndex..., in: name)
            guard feedbackAttribute.firstMatch(in: name, range: range) != nil else { throw TopicError.invalid("AttributeName") }
            return value.isEmpty ? nil : value
        }
    }

    public func createTopic(account: String?, name: String?, attributes: [String: String], tags: [String: String]) async throws(TopicError) -> String {
        guard let name, !name.isEmpty else { throw TopicError.invalid("Topic Name") }
        let account = account ?? defaultAccount
        var stored = [String: String]()
        let fifoRequested = attributes["FifoTopic"].map { $0.lowercased() == "true" } ?? false
        if let fifo = attributes["FifoTopic"], fifo.lowercased() != "true" && fifo.lowercased() != "false" {
            throw TopicError.invalid("Attributes Reason: FifoTopic: Invalid value [\(fifo)]. Must be true or false.")
        }
        let base = name.hasSuffix(".fifo") ? String(name.dropLast(5)) : name
        guard !base.isEmpty, name.count <= 256, fifoRequested == name.hasSuffix(".fifo"),
              base.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x61 && $0 <= 0x7a) || $0 == 0x2d || $0 == 0x5f }) else {
            if fifoRequested != name.hasSuffix(".fifo") && fifoRequested {
                throw TopicError.invalid("Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.")
            }
            throw TopicError.invalid("Topic Name")
        }
        if fifoRequested { stored["FifoTopic"] = "true" }
        for (key, value) in attributes where key != "FifoTopic" {
            if let value = try Self.validateTopicAttribute(key, value, fifo: fifoRequested) { stored[key] = value }
        }
        try validateTags(tags)
        let topicArn = "arn:aws:sns:\(region):\(account):\(name)"
        if let existing = catalog.topic(topicArn) {
            return try sameTopic(existing, arn: topicArn, stored: stored, tags: tags)
        }
        let (record, created) = try await storing("CreateTopic") {
            try await store.createTopic(account: account, name: name, attributes: stored, tags: tags, now: clock.now())
        }
        if !created { return try sameTopic(record, arn: topicArn, stored: stored, tags: tags) }
        catalog.putTopic(topicArn, record)
        logger.info("created topic \(topicArn)")
        return topicArn
    }

    private func sameTopic(_ existing: TopicRecord, arn: String, stored: [String: String], tags: [String: String]) throws(TopicError) -> String {
        for (key, value) in stored where existing.attributes[key] != value {
            throw TopicError.invalid("Attributes Reason: Topic already exists with different attributes")
        }
        if !tags.isEmpty && tags != existing.tags {
            throw TopicError.invalid("Tags Reason: Topic already exists with different tags")
        }
        return arn
    }

    func validateTags(_ tags: [String: String]) throws(TopicError) {
        if tags.count > 50 { throw TopicError(.tagLimitExceeded, "Could not complete request: tag quota of per resource exceeded") }
        for (key, value) in tags {
            if key.isEmpty || key.count > 128 { throw TopicError.invalid("Tags Reason: Tag keys must be between 1 and 128 characters long") }
            if value.count > 256 { throw TopicError.invalid("Tags Reason: Tag values must be at most 256 characters long") }
        }
    }

    public func deleteTopic(arn: String?) async throws(TopicError) {
        let topicArn: String
        let record: TopicRecord
        do {
            (topicArn, record) = try topic(arn: arn)
        } catch where error.code == .notFound {
            return  // DeleteTopic is idempotent
        }
        try await storing("DeleteTopic") { try await store.deleteTopic(record, arn: topicArn) }
        catalog.removeTopic(topicArn)
        observer.removed(topicArn: topicArn)
        logger.info("deleted topic \(topicArn)")
    }

    /// ListTopics: 100 per page.
    public func listTopics(account: String?, nextToken: String?) throws(TopicError) -> (arns: [String], nextToken: String?) {
        let account = account ?? defaultAccount
        let all = catalog.allTopicArns().filter { $0.split(separator: ":")[4] == account }
        return try Self.page(all, nextToken: nextToken, size: 100)
    }

    static func page(_ items: [String], nextToken: String?, size: Int) throws(TopicError) -> (arns: [String], nextToken: String?) {
        var start = 0
        if let nextToken, !nextToken.isEmpty {
            guard let data = Data(base64Encoded: nextToken), let after = String(data: data, encoding: .utf8) else {
                throw TopicError.invalid("NextToken")
            }
            start = items.firstIndex { $0 > after } ?? items.count
        }
        let page = Array(items[start..<min(items.count, start + size)])
        let more = start + size < items.count
        return (page, more ? Data(page.last!.utf8).base64EncodedString() : nil)
    }

    public func getTopicAttributes(arn: String?) throws(TopicError) -> [String: String] {
        let (topicArn, record) = try topic(arn: arn)
        var out = record.attributes
        out["TopicArn"] = topicArn
        out["Owner"] = record.account
        out["DisplayName"] = record.attributes["DisplayName"] ?? ""
        out["Policy"] = record.attributes["Policy"] ?? defaultPolicy(topicArn, account: record.account)
        out["EffectiveDeliveryPolicy"] = record.attributes["DeliveryPolicy"] ?? DeliveryPolicy.defaultTopicJSON
        let subscriptions = catalog.subscriptions(of: topicArn)
        out["SubscriptionsConfirmed"] = String(subscriptions.filter { !$0.record.pendingConfirmation }.count)
        out["SubscriptionsPending"] = String(subscriptions.filter { $0.record.pendingConfirmation }.count)
        out["SubscriptionsDeleted"] = String(catalog.deletedCount(topicArn))
        if record.isFIFO {
            out["ContentBasedDeduplication"] = record.attributes["ContentBasedDeduplication"] ?? "false"
            out["FifoThroughputScope"] = record.attributes["FifoThroughputScope"] ?? "Topic"
        }
        return out
    }

    func defaultPolicy(_ topicArn: String, account: String) -> String {
        #"{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],"Resource":""#
            + topicArn + #"","Condition":{"StringEquals":{"AWS:SourceOwner":""# + account + #""}}}]}"#
    }

    public func setTopicAttribute(arn: String?, name: String?, value: String?) async throws(TopicError) {
        let (topicArn, found) = try topic(arn: arn)
        var record = found
        guard let name, !name.isEmpty else { throw TopicError.invalid("AttributeName") }
        if name == "FifoTopic" { throw TopicError.invalid("AttributeName") }
        record.attributes[name] = try Self.validateTopicAttribute(name, value ?? "", fifo: record.isFIFO)
        try await saveTopic(topicArn, record)
    }

    func saveTopic(_ arn: String, _ record: TopicRecord) async throws(TopicError) {
        try await storing("update topic") { try await store.updateTopic(record) }
        catalog.putTopic(arn, record)
    }

    public func tagResource(arn: String?, tags: [String: String]) async throws(TopicError) {
        let (topicArn, found) = try taggable(arn)
        var record = found
        guard !tags.isEmpty else { throw TopicError.invalid("Tags Reason: no value for required parameter") }
        record.tags.merge(tags) { $1 }
        try validateTags(record.tags)
        try await saveTopic(topicArn, record)
    }

    public func untagResource(arn: String?, keys: [String]) async throws(TopicError) {
        let (topicArn, found) = try taggable(arn)
        var record = found
        keys.forEach { record.tags[$0] = nil }
        try await saveTopic(topicArn, record)
    }

    public func listTags(arn: String?) throws(TopicError) -> [String: String] {
        try taggable(arn).record.tags
    }

    private func taggable(_ arn: String?) throws(TopicError) -> (arn: String, record: TopicRecord) {
        do {
            return try topic(arn: arn, parameter: "ResourceArn")
        } catch where error.code == .notFound {
            throw TopicError(.resourceNotFound, "Resource does not exist")
        }
    }

    public func addPermission(arn: String?, label: String?, accounts: [String], actions: [String]) async throws(TopicError) {
        let (topicArn, found) = try topic(arn: arn)
        var record = found
        guard let label, !label.isEmpty else { throw TopicError.invalid("Label") }
        guard !accounts.isEmpty else { throw TopicError.invalid("AWSAccountId") }
        guard !actions.isEmpty else { throw TopicError.invalid("ActionName") }
        let known: Set<String> = ["*", "GetTopicAttributes", "SetTopicAttributes", "AddPermission", "RemovePermission", "DeleteTopic",
                                  "Subscribe", "ListSubscriptionsByTopic", "Publish", "Receive"]
        guard actions.allSatisfy(known.contains) else { throw TopicError.invalid("Policy statement action out of service scope!") }
        var policy = PolicyDocument(json: record.attributes["Policy"] ?? defaultPolicy(topicArn, account: record.account))
            ?? PolicyDocument(id: "__default_policy_ID")
        guard !policy.hasStatement(label) else { throw TopicError.invalid("Statement already exists") }
        policy.add(sid: label, principals: accounts.map { $0.hasPrefix("arn:") ? $0 : "arn:aws:iam::\($0):root" },
                   actions: actions.map { "SNS:\($0)" }, resource: topicArn)
        record.attributes["Policy"] = policy.json
        try await saveTopic(topicArn, record)
    }

    public func removePermission(arn: String?, label: String?) async throws(TopicError) {
        let (topicArn, found) = try topic(arn: arn)
        var record = found
        guard let label, !label.isEmpty else { throw TopicError.invalid("Label") }
        var policy = PolicyDocument(json: record.attributes["Policy"] ?? defaultPolicy(topicArn, account: record.account))
            ?? PolicyDocument(id: "__default_policy_ID")
        policy.remove(sid: label)
        record.attributes["Policy"] = policy.json
        try await saveTopic(topicArn, record)
    }
}
