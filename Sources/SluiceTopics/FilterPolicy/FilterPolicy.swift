import SluiceCore
/// An SNS subscription filter policy, parsed and checked once, then evaluated against
/// each published message.
///
/// A policy is a JSON object whose keys are ANDed and whose value arrays are ORed;
/// `$or` arrays add alternatives at any level. Conditions: exact strings, numbers,
/// booleans and null; `prefix`, `suffix`, `equals-ignore-case`; `anything-but` (a value,
/// a list, or `{"prefix": …}`); `numeric` (`=`, `<`, `<=`, `>`, `>=`, ranges); `exists`;
/// `cidr` (IPv4 and IPv6). Under the MessageBody scope keys may nest to follow the JSON.
public struct FilterPolicy: Sendable {
    /// Keys allowed in one alternative.
    public static let maxKeys = 5
    /// Combinations allowed (see ``init(json:scope:)``).
    public static let maxCombinations = 150
    /// The largest policy, in UTF-8 bytes (256 KB).
    public static let maxBytes = 256 * 1024

    /// What the policy looks at.
    public let scope: FilterPolicyScope
    /// Alternatives; a message matches when every key of one of them does. Empty for `{}`.
    let conjunctions: [[KeyConstraint]]
    /// The distinct paths the policy reads, indexed by ``KeyConstraint/slot``.
    let slotPaths: [String]

    /// Parses and checks `json`, throwing AWS's message for the first problem.
    ///
    /// Limits, as AWS documents them: at most 5 keys in each alternative (under
    /// MessageBody only top-level keys count); at most 150 combinations, counted by
    /// multiplying each key's number of values (times its nesting depth) across the
    /// keys of an alternative and adding up the alternatives `$or` spells out; at most
    /// 256 KB. `{}` is accepted and admits every message.
    public init(json: String, scope: FilterPolicyScope) throws(FilterPolicyError) {
        guard json.utf8.count <= Self.maxBytes else { throw .tooLong }
        let root: JSONValue
        do {
            root = try JSONReader.parse(json)
        } catch {
            throw FilterPolicyError(.malformedJSON, "failed to parse JSON. \(error.reason) at offset \(error.offset)")
        }
        guard case .object(let members) = root else { throw .invalid("Filter is not an object") }
        self.scope = scope
        if members.isEmpty {
            conjunctions = []
            slotPaths = []
            return
        }
        let compiled = try PolicyCompiler(scope: scope).compile(members)
        conjunctions = compiled.conjunctions
        slotPaths = compiled.slotPaths
    }

    /// Whether the policy is `{}`, which filters nothing.
    public var admitsEverything: Bool { conjunctions.isEmpty }

    /// Decides by ``scope``: the body for MessageBody, the attributes otherwise.
    public func matches(body: String, attributes: [String: FilterAttribute]) -> FilterOutcome {
        switch scope {
        case .messageAttributes: return matches(attributes: attributes)
        case .messageBody: return matches(body: FilterMessageBody(body))
        }
    }

    /// Evaluates the policy against message attributes.
    ///
    /// A message without attributes is filtered out (even by `{"exists": false}`, as AWS
    /// documents); an attribute the policy reads that does not parse as its type filters
    /// the message out as invalid; Binary attributes are ignored, as if absent.
    public func matches(attributes: [String: FilterAttribute]) -> FilterOutcome {
        if conjunctions.isEmpty { return .matched }
        guard !attributes.isEmpty else { return .filteredOut(.noMessageAttributes) }
        var values: [[FilterScalar]] = []
        values.reserveCapacity(slotPaths.count)
        for path in slotPaths {
            guard let attribute = attributes[path] else {
                values.append([])
                continue
            }
            do {
                values.append(try attribute.scalars() ?? [])
            } catch {
                return .filteredOut(.invalidAttributes)
            }
        }
        for conjunction in conjunctions where conjunction.allSatisfy({ $0.isSatisfied(by: values[$0.slot]) }) {
            return .matched
        }
        return .filteredOut(.messageAttributes)
    }

    /// Evaluates the policy against a message body, which must be a JSON object.
    public func matches(body: String) -> FilterOutcome {
        if conjunctions.isEmpty { return .matched }
        return matches(body: FilterMessageBody(body))
    }

    /// Evaluates the policy against a body parsed once for many subscriptions.
    public func matches(body: FilterMessageBody) -> FilterOutcome {
        if conjunctions.isEmpty { return .matched }
        guard let members = body.members else { return .filteredOut(.invalidMessageBody) }
        var matcher = BodyMatcher(root: members, slotPaths: slotPaths)
        for conjunction in conjunctions where matcher.satisfies(conjunction) {
            return .matched
        }
        return .filteredOut(.messageBody)
    }
}
