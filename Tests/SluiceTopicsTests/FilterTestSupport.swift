@testable import SluiceCore
import Testing
@testable import SluiceTopics

// Short names for the tables.
let M = FilterOutcome.matched
let XA = FilterOutcome.filteredOut(.messageAttributes)
let XB = FilterOutcome.filteredOut(.messageBody)
let invalidAttributes = FilterOutcome.filteredOut(.invalidAttributes)
let invalidBody = FilterOutcome.filteredOut(.invalidMessageBody)
let noAttributes = FilterOutcome.filteredOut(.noMessageAttributes)

func s(_ value: String) -> FilterAttribute { .string(value) }
func n(_ value: String) -> FilterAttribute { .number(value) }
func arr(_ json: String) -> FilterAttribute { .stringArray(json) }
let bin = FilterAttribute.binary

/// A policy that must parse; a failure records the message and falls back to `{}`.
func policy(_ json: String, _ scope: FilterPolicyScope = .messageAttributes,
            sourceLocation: SourceLocation = #_sourceLocation) -> FilterPolicy {
    do {
        return try FilterPolicy(json: json, scope: scope)
    } catch {
        Issue.record("policy \(json) refused: \(error.reason)", sourceLocation: sourceLocation)
        return try! FilterPolicy(json: "{}", scope: scope)
    }
}

/// The error a policy is refused with, or nil.
func refusal(_ json: String, _ scope: FilterPolicyScope = .messageAttributes) -> FilterPolicyError? {
    do {
        _ = try FilterPolicy(json: json, scope: scope)
        return nil
    } catch {
        return error
    }
}

/// One attribute-scope row: policy, attributes, expected outcome.
struct AttributeCase: Sendable, CustomTestStringConvertible {
    let policy: String
    let attributes: [String: FilterAttribute]
    let expected: FilterOutcome

    init(_ policy: String, _ attributes: [String: FilterAttribute], _ expected: FilterOutcome) {
        self.policy = policy
        self.attributes = attributes
        self.expected = expected
    }

    var testDescription: String {
        let shown = attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.kind):\($0.value.value)" }
        return "\(policy) ~ \(shown.joined(separator: ",")) → \(expected)"
    }
}

/// One body-scope row: policy, body, expected outcome.
struct BodyCase: Sendable, CustomTestStringConvertible {
    let policy: String
    let body: String
    let expected: FilterOutcome

    init(_ policy: String, _ body: String, _ expected: FilterOutcome) {
        self.policy = policy
        self.body = body
        self.expected = expected
    }

    var testDescription: String { "\(policy) ~ \(body) → \(expected)" }
}

extension SeededGenerator {
    mutating func pick<T>(_ choices: [T]) -> T { choices[Int.random(in: 0..<choices.count, using: &self)] }

    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &self) < percent }
}

/// JSON text for generated policies and bodies.
indirect enum TestJSON {
    case object([(String, TestJSON)])
    case array([TestJSON])
    case raw(String)

    static func string(_ s: String) -> TestJSON { .raw("\"\(s)\"") }

    var text: String {
        switch self {
        case .object(let members): return "{" + members.map { "\"\($0.0)\":\($0.1.text)" }.joined(separator: ",") + "}"
        case .array(let elements): return "[" + elements.map(\.text).joined(separator: ",") + "]"
        case .raw(let text): return text
        }
    }

    /// The same value with every object's members and every array reordered.
    func shuffled(using rng: inout SeededGenerator) -> TestJSON {
        switch self {
        case .object(let members): return .object(members.map { ($0.0, $0.1.shuffled(using: &rng)) }.shuffled(using: &rng))
        case .array(let elements): return .array(elements.map { $0.shuffled(using: &rng) }.shuffled(using: &rng))
        case .raw: return self
        }
    }
}
