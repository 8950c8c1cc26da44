/// What a filter policy decided about one message.
public enum FilterOutcome: Sendable, Equatable, Hashable {
    /// Deliver it.
    case matched
    /// Do not deliver it, and why (one CloudWatch metric each).
    case filteredOut(Reason)

    /// Why a message was filtered out; the raw value is the suffix of AWS's metric
    /// `NumberOfNotificationsFilteredOut-<rawValue>`.
    public enum Reason: String, Sendable, CaseIterable {
        /// The attribute-scoped policy did not match.
        case messageAttributes = "MessageAttributes"
        /// The body-scoped policy did not match.
        case messageBody = "MessageBody"
        /// An attribute the policy reads could not be read (a String.Array that is not a
        /// JSON array of scalars, a Number that is not a number).
        case invalidAttributes = "InvalidAttributes"
        /// A body-scoped policy met a body that is not a JSON object.
        case invalidMessageBody = "InvalidMessageBody"
        /// An attribute-scoped policy met a message without attributes.
        case noMessageAttributes = "NoMessageAttributes"

        /// The CloudWatch metric counting this reason (each also counts towards
        /// `NumberOfNotificationsFilteredOut`).
        public var metricName: String { "NumberOfNotificationsFilteredOut-\(rawValue)" }
    }

    /// Whether the message is delivered.
    public var isMatched: Bool { self == .matched }
}
