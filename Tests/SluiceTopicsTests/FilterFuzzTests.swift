@testable import SluiceCore
import Testing
@testable import SluiceTopics

/// Hammering the readers: mutated policies, bodies and arrays never crash and only
/// ever yield outcomes their scope allows; generated JSON reads back as written.
@Suite struct FilterFuzzTests {
    static let policies = [
        #"{"a":["x",1,true,null],"b":[{"prefix":"p"},{"numeric":[">",0,"<=",5]}]}"#,
        #"{"$or":[{"a":[{"anything-but":["x","y"]}]},{"c":{"d":[{"cidr":"10.0.0.0/8"}]}}],"e":[{"exists":false}]}"#,
        #"{"o":{"p":[{"suffix":"s"},{"equals-ignore-case":"Q"}],"q":[{"anything-but":{"prefix":"z"}}]}}"#,
    ]
    static let bodies = [
        #"{"a":"x","b":[1,2,{"c":null}],"o":{"p":["s","q"],"q":"zz"},"e":"\u00e9\n"}"#,
        #"{"c":[{"d":"10.1.1.1"},{"d":"11.0.0.1"}],"a":["y","x"]}"#,
    ]

    static func mutate(_ text: String, _ rng: inout SeededGenerator) -> String {
        var bytes = Array(text.utf8)
        for _ in 0..<Int.random(in: 1...4, using: &rng) where !bytes.isEmpty {
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: bytes.remove(at: at)
            case 1: bytes.insert(rng.pick(Array("{}[]:,\"\\-.0e9tfn \u{7f}".utf8)), at: at)
            case 2: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...8, using: &rng)))
            default: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + 6)], at: at)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test(arguments: FilterPropertyTests.seeds)
    func mutatedPoliciesAndBodies(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<400 {
            let text = Self.mutate(rng.pick(Self.policies), &rng)
            for scope in FilterPolicyScope.allCases {
                guard let candidate = try? FilterPolicy(json: text, scope: scope) else { continue }
                let body = Self.mutate(rng.pick(Self.bodies), &rng)
                #expect([M, XB, invalidBody].contains(candidate.matches(body: body)))
                let attributes = ["a": arr(Self.mutate(#"["x",1,null]"#, &rng)), "e": n(Self.mutate("12.5", &rng))]
                #expect([M, XA, invalidAttributes].contains(candidate.matches(attributes: attributes)))
            }
        }
    }

    @Test func everyPrefixOfAPolicyIsHandled() {
        for source in Self.policies {
            let bytes = Array(source.utf8)
            for end in 0..<bytes.count {
                let prefix = String(decoding: bytes[..<end], as: UTF8.self)
                #expect(refusal(prefix, .messageBody)?.code == .malformedJSON, "\(prefix)")
            }
            #expect(refusal(source, .messageBody) == nil)
        }
    }

    static func render(_ value: JSONValue) -> String {
        switch value {
        case .object(let members): return "{" + members.map { "\"\($0.key)\":\(render($0.value))" }.joined(separator: ",") + "}"
        case .array(let elements): return "[" + elements.map(render).joined(separator: ",") + "]"
        case .string(let s): return "\"\(s)\""
        case .number(_, let text): return text
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        }
    }

    static func generate(_ rng: inout SeededGenerator, depth: Int) -> String {
        switch Int.random(in: 0..<(depth > 3 ? 3 : 5), using: &rng) {
        case 0: return "\"" + rng.pick(["", "a", "é", "k.v", "😀"]) + "\""
        case 1: return rng.pick(["0", "-1", "1.50", "2e10", "-0.0", "1E-3", "123456789012345678901234567890"])
        case 2: return rng.pick(["true", "false", "null"])
        case 3: return "[" + (0..<Int.random(in: 0...3, using: &rng)).map { _ in generate(&rng, depth: depth + 1) }.joined(separator: ",") + "]"
        default:
            return "{" + (0..<Int.random(in: 0...3, using: &rng)).map { i in "\"k\(i)\":" + generate(&rng, depth: depth + 1) }.joined(separator: ",") + "}"
        }
    }

    @Test(arguments: FilterPropertyTests.seeds)
    func readsBackWhatWasWritten(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<300 {
            let text = Self.generate(&rng, depth: 0)
            #expect(Self.render(try JSONReader.parse(text)) == text)
        }
    }

    @Test func escapes() throws {
        let parsed = try JSONReader.parse(#"["\u00e9\ud83d\ude00\n\t\"\\\/","\ud800x"]"#)
        guard case .array(let elements) = parsed, case .string(let first) = elements[0], case .string(let second) = elements[1] else {
            Issue.record("not an array of strings")
            return
        }
        #expect(first == "é😀\n\t\"\\/")
        #expect(second == "\u{FFFD}x")
        #expect(policy(#"{"k":["\u00e9"]}"#).matches(attributes: ["k": s("é")]) == M)
    }
}
