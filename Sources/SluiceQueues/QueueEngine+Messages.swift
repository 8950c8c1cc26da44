import Foundation
import SluiceCore
import SluiceStorage

extension QueueEngine {
    // MARK: Send

    public func sendMessage(_ key: QueueKey, _ request: SendRequest, senderId: String) async throws(QueueError) -> SendResult {
        let record = try record(key)
        let prepared = try prepare(request, queue: record, senderId: senderId, inBatch: false)
        let outcomes = try await storing("SendMessage") { try await store.send(record, [prepared.message], now: clock.now()) }
        afterSend(record, outcomes)
        return prepared.result(outcomes[0], fifo: record.settings.fifoQueue)
    }

    /// SendMessageBatch: entries that fail validation are reported per entry; the rest are
    /// stored in one transaction.
    public func sendMessageBatch(_ key: QueueKey, _ entries: [BatchEntry<SendRequest>], senderId: String) async throws(QueueError) -> [BatchResult<SendResult>] {
        let record = try record(key)
        try validateBatch(entries.map(\.id))
        let total = entries.reduce(0) { $0 + ($1.value.body?.utf8.count ?? 0) + $1.value.attributes.byteCount }
        if total > SQSLimits.maxMessageBytes {
            throw QueueError(.batchRequestTooLong, "Batch requests cannot be longer than \(SQSLimits.maxMessageBytes) bytes. You have sent \(total) bytes.")
        }
        if record.settings.fifoQueue, entries.contains(where: { $0.value.groupId == nil }) {
            throw QueueError(.invalidParameterValue, "The request must contain the parameter MessageGroupId.")
        }
        var results = [BatchResult<SendResult>?](repeating: nil, count: entries.count)
        var accepted = [(index: Int, prepared: PreparedSend)]()
        for (index, entry) in entries.enumerated() {
            do {
                accepted.append((index, try prepare(entry.value, queue: record, senderId: senderId, inBatch: true)))
            } catch {
                results[index] = BatchResult(id: entry.id, result: .failure(error))
            }
        }
        if !accepted.isEmpty {
            let messages = accepted.map(\.prepared.message)
            let outcomes = try await storing("SendMessageBatch") { try await store.send(record, messages, now: clock.now()) }
            afterSend(record, outcomes)
            for (slot, outcome) in zip(accepted, outcomes) {
                results[slot.index] = BatchResult(id: entries[slot.index].id,
                                                  result: .success(slot.prepared.result(outcome, fifo: record.settings.fifoQueue)))
            }
        }
        return results.map { $0! }
    }

    /// Shapes a message forwarded by the topic layer, validated as SendMessage validates.
    public func prepareForwarded(_ queue: QueueRecord, body: String, attributes: MessageAttributes, groupId: String?,
                                 deduplicationId: String?) throws(QueueError) -> NewMessage {
        let request = SendRequest(body: body, attributes: attributes, deduplicationId: deduplicationId, groupId: groupId)
        return try prepare(request, queue: queue, senderId: queue.key.account, inBatch: false).message
    }

    struct PreparedSend {
        var message: NewMessage
        var md5OfAttributes: String?
        var md5OfSystemAttributes: String?

        func result(_ outcome: SendOutcome, fifo: Bool) -> SendResult {
            SendResult(messageId: outcome.messageId, md5OfMessageBody: message.bodyMD5, md5OfMessageAttributes: md5OfAttributes,
                       md5OfMessageSystemAttributes: md5OfSystemAttributes,
                       sequenceNumber: fifo ? QueueEngine.sequenceNumber(outcome.sequence) : nil)
        }
    }

    func prepare(_ request: SendRequest, queue: QueueRecord, senderId: String, inBatch: Bool) throws(QueueError) -> PreparedSend {
        let settings = queue.settings
        let body = try SendValidation.validate(request, settings: settings, inBatch: inBatch)
        let bodyMD5 = Digest.md5Hex(body)
        var dedupKey: String?
        var dedupId = request.deduplicationId
        if settings.fifoQueue {
            if dedupId == nil { dedupId = Digest.sha256Hex(body) }
            dedupKey = settings.deduplicationScope == "messageGroup" ? "\(request.groupId ?? "")\u{0}\(dedupId!)" : dedupId
        }
        let message = NewMessage(
            messageId: Identifiers.uuid(), body: body, bodyMD5: bodyMD5, attributes: request.attributes,
            delaySeconds: settings.fifoQueue ? settings.delaySeconds : (request.delaySeconds ?? settings.delaySeconds),
            groupId: request.groupId, deduplicationId: settings.fifoQueue ? dedupId : nil, deduplicationKey: dedupKey,
            traceHeader: request.systemAttributes["AWSTraceHeader"]?.stringValue, senderId: senderId)
        return PreparedSend(message: message, md5OfAttributes: request.attributes.md5(), md5OfSystemAttributes: request.systemAttributes.md5())
    }

    /// Wakes receivers and the expiry alarm after messages were committed to `queue`.
    public func afterSend(_ queue: QueueRecord, _ outcomes: [SendOutcome]) {
        observer.sent(queue, outcomes)
        guard let earliest = outcomes.filter({ !$0.duplicate }).map(\.expiresAt).min() else { return }
        waiters.notify(queue.id)
        alarm.note(earliest)
        if queue.settings.fifoQueue { alarm.note(clock.now() + SQSLimits.deduplicationWindowMillis) }
    }

    /// FIFO sequence numbers: 20 digits, strictly increasing with the stored sequence.
    static func sequenceNumber(_ sequence: Int64) -> String {
        String(UInt64(10_000_000_000_000_000_000) + UInt64(sequence))
    }

    func validateBatch(_ ids: [String]) throws(QueueError) {
        if ids.isEmpty {
            throw QueueError(.emptyBatchRequest, "There should be at least one SendMessageBatchRequestEntry in the request.")
        }
        if ids.count > SQSLimits.maxBatchEntries {
            throw QueueError(.tooManyEntriesInBatchRequest, "Maximum number of entries per request are \(SQSLimits.maxBatchEntries). You have sent \(ids.count).")
        }
        var seen = Set<String>()
        for id in ids {
            guard SQSLimits.isValidBatchEntryId(id) else {
                throw QueueError(.invalidBatchEntryId, "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
            }
            guard seen.insert(id).inserted else {
                throw QueueError(.batchEntryIdsNotDistinct, "Id \(id) repeated.")
            }
        }
    }

    // MARK: Receive

    public func receiveMessage(_ key: QueueKey, _ request: ReceiveRequest) async throws(QueueError) -> [DeliveredMessage] {
        let record = try record(key)
        let max = request.maxNumberOfMessages ?? 1
        guard (1...10).contains(max) else {
            throw .invalidParameter("MaxNumberOfMessages", String(max), reason: "Must be between 1 and 10, if provided.")
        }
        if let wait = request.waitTimeSeconds, !(0...SQSLimits.maxWaitTimeSeconds).contains(wait) {
            throw .invalidParameter("WaitTimeSeconds", String(wait), reason: "Must be >= 0 and <= 20, if provided.")
        }
        if let visibility = request.visibilityTimeout, !(0...SQSLimits.maxVisibilityTimeout).contains(visibility) {
            throw .invalidParameter("VisibilityTimeout", String(visibility), reason: "Must be >= 0 and <= 43200, if provided.")
        }
        if let attempt = request.receiveRequestAttemptId, !SQSLimits.isValidTokenId(attempt) {
            throw .invalidParameter("ReceiveRequestAttemptId", attempt, reason: "ReceiveRequestAttemptId can only include alphanumeric and punctuation characters. 1 to 128 in length.")
        }
        let visibility = request.visibilityTimeout ?? record.settings.visibilityTimeout
        let attemptKey = record.settings.fifoQueue ? request.receiveRequestAttemptId.map { "\(record.id):\($0)" } : nil
        if let attemptKey, let previous = attempts.get(attemptKey, now: clock.now()) {
            let changes = previous.handles.map { ($0, visibility) }
            let results = try await storing("ReceiveMessage") { try await store.changeVisibility(record, changes, now: clock.now()) }
            if results.allSatisfy({ if case .success = $0 { return true } else { return false } }) {
                return previous.messages
            }
        }
        let wait = request.waitTimeSeconds ?? record.settings.receiveMessageWaitTimeSeconds
        return try await receive(key, record: record, max: max, visibility: visibility, deadline: clock.now() + Millis(wait) * 1000,
                                 request: request, attemptKey: attemptKey)
    }

    /// Receives for an event source mapping: up to 10 messages with every attribute, waiting
    /// until `deadline` (nil: until one arrives, the engine shuts down or the task is
    /// cancelled). An idle mapping costs nothing: it sleeps until a send wakes it.
    public func receiveForMapping(_ key: QueueKey, max: Int, deadline: Millis?) async throws(QueueError) -> [DeliveredMessage] {
        let record = try record(key)
        let request = ReceiveRequest(maxNumberOfMessages: max, systemAttributeNames: ["All"], messageAttributeNames: ["All"])
        return try await receive(key, record: record, max: Swift.min(10, Swift.max(1, max)), visibility: record.settings.visibilityTimeout,
                                 deadline: deadline, request: request, attemptKey: nil)
    }

    /// Deletes what a mapping processed (any number of receipt handles); returns how many
    /// were deleted.
    public func deleteForMapping(_ key: QueueKey, receiptHandles: [String]) async throws(QueueError) -> Int {
        let record = try record(key)
        var handles = [ReceiptHandle]()
        for text in receiptHandles { handles.append(try parse(text)) }
        guard !handles.isEmpty else { return 0 }
        let results = try await storing("DeleteMessage") { [handles] in try await store.delete(record, handles, now: clock.now()) }
        let deleted = results.filter { if case .success = $0 { return true } else { return false } }.count
        afterDelete(record, count: deleted)
        return deleted
    }

    func receive(_ key: QueueKey, record: QueueRecord, max: Int, visibility: Int, deadline: Millis?, request: ReceiveRequest,
                 attemptKey: String?) async throws(QueueError) -> [DeliveredMessage] {
        var record = record
        let inFlightNow: Int
        if let recent = inFlight.recent(record.id, now: clock.now()) {
            inFlightNow = recent
        } else {
            inFlightNow = try await storing("ReceiveMessage") { [record] in try await store.inFlightCount(record, now: clock.now()) }
            inFlight.record(record.id, count: inFlightNow, now: clock.now())
        }
        if inFlightNow >= maxInFlight {
            // Standard queues answer OverLimit; FIFO queues just return nothing (as SQS does).
            guard record.settings.fifoQueue else {
                throw QueueError(.overLimit, "The maximum number of in flight messages is reached.")
            }
            observer.received(record, count: 0)
            return []
        }
        while true {
            let version = waiters.version(record.id)
            let deadLetter = record.settings.redrivePolicy.flatMap { self.record(arn: $0.deadLetterTargetArn) }
            let outcome = try await storing("ReceiveMessage") { [record] in
                try await store.receive(record, deadLetter: deadLetter, max: max, visibilityTimeout: visibility, now: clock.now())
            }
            if outcome.deadLettered > 0, let deadLetter {
                waiters.notify(deadLetter.id)
                observer.deadLettered(from: record, to: deadLetter, count: outcome.deadLettered)
            }
            if !outcome.messages.isEmpty {
                observer.received(record, count: outcome.messages.count)
                let delivered = outcome.messages.map { render($0, queue: record, request: request) }
                if let attemptKey { attempts.put(attemptKey, messages: delivered, handles: outcome.messages.map(\.receipt), now: clock.now()) }
                return delivered
            }
            let now = clock.now()
            guard deadline.map({ now < $0 }) ?? true, !Task.isCancelled else {
                observer.received(record, count: 0)
                return []
            }
            let wakeAt = [deadline, outcome.nextVisibleAt].compactMap { $0 }.min()
            let signal = Signal()
            if waiters.park(signal, on: record.id, ifVersion: version) {
                await signal.wait(timeoutMillis: wakeAt.map { Swift.max(1, $0 - now) })
                waiters.unpark(signal, from: record.id)
            } else if waiters.isClosed {
                observer.received(record, count: 0)
                return []
            }
            // The queue may have been changed or deleted meanwhile.
            record = try self.record(key)
        }
    }

    static let allSystemAttributes = [
        "SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp",
        "SequenceNumber", "MessageGroupId", "MessageDeduplicationId", "AWSTraceHeader", "DeadLetterQueueSourceArn",
    ]

    func render(_ message: ReceivedMessage, queue: QueueRecord, request: ReceiveRequest) -> DeliveredMessage {
        var system = [String: String]()
        let names = Set(request.systemAttributeNames)
        if !names.isEmpty {
            let all = names.contains("All")
            func want(_ name: String) -> Bool { all || names.contains(name) }
            if want("SenderId") { system["SenderId"] = message.senderId }
            if want("SentTimestamp") { system["SentTimestamp"] = String(message.sentAt) }
            if want("ApproximateReceiveCount") { system["ApproximateReceiveCount"] = String(message.receiveCount) }
            if want("ApproximateFirstReceiveTimestamp") { system["ApproximateFirstReceiveTimestamp"] = String(message.firstReceiveAt) }
            if queue.settings.fifoQueue {
                if want("SequenceNumber") { system["SequenceNumber"] = Self.sequenceNumber(message.sequence) }
                if want("MessageDeduplicationId"), let id = message.deduplicationId { system["MessageDeduplicationId"] = id }
            }
            if want("MessageGroupId"), let group = message.groupId { system["MessageGroupId"] = group }
            if want("AWSTraceHeader"), let trace = message.traceHeader { system["AWSTraceHeader"] = trace }
            if want("DeadLetterQueueSourceArn"), let source = message.deadLetterSourceArn { system["DeadLetterQueueSourceArn"] = source }
        }
        let attributes = Self.select(message.attributes, names: request.messageAttributeNames)
        return DeliveredMessage(messageId: message.messageId, receiptHandle: message.receipt.encoded, md5OfBody: message.bodyMD5,
                                body: message.body, attributes: system, md5OfMessageAttributes: attributes.md5(),
                                messageAttributes: attributes)
    }

    /// MessageAttributeNames filtering: `All`, `.*`, exact names and `prefix.*`.
    static func select(_ attributes: MessageAttributes, names: [String]) -> MessageAttributes {
        guard !names.isEmpty, !attributes.isEmpty else { return [:] }
        if names.contains("All") || names.contains(".*") { return attributes }
        return attributes.filter { name, _ in
            names.contains { pattern in
                if pattern.hasSuffix(".*") { return name.hasPrefix(String(pattern.dropLast(1))) }
                return pattern == name
            }
        }
    }

    // MARK: Delete and visibility

    public func deleteMessage(_ key: QueueKey, receiptHandle: String?) async throws(QueueError) {
        let record = try record(key)
        let handle = try parse(receiptHandle)
        let results = try await storing("DeleteMessage") { try await store.delete(record, [handle], now: clock.now()) }
        if case .failure(let error) = results[0] { throw error }
        afterDelete(record, count: 1)
    }

    /// Counts deletes and, on a FIFO queue, wakes receivers: a group whose in-flight
    /// messages are gone can be received again.
    func afterDelete(_ record: QueueRecord, count: Int) {
        if count > 0 { observer.deleted(record, count: count) }
        if record.settings.fifoQueue { waiters.notify(record.id) }
    }

    public func deleteMessageBatch(_ key: QueueKey, _ entries: [BatchEntry<String?>]) async throws(QueueError) -> [BatchResult<Void>] {
        let record = try record(key)
        try validateBatch(entries.map(\.id))
        var results = [BatchResult<Void>?](repeating: nil, count: entries.count)
        var valid = [(Int, ReceiptHandle)]()
        for (index, entry) in entries.enumerated() {
            do { valid.append((index, try parse(entry.value))) } catch { results[index] = BatchResult(id: entry.id, result: .failure(error)) }
        }
        let handles = valid.map(\.1)
        let outcomes = try await storing("DeleteMessageBatch") { try await store.delete(record, handles, now: clock.now()) }
        var deleted = 0
        for ((index, _), outcome) in zip(valid, outcomes) {
            results[index] = BatchResult(id: entries[index].id, result: outcome)
            if case .success = outcome { deleted += 1 }
        }
        afterDelete(record, count: deleted)
        return results.map { $0! }
    }

    public func changeMessageVisibility(_ key: QueueKey, receiptHandle: String?, visibilityTimeout: Int?) async throws(QueueError) {
        let results = try await changeVisibility(key, [BatchEntry(id: "single", value: (receiptHandle, visibilityTimeout))], batch: false)
        if case .failure(let error) = results[0].result { throw error }
    }

    public func changeMessageVisibilityBatch(_ key: QueueKey, _ entries: [BatchEntry<(String?, Int?)>]) async throws(QueueError) -> [BatchResult<Void>] {
        try validateBatch(entries.map(\.id))
        return try await changeVisibility(key, entries, batch: true)
    }

    private func changeVisibility(_ key: QueueKey, _ entries: [BatchEntry<(String?, Int?)>], batch: Bool) async throws(QueueError) -> [BatchResult<Void>] {
        let record = try record(key)
        var results = [BatchResult<Void>?](repeating: nil, count: entries.count)
        var valid = [(Int, ReceiptHandle, Int)]()
        for (index, entry) in entries.enumerated() {
            do throws(QueueError) {
                let handle = try parse(entry.value.0)
                guard let timeout = entry.value.1 else { throw QueueError.missing("VisibilityTimeout") }
                guard (0...SQSLimits.maxVisibilityTimeout).contains(timeout) else {
                    throw QueueError.invalidParameter("VisibilityTimeout", String(timeout), reason: "Must be >= 0 and <= 43200, if provided.")
                }
                valid.append((index, handle, timeout))
            } catch {
                if !batch { throw error }
                results[index] = BatchResult(id: entry.id, result: .failure(error))
            }
        }
        let changes = valid.map { ($0.1, $0.2) }
        let outcomes = try await storing("ChangeMessageVisibility") { try await store.changeVisibility(record, changes, now: clock.now()) }
        for ((index, _, _), outcome) in zip(valid, outcomes) {
            results[index] = BatchResult(id: entries[index].id, result: outcome)
        }
        if valid.contains(where: { $0.2 == 0 }) || record.settings.fifoQueue { waiters.notify(record.id) }
        return results.map { $0! }
    }

    func parse(_ receiptHandle: String?) throws(QueueError) -> ReceiptHandle {
        guard let receiptHandle, !receiptHandle.isEmpty else { throw .missing("ReceiptHandle") }
        guard let handle = ReceiptHandle(encoded: receiptHandle) else {
            throw QueueError(.receiptHandleIsInvalid, "The input receipt handle \"\(receiptHandle)\" is not a valid receipt handle.")
        }
        return handle
    }
}
