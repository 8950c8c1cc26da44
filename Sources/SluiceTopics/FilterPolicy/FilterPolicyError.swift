/// Why a filter policy was refused, carrying the text AWS returns.
///
/// SNS answers `InvalidParameter`. SetSubscriptionAttributes says
/// `Invalid parameter: <reason>`, Subscribe says
/// `Invalid parameter: Attributes Reason: <reason>`, where ``reason`` is
/// `FilterPolicy: <message>` for every case but nesting under the MessageAttributes
/// scope, which AWS words without the `FilterPolicy:` label.
public struct FilterPolicyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kinds of refusal, for callers that branch (tests, metrics).
    public enum Code: String, Sendable, CaseIterable {
        /// Not JSON at all.
        case malformedJSON
        /// JSON, but not a policy: a bad operator, operand, array or object.
        case invalidSyntax
        /// A nested object under the MessageAttributes scope.
        case nestedInAttributeScope
        /// More than ``FilterPolicy/maxKeys`` keys.
        case tooManyKeys
        /// More than ``FilterPolicy/maxCombinations`` combinations.
        case tooComplex
        /// Longer than ``FilterPolicy/maxBytes``.
        case tooLong
    }

    /// The kind of refusal.
    public let code: Code
    /// AWS's text after `FilterPolicy: ` (for nesting, AWS's whole sentence).
    public let message: String

    /// An error of `code` with AWS's `message`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The text that follows `Invalid parameter: ` (or `… Attributes Reason: `).
    public var reason: String {
        code == .nestedInAttributeScope ? message : "FilterPolicy: \(message)"
    }

    /// The same as ``reason``.
    public var description: String { reason }

    static func invalid(_ message: String) -> FilterPolicyError { FilterPolicyError(.invalidSyntax, message) }

    static let nested = FilterPolicyError(
        .nestedInAttributeScope, "Filter policy scope MessageAttributes does not support nested filter policy")
    static let tooManyKeys = FilterPolicyError(.tooManyKeys, "Filter policy can not have more than 5 keys")
    static let tooComplex = FilterPolicyError(.tooComplex, "Filter policy is too complex")
    static let tooLong = FilterPolicyError(.tooLong, "Filter policy is too long")
}
