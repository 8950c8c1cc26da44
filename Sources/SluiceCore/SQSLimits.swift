/// The limits and character rules SQS enforces, as pure checks.
public enum SQSLimits {
    public static let maxMessageBytes = 1_048_576
    public static let maxBatchEntries = 10
    public static let maxMessageAttributes = 10
    public static let maxVisibilityTimeout = 43_200
    public static let maxWaitTimeSeconds = 20
    public static let maxDelaySeconds = 900
    public static let maxTags = 50
    public static let deduplicationWindowMillis: Millis = 5 * 60 * 1000
    public static let purgeIntervalMillis: Millis = 60 * 1000
    public static let deletedNameReservationMillis: Millis = 60 * 1000
    /// Messages in flight per queue at which SQS stops handing out more (standard and FIFO).
    public static let maxInflightStandard = 120_000

    /// 1–80 characters of `[A-Za-z0-9_-]`, FIFO names ending `.fifo` (counted).
    public static func isValidQueueName(_ name: String) -> Bool {
        let base = name.hasSuffix(".fifo") ? String(name.dropLast(5)) : name
        guard !name.isEmpty, name.utf8.count <= 80, !base.isEmpty else { return false }
        return base.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    /// Batch entry ids: 1–80 of `[A-Za-z0-9_-]`.
    public static func isValidBatchEntryId(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 80
            && id.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    /// Permission labels share the batch id rule.
    public static func isValidLabel(_ label: String) -> Bool { isValidBatchEntryId(label) }

    /// MessageGroupId, MessageDeduplicationId, ReceiveRequestAttemptId: 1–128 alphanumerics and punctuation.
    public static func isValidTokenId(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 128 && id.utf8.allSatisfy { $0 >= 0x21 && $0 <= 0x7e }
    }

    /// The characters AWS allows in a message body and in string attribute values:
    /// #x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD | #x10000–#x10FFFF.
    public static func isAllowedMessageText(_ text: String) -> Bool {
        for scalar in text.unicodeScalars {
            let v = scalar.value
            let ok = v == 0x9 || v == 0xA || v == 0xD || (v >= 0x20 && v <= 0xD7FF)
                || (v >= 0xE000 && v <= 0xFFFD) || (v >= 0x10000 && v <= 0x10FFFF)
            if !ok { return false }
        }
        return true
    }

    /// Message attribute names: ≤256 of `[A-Za-z0-9_.-]`, no `AWS.`/`Amazon.` prefix,
    /// no leading or trailing period, no two periods in a row.
    public static func messageAttributeNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "Message attribute name must not be empty." }
        if name.utf8.count > 256 { return "Message attribute name '\(name)' must be shorter than 256 characters." }
        let lower = name.lowercased()
        if lower.hasPrefix("aws.") || lower.hasPrefix("amazon.") {
            return "Message attribute name '\(name)' cannot start with 'AWS.' or 'Amazon.'."
        }
        if name.hasPrefix(".") || name.hasSuffix(".") || name.contains("..") {
            return "Message attribute name '\(name)' cannot start or end with a period or contain consecutive periods."
        }
        let ok = name.utf8.allSatisfy {
            isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
        }
        return ok ? nil : "Message attribute name '\(name)' can only contain alphanumeric characters, hyphens, underscores and periods."
    }

    static func isAlphanumeric(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
    }
}
