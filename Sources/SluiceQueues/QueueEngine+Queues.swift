import Foundation
import SluiceCore
import SluiceStorage

extension QueueEngine {
    /// CreateQueue: creates, or returns the existing queue when the given attributes match it.
    public func createQueue(account: String?, name: String?, attributes: [String: String], tags: [String: String]) async throws(QueueError) -> QueueInfo {
        guard let name, !name.isEmpty else { throw .missing("QueueName") }
        let key = QueueKey(account: account ?? defaultAccount, name: name)
        let wantsFIFO = attributes["FifoQueue"].map { $0.lowercased() == "true" } ?? false
        guard SQSLimits.isValidQueueName(name), key.isFIFO == wantsFIFO || (!key.isFIFO && !wantsFIFO) else {
            if wantsFIFO || key.isFIFO {
                throw QueueError(.invalidParameterValue, "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
            }
            throw QueueError(.invalidParameterValue, "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
        }
        var settings = QueueSettings()
        try settings.apply(attributes, creating: true)
        try validateTags(tags)
        try validateRedrive(settings, for: key)
        if let existing = cache.get(key) {
            try checkSameAttributes(existing, attributes)
            return QueueInfo(key: key, arn: arn(key))
        }
        let (record, created) = try await storing("CreateQueue") {
            try await store.createQueue(key: key, settings: settings, tags: tags, now: clock.now())
        }
        if !created { try checkSameAttributes(record, attributes) }
        cache.put(record)
        if created { logger.info("created queue \(key)") }
        return QueueInfo(key: key, arn: arn(key))
    }

    private func checkSameAttributes(_ existing: QueueRecord, _ attributes: [String: String]) throws(QueueError) {
        for name in attributes.keys.sorted() {
            var probe = existing.settings
            do {
                try probe.apply([name: attributes[name]!], creating: true)
            } catch {
                throw QueueError(.queueNameExists, "A queue already exists with the same name and a different value for attribute \(name)")
            }
            if probe != existing.settings {
                throw QueueError(.queueNameExists, "A queue already exists with the same name and a different value for attribute \(name)")
            }
        }
    }

    /// Checks a RedrivePolicy's target: it exists, has the same type, and its RedriveAllowPolicy admits `key`.
    func validateRedrive(_ settings: QueueSettings, for key: QueueKey) throws(QueueError) {
        guard let policy = settings.redrivePolicy else { return }
        guard let target = record(arn: policy.deadLetterTargetArn) else {
            throw .invalidParameter("RedrivePolicy", policy.json, reason: "Dead letter target does not exist.")
        }
        if target.settings.fifoQueue != settings.fifoQueue {
            throw .invalidParameter("RedrivePolicy", policy.json,
                reason: settings.fifoQueue ? "Dead-letter queue must be a FIFO queue." : "Dead-letter queue must be a standard queue.")
        }
        if let allow = target.settings.redriveAllowPolicy, !allow.allows(sourceArn: arn(key)) {
            throw .invalidParameter("RedrivePolicy", policy.json, reason: "Queue \(arn(key)) is not allowed to use \(policy.deadLetterTargetArn) as its dead-letter queue.")
        }
    }

    func validateTags(_ tags: [String: String]) throws(QueueError) {
        if tags.count > SQSLimits.maxTags {
            throw QueueError(.invalidParameterValue, "Too many tags added for queue. Maximum 50 tags per queue.")
        }
        for (key, value) in tags {
            if key.isEmpty || key.count > 128 { throw QueueError(.invalidParameterValue, "Tag keys must be between 1 and 128 characters in length.") }
            if value.count > 256 { throw QueueError(.invalidParameterValue, "Tag values must be less than 256 characters in length.") }
        }
    }

    public func getQueueUrl(account: String?, name: String?) throws(QueueError) -> QueueInfo {
        guard let name, !name.isEmpty else { throw .missing("QueueName") }
        let key = QueueKey(account: account ?? defaultAccount, name: name)
        _ = try record(key)
        return QueueInfo(key: key, arn: arn(key))
    }

    /// ListQueues: names with `prefix`, sorted, paged when `maxResults` is given.
    public func listQueues(account: String?, prefix: String?, maxResults: Int?, nextToken: String?) throws(QueueError) -> QueuePage {
        if let maxResults, !(1...1000).contains(maxResults) {
            throw .invalidParameter("MaxResults", String(maxResults), reason: "MaxResults must be an integer between 1 and 1000.")
        }
        let account = account ?? defaultAccount
        var after: String?
        if let nextToken, !nextToken.isEmpty {
            guard let data = Data(base64Encoded: nextToken), let name = String(data: data, encoding: .utf8) else {
                throw .invalidParameter("NextToken", nextToken, reason: "Invalid or expired next token.")
            }
            after = name
        }
        let names = cache.all()
            .filter { $0.key.account == account && (prefix.map($0.key.name.hasPrefix) ?? true) }
            .map(\.key.name)
            .sorted()
            .filter { after == nil || $0 > after! }
        let limit = maxResults ?? 1000
        let page = Array(names.prefix(limit))
        let more = maxResults != nil && names.count > limit
        return QueuePage(queues: page.map { QueueKey(account: account, name: $0) },
                         nextToken: more ? Data(page.last!.utf8).base64EncodedString() : nil)
    }

    public func deleteQueue(_ key: QueueKey) async throws(QueueError) {
        let record = try record(key)
        try await storing("DeleteQueue") { try await store.deleteQueue(record, now: clock.now()) }
        cache.remove(key)
        waiters.notify(record.id)
        observer.removed(record)
        logger.info("deleted queue \(key)")
    }

    /// GetQueueAttributes: `names` may hold `All`; unknown names are an error.
    public func getQueueAttributes(_ key: QueueKey, names: [String]) async throws(QueueError) -> [String: String] {
        let record = try record(key)
        guard !names.isEmpty else { return [:] }
        for name in names where name != "All" && !QueueSettings.readableNames.contains(name) {
            throw QueueError(.invalidAttributeName, "Unknown Attribute \(name).")
        }
        let wanted = names.contains("All") ? Set(QueueSettings.readableNames) : Set(names)
        var all = record.settings.renderedAttributes()
        all["QueueArn"] = arn(key)
        all["CreatedTimestamp"] = String(record.createdAt / 1000)
        all["LastModifiedTimestamp"] = String(record.modifiedAt / 1000)
        if !wanted.isDisjoint(with: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"]) {
            let counts = try await storing("GetQueueAttributes") { try await store.counts(record, now: clock.now()) }
            all["ApproximateNumberOfMessages"] = String(counts.visible)
            all["ApproximateNumberOfMessagesNotVisible"] = String(counts.notVisible)
            all["ApproximateNumberOfMessagesDelayed"] = String(counts.delayed)
        }
        return all.filter { wanted.contains($0.key) }
    }

    /// Exact message counts of a queue.
    public func counts(_ key: QueueKey) async throws(QueueError) -> QueueCounts {
        let record = try record(key)
        return try await storing("counts") { try await store.counts(record, now: clock.now()) }
    }

    public func setQueueAttributes(_ key: QueueKey, _ attributes: [String: String]) async throws(QueueError) {
        var record = try record(key)
        guard !attributes.isEmpty else { throw .missing("Attribute.1.Name") }
        try record.settings.apply(attributes, creating: false)
        try validateRedrive(record.settings, for: key)
        record.modifiedAt = clock.now() / 1000 * 1000
        try await save(record)
    }

    func save(_ record: QueueRecord) async throws(QueueError) {
        try await storing("update queue") { try await store.updateQueue(record) }
        cache.put(record)
    }

    public func tagQueue(_ key: QueueKey, _ tags: [String: String]) async throws(QueueError) {
        var record = try record(key)
        guard !tags.isEmpty else { throw .missing("Tags") }
        record.tags.merge(tags) { $1 }
        try validateTags(record.tags)
        try await save(record)
    }

    public func untagQueue(_ key: QueueKey, _ tagKeys: [String]) async throws(QueueError) {
        var record = try record(key)
        guard !tagKeys.isEmpty else { throw .missing("TagKeys") }
        tagKeys.forEach { record.tags[$0] = nil }
        try await save(record)
    }

    public func listQueueTags(_ key: QueueKey) throws(QueueError) -> [String: String] {
        try record(key).tags
    }

    public func purgeQueue(_ key: QueueKey) async throws(QueueError) {
        let record = try record(key)
        try await storing("PurgeQueue") { try await store.purge(record, now: clock.now()) }
        logger.info("purged queue \(key)")
    }

    public func listDeadLetterSourceQueues(_ key: QueueKey, maxResults: Int?, nextToken: String?) throws(QueueError) -> QueuePage {
        _ = try record(key)
        if let maxResults, !(1...1000).contains(maxResults) {
            throw .invalidParameter("MaxResults", String(maxResults), reason: "MaxResults must be an integer between 1 and 1000.")
        }
        let target = arn(key)
        var sources = cache.all().filter { $0.settings.redrivePolicy?.deadLetterTargetArn == target }.map(\.key)
        sources.sort { ($0.account, $0.name) < ($1.account, $1.name) }
        if let nextToken, let data = Data(base64Encoded: nextToken), let after = String(data: data, encoding: .utf8) {
            sources = sources.filter { $0.description > after }
        }
        let limit = maxResults ?? 1000
        let page = Array(sources.prefix(limit))
        let more = maxResults != nil && sources.count > limit
        return QueuePage(queues: page, nextToken: more ? Data(page.last!.description.utf8).base64EncodedString() : nil)
    }

    /// AddPermission: appends a statement to the queue's Policy.
    public func addPermission(_ key: QueueKey, label: String?, accounts: [String], actions: [String]) async throws(QueueError) {
        var record = try record(key)
        guard let label, !label.isEmpty else { throw .missing("Label") }
        guard !accounts.isEmpty else { throw .missing("AWSAccountId.1") }
        guard !actions.isEmpty else { throw .missing("ActionName.1") }
        guard SQSLimits.isValidLabel(label) else {
            throw .invalidParameter("Label", label, reason: "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
        }
        if actions.count > 7 {
            throw QueueError(.overLimit, "7 Actions were found, maximum allowed is 7.")
        }
        let known: Set<String> = ["*", "SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility",
                                  "GetQueueAttributes", "GetQueueUrl", "ListDeadLetterSourceQueues", "PurgeQueue",
                                  "ListQueueTags", "SendMessageBatch", "DeleteMessageBatch", "ChangeMessageVisibilityBatch"]
        for action in actions where !known.contains(action) {
            throw .invalidParameter("ActionName.1", action, reason: "Please refer to the appropriate WSDL for a list of valid actions.")
        }
        var policy = PolicyDocument(json: record.settings.policy) ?? PolicyDocument(id: "\(arn(key))/SQSDefaultPolicy")
        if policy.hasStatement(label) {
            throw .invalidParameter("Label", label, reason: "Already exists.")
        }
        policy.add(sid: label, principals: accounts.map { $0.hasPrefix("arn:") ? $0 : "arn:aws:iam::\($0):root" },
                   actions: actions.map { "SQS:\($0)" }, resource: arn(key))
        record.settings.policy = policy.json
        try await save(record)
    }

    public func removePermission(_ key: QueueKey, label: String?) async throws(QueueError) {
        var record = try record(key)
        guard let label, !label.isEmpty else { throw .missing("Label") }
        guard var policy = PolicyDocument(json: record.settings.policy), policy.hasStatement(label) else {
            throw .invalidParameter("Label", label, reason: "can't find label.")
        }
        policy.remove(sid: label)
        record.settings.policy = policy.isEmpty ? nil : policy.json
        try await save(record)
    }

    /// Empties everything (development reset).
    public func reset() async throws(QueueError) {
        try await storing("reset") { try await store.reset() }
        for record in cache.all() {
            waiters.notify(record.id)
            observer.removed(record)
        }
        cache.replaceAll([])
        attempts.clear()
        logger.warning("all state was reset")
    }
}
