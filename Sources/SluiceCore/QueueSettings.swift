import Foundation

/// A queue's settable attributes with SQS's defaults, parsed from and rendered to the
/// string-valued attribute map of the API.
public struct QueueSettings: Codable, Sendable, Equatable {
    public var delaySeconds = 0
    public var maximumMessageSize = SQSLimits.maxMessageBytes
    public var messageRetentionPeriod = 345_600
    public var receiveMessageWaitTimeSeconds = 0
    public var visibilityTimeout = 30
    public var policy: String?
    public var redrivePolicy: RedrivePolicy?
    public var redriveAllowPolicy: RedriveAllowPolicy?
    public var kmsMasterKeyId: String?
    public var kmsDataKeyReusePeriodSeconds = 300
    public var sqsManagedSseEnabled = true
    public var fifoQueue = false
    public var contentBasedDeduplication = false
    public var deduplicationScope = "queue"
    public var fifoThroughputLimit = "perQueue"

    public init(fifo: Bool = false) { fifoQueue = fifo }

    public var retentionMillis: Millis { Millis(messageRetentionPeriod) * 1000 }

    /// Names accepted by CreateQueue and SetQueueAttributes.
    public static let settableNames: Set<String> = [
        "DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds",
        "VisibilityTimeout", "Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId",
        "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled", "FifoQueue", "ContentBasedDeduplication",
        "DeduplicationScope", "FifoThroughputLimit",
    ]

    /// Names GetQueueAttributes knows, in the order AWS lists them for `All`.
    public static let readableNames: [String] = [
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed", "ApproximateNumberOfMessagesNotVisible",
        "ContentBasedDeduplication", "CreatedTimestamp", "DeduplicationScope", "DelaySeconds", "FifoQueue",
        "FifoThroughputLimit", "KmsDataKeyReusePeriodSeconds", "KmsMasterKeyId", "LastModifiedTimestamp",
        "MaximumMessageSize", "MessageRetentionPeriod", "Policy", "QueueArn", "ReceiveMessageWaitTimeSeconds",
        "RedriveAllowPolicy", "RedrivePolicy", "SqsManagedSseEnabled", "VisibilityTimeout",
    ]

    /// Applies API attributes. `creating` allows FifoQueue; `isFIFO` is the queue's type.
    public mutating func apply(_ attributes: [String: String], creating: Bool) throws(QueueError) {
        // Type first: the FIFO-only attributes depend on it.
        if let fifo = attributes["FifoQueue"] {
            guard let value = Self.bool(fifo) else { throw .invalidAttributeValue("FifoQueue") }
            if !creating {
                if fifoQueue {
                    if !value { throw QueueError(.invalidAttributeValue, "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.") }
                } else {
                    throw QueueError(.invalidAttributeName, "Unknown Attribute FifoQueue.")
                }
            }
            if creating { fifoQueue = value }
        }
        for name in attributes.keys.sorted() where name != "FifoQueue" {
            let value = attributes[name]!
            switch name {
            case "DelaySeconds": delaySeconds = try Self.int(value, name, 0...SQSLimits.maxDelaySeconds)
            case "MaximumMessageSize": maximumMessageSize = try Self.int(value, name, 1024...SQSLimits.maxMessageBytes)
            case "MessageRetentionPeriod": messageRetentionPeriod = try Self.int(value, name, 60...1_209_600)
            case "ReceiveMessageWaitTimeSeconds": receiveMessageWaitTimeSeconds = try Self.int(value, name, 0...20)
            case "VisibilityTimeout": visibilityTimeout = try Self.int(value, name, 0...SQSLimits.maxVisibilityTimeout)
            case "KmsDataKeyReusePeriodSeconds": kmsDataKeyReusePeriodSeconds = try Self.int(value, name, 60...86_400)
            case "Policy":
                if value.isEmpty { policy = nil; continue }
                guard (try? JSONSerialization.jsonObject(with: Data(value.utf8))) is [String: Any] else {
                    throw QueueError(.invalidAttributeValue, "Invalid value for the parameter Policy.")
                }
                policy = value
            case "RedrivePolicy":
                redrivePolicy = value.isEmpty ? nil : try RedrivePolicy(parsing: value)
            case "RedriveAllowPolicy":
                redriveAllowPolicy = value.isEmpty ? nil : try RedriveAllowPolicy(parsing: value)
            case "KmsMasterKeyId":
                kmsMasterKeyId = value.isEmpty ? nil : value
                if kmsMasterKeyId != nil && attributes["SqsManagedSseEnabled"] == nil { sqsManagedSseEnabled = false }
            case "SqsManagedSseEnabled":
                guard let flag = Self.bool(value) else { throw .invalidAttributeValue(name) }
                sqsManagedSseEnabled = flag
            case "ContentBasedDeduplication":
                guard fifoQueue else { throw QueueError(.invalidAttributeName, "Unknown Attribute ContentBasedDeduplication.") }
                guard let flag = Self.bool(value) else { throw .invalidAttributeValue(name) }
                contentBasedDeduplication = flag
            case "DeduplicationScope":
                guard fifoQueue else { throw QueueError(.invalidAttributeName, "You can specify the DeduplicationScope only when FifoQueue is set to true.") }
                guard value == "queue" || value == "messageGroup" else { throw .invalidAttributeValue(name) }
                deduplicationScope = value
            case "FifoThroughputLimit":
                guard fifoQueue else { throw QueueError(.invalidAttributeName, "You can specify the FifoThroughputLimit only when FifoQueue is set to true.") }
                guard value == "perQueue" || value == "perMessageGroupId" else { throw .invalidAttributeValue(name) }
                fifoThroughputLimit = value
            default:
                throw QueueError(.invalidAttributeName, "Unknown Attribute \(name).")
            }
        }
        if kmsMasterKeyId != nil && sqsManagedSseEnabled {
            throw QueueError(.invalidAttributeName, "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.")
        }
        if fifoThroughputLimit == "perMessageGroupId" && deduplicationScope != "messageGroup" {
            throw QueueError(.invalidAttributeValue, "Invalid value for the parameter FifoThroughputLimit. Reason: perMessageGroupId requires DeduplicationScope messageGroup.")
        }
    }

    /// The stored (non-computed) attributes as the API shows them.
    public func renderedAttributes() -> [String: String] {
        var out: [String: String] = [
            "DelaySeconds": String(delaySeconds),
            "MaximumMessageSize": String(maximumMessageSize),
            "MessageRetentionPeriod": String(messageRetentionPeriod),
            "ReceiveMessageWaitTimeSeconds": String(receiveMessageWaitTimeSeconds),
            "VisibilityTimeout": String(visibilityTimeout),
            "SqsManagedSseEnabled": sqsManagedSseEnabled ? "true" : "false",
        ]
        if let policy { out["Policy"] = policy }
        if let redrivePolicy { out["RedrivePolicy"] = redrivePolicy.json }
        if let redriveAllowPolicy { out["RedriveAllowPolicy"] = redriveAllowPolicy.json }
        if let kmsMasterKeyId {
            out["KmsMasterKeyId"] = kmsMasterKeyId
            out["KmsDataKeyReusePeriodSeconds"] = String(kmsDataKeyReusePeriodSeconds)
        }
        if fifoQueue {
            out["FifoQueue"] = "true"
            out["ContentBasedDeduplication"] = contentBasedDeduplication ? "true" : "false"
            out["DeduplicationScope"] = deduplicationScope
            out["FifoThroughputLimit"] = fifoThroughputLimit
        }
        return out
    }

    static func int(_ value: String, _ name: String, _ range: ClosedRange<Int>) throws(QueueError) -> Int {
        guard let n = Int(value.trimmingCharacters(in: .whitespaces)), range.contains(n) else {
            throw .invalidAttributeValue(name)
        }
        return n
    }

    static func bool(_ value: String) -> Bool? {
        switch value.lowercased() {
        case "true": return true
        case "false": return false
        default: return nil
        }
    }
}

/// `{"deadLetterTargetArn": "...", "maxReceiveCount": N}`.
public struct RedrivePolicy: Codable, Sendable, Equatable {
    public var deadLetterTargetArn: String
    public var maxReceiveCount: Int

    public init(deadLetterTargetArn: String, maxReceiveCount: Int) {
        self.deadLetterTargetArn = deadLetterTargetArn
        self.maxReceiveCount = maxReceiveCount
    }

    public init(parsing text: String) throws(QueueError) {
        func invalid(_ reason: String) -> QueueError {
            .invalidParameter("RedrivePolicy", text, reason: reason)
        }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            throw invalid("Redrive policy is not a valid JSON map.")
        }
        guard let arn = object["deadLetterTargetArn"] as? String else {
            throw invalid("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")
        }
        guard ResourceName.parse(arn: arn, service: "sqs") != nil else {
            throw invalid("Invalid value for deadLetterTargetArn.")
        }
        let count: Int?
        switch object["maxReceiveCount"] {
        case let n as NSNumber: count = Double(n.intValue) == n.doubleValue ? n.intValue : nil
        case let s as String: count = Int(s)
        default: throw invalid("Redrive policy does not contain mandatory attribute: maxReceiveCount.")
        }
        guard let count, (1...1000).contains(count) else {
            throw invalid("Invalid value for maxReceiveCount: \(object["maxReceiveCount"]!), valid values are from 1 to 1000 both inclusive.")
        }
        for key in object.keys where key != "deadLetterTargetArn" && key != "maxReceiveCount" {
            throw invalid("Only following attributes are supported: [deadLetterTargetArn, maxReceiveCount].")
        }
        deadLetterTargetArn = arn
        maxReceiveCount = count
    }

    public var json: String {
        "{\"deadLetterTargetArn\":\"\(deadLetterTargetArn)\",\"maxReceiveCount\":\(maxReceiveCount)}"
    }
}

/// `{"redrivePermission": "allowAll"|"denyAll"|"byQueue", "sourceQueueArns": [...]}`.
public struct RedriveAllowPolicy: Codable, Sendable, Equatable {
    public var redrivePermission: String
    public var sourceQueueArns: [String]?

    public init(parsing text: String) throws(QueueError) {
        let unsupported = QueueError.invalidParameter("RedriveAllowPolicy", text,
            reason: "Amazon SQS can't create the redrive allow policy, as it's in an unsupported format.")
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
              let permission = object["redrivePermission"] as? String,
              ["allowAll", "denyAll", "byQueue"].contains(permission) else { throw unsupported }
        let arns = object["sourceQueueArns"]
        if permission == "byQueue" {
            guard let list = arns as? [String], !list.isEmpty, list.count <= 10,
                  list.allSatisfy({ ResourceName.parse(arn: $0, service: "sqs") != nil }) else { throw unsupported }
            sourceQueueArns = list
        } else {
            guard arns == nil else { throw unsupported }
            sourceQueueArns = nil
        }
        redrivePermission = permission
    }

    /// Whether a queue with this ARN may use the owner of this policy as its dead-letter queue.
    public func allows(sourceArn: String) -> Bool {
        switch redrivePermission {
        case "allowAll": return true
        case "denyAll": return false
        default: return sourceQueueArns?.contains(sourceArn) ?? false
        }
    }

    public var json: String {
        guard let sourceQueueArns else { return "{\"redrivePermission\":\"\(redrivePermission)\"}" }
        let list = sourceQueueArns.map { "\"\($0)\"" }.joined(separator: ",")
        return "{\"redrivePermission\":\"\(redrivePermission)\",\"sourceQueueArns\":[\(list)]}"
    }
}
