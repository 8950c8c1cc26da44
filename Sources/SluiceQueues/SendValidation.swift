import SluiceCore

/// Pure checks of a message against SQS's rules and the queue's settings.
enum SendValidation {
    static let invalidContents = QueueError(.invalidMessageContents,
        "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF")

    /// Validates `request` for `settings`; returns the body.
    static func validate(_ request: SendRequest, settings: QueueSettings, inBatch: Bool) throws(QueueError) -> String {
        guard let body = request.body, !body.isEmpty else { throw .missing("MessageBody") }
        guard SQSLimits.isAllowedMessageText(body) else { throw invalidContents }
        try validateAttributes(request.attributes, kind: "user")
        try validateSystemAttributes(request.systemAttributes)
        let size = body.utf8.count + request.attributes.byteCount
        if size > settings.maximumMessageSize {
            throw QueueError(.invalidParameterValue, "One or more parameters are invalid. Reason: Message must be shorter than \(settings.maximumMessageSize) bytes.")
        }
        if let delay = request.delaySeconds {
            guard (0...SQSLimits.maxDelaySeconds).contains(delay) else {
                throw .invalidParameter("DelaySeconds", String(delay), reason: "DelaySeconds must be >= 0 and <= 900.")
            }
            if settings.fifoQueue && delay != 0 {
                throw .invalidParameter("DelaySeconds", String(delay), reason: "The request include parameter that is not valid for this queue type.")
            }
        }
        if let group = request.groupId, !SQSLimits.isValidTokenId(group) {
            throw .invalidParameter("MessageGroupId", group, reason: "MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.")
        }
        if let dedup = request.deduplicationId {
            guard settings.fifoQueue else {
                throw .invalidParameter("MessageDeduplicationId", dedup, reason: "The request include parameter that is not valid for this queue type.")
            }
            guard SQSLimits.isValidTokenId(dedup) else {
                throw .invalidParameter("MessageDeduplicationId", dedup, reason: "MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length.")
            }
        }
        if settings.fifoQueue {
            guard request.groupId != nil else {
                throw inBatch ? QueueError(.invalidParameterValue, "The request must contain the parameter MessageGroupId.") : .missing("MessageGroupId")
            }
            guard request.deduplicationId != nil || settings.contentBasedDeduplication else {
                throw QueueError(.invalidParameterValue, "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
            }
        }
        return body
    }

    static func validateAttributes(_ attributes: MessageAttributes, kind: String) throws(QueueError) {
        if attributes.count > SQSLimits.maxMessageAttributes {
            throw QueueError(.invalidParameterValue, "Number of message attributes [\(attributes.count)] exceeds the allowed maximum [\(SQSLimits.maxMessageAttributes)].")
        }
        for name in attributes.keys.sorted() {
            let attribute = attributes[name]!
            if let problem = SQSLimits.messageAttributeNameProblem(name) {
                throw QueueError(.invalidParameterValue, problem)
            }
            try validateValue(attribute, name: name, kind: kind)
        }
    }

    static func validateValue(_ attribute: MessageAttribute, name: String, kind: String) throws(QueueError) {
        let type = attribute.dataType
        if type.utf8.count > 256 {
            throw QueueError(.invalidParameterValue, "Message (\(kind)) attribute '\(name)' type must be shorter than 256 characters.")
        }
        let base = attribute.baseType
        guard base == "String" || base == "Number" || base == "Binary",
              type == String(base) || (type.count > base.count + 1) else {
            throw QueueError(.invalidParameterValue, "The type of message (\(kind)) attribute '\(name)' is invalid. You must use only the following supported type prefixes: Binary, Number, String.")
        }
        switch (base, attribute.value) {
        case ("Binary", .binary(let bytes)):
            if bytes.isEmpty { throw QueueError(.invalidParameterValue, "Message (\(kind)) attribute '\(name)' must contain a non-empty value of type 'Binary'.") }
        case ("Binary", _):
            throw QueueError(.invalidParameterValue, "Message (\(kind)) attribute '\(name)' must contain a non-empty value of type 'Binary'.")
        case (_, .string(let text)):
            if text.isEmpty { throw QueueError(.invalidParameterValue, "Message (\(kind)) attribute '\(name)' must contain a non-empty value of type '\(base)'.") }
            guard SQSLimits.isAllowedMessageText(text) else { throw invalidContents }
            if base == "Number" && !isNumber(text) {
                throw QueueError(.invalidParameterValue, "Can't cast the value of message (\(kind)) attribute '\(name)' to a number.")
            }
        default:
            throw QueueError(.invalidParameterValue, "Message (\(kind)) attribute '\(name)' must contain a non-empty value of type '\(base)'.")
        }
    }

    static func validateSystemAttributes(_ attributes: MessageAttributes) throws(QueueError) {
        for (name, attribute) in attributes {
            guard name == "AWSTraceHeader" else {
                throw QueueError(.invalidParameterValue, "Message system attribute name '\(name)' is invalid.")
            }
            guard attribute.dataType == "String", let value = attribute.stringValue, !value.isEmpty else {
                throw QueueError(.invalidParameterValue, "Message (system) attribute 'AWSTraceHeader' must contain a non-empty value of type 'String'.")
            }
        }
    }

    /// SQS numbers: an optional sign, digits with an optional fraction, an optional exponent;
    /// up to 38 significant digits.
    static func isNumber(_ text: String) -> Bool {
        var scalars = Substring(text).utf8[...]
        if let first = scalars.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") { scalars = scalars.dropFirst() }
        var digits = 0
        var sawDot = false
        var sawDigit = false
        while let c = scalars.first, c != UInt8(ascii: "e"), c != UInt8(ascii: "E") {
            if c >= 0x30 && c <= 0x39 {
                sawDigit = true
                if digits > 0 || c != 0x30 { digits += 1 }
            } else if c == UInt8(ascii: ".") && !sawDot {
                sawDot = true
            } else {
                return false
            }
            scalars = scalars.dropFirst()
        }
        guard sawDigit, digits <= 38 else { return false }
        if !scalars.isEmpty {
            scalars = scalars.dropFirst()
            if let sign = scalars.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") { scalars = scalars.dropFirst() }
            guard !scalars.isEmpty, scalars.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
        }
        return true
    }
}
