@testable import SluiceCore
import Testing
@testable import SluiceTopics

/// Seeded property tests: laws that must hold for every policy and message.
@Suite struct FilterPropertyTests {
    static let seeds: [UInt64] = [1, 7, 42, 2024, 0xC0FFEE]
    static let words = ["x", "y", "xy", "yx", "X", "10.0.0.1", "ab"]
    static let numbers = ["1", "2", "5", "5.0", "-1", "0.5", "100"]

    // MARK: Generators

    static func condition(_ rng: inout SeededGenerator) -> TestJSON {
        switch Int.random(in: 0..<14, using: &rng) {
        case 0, 1: return .string(rng.pick(words))
        case 2: return .raw(rng.pick(numbers))
        case 3: return .raw(rng.pick(["true", "false", "null"]))
        case 4: return .raw(#"{"prefix":"\#(rng.pick(["x", "y", "1"]))"}"#)
        case 5: return .raw(#"{"suffix":"\#(rng.pick(["x", "y", "b"]))"}"#)
        case 6: return .raw(#"{"equals-ignore-case":"\#(rng.pick(["X", "xy", "AB"]))"}"#)
        case 7: return .raw(#"{"anything-but":["\#(rng.pick(words))","\#(rng.pick(words))"]}"#)
        case 8: return .raw(#"{"anything-but":\#(rng.pick(["\"x\"", "5", "[1,2]", "{\"prefix\":\"x\"}"]))}"#)
        case 9: return .raw(#"{"numeric":\#(rng.pick(["[\"=\",5]", "[\">\",1]", "[\"<=\",2]", "[\">=\",0,\"<\",5]", "[\">\",-1,\"<=\",1]"]))}"#)
        case 10: return .raw(#"{"exists":\#(rng.chance(50))}"#)
        case 11: return .raw(#"{"cidr":"\#(rng.pick(["10.0.0.0/8", "10.0.0.0/31"]))"}"#)
        default: return .string(rng.pick(words))
        }
    }

    static func conditions(_ rng: inout SeededGenerator) -> TestJSON {
        .array((0..<Int.random(in: 1...3, using: &rng)).map { _ in condition(&rng) })
    }

    /// A flat policy over keys `a`, `b` and, in an `$or`, `c`, `d` (never repeating a key
    /// inside one alternative, where AWS lets the later one win).
    static func flatPolicy(_ rng: inout SeededGenerator) -> TestJSON {
        var members: [(String, TestJSON)] = []
        for key in ["a", "b"] where members.isEmpty || rng.chance(50) { members.append((key, conditions(&rng))) }
        if rng.chance(40) {
            members.append(("$or", .array([.object([("c", conditions(&rng))]), .object([("d", conditions(&rng))])])))
        }
        return .object(members)
    }

    static func scalarText(_ rng: inout SeededGenerator) -> String {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0, 1: return "\"\(rng.pick(words))\""
        case 2: return rng.pick(numbers)
        default: return rng.pick(["true", "null"])
        }
    }

    static func attributes(_ rng: inout SeededGenerator) -> [String: FilterAttribute] {
        var out: [String: FilterAttribute] = [:]
        for key in ["a", "b", "c", "d"] where rng.chance(70) {
            switch Int.random(in: 0..<5, using: &rng) {
            case 0, 1: out[key] = s(rng.pick(words))
            case 2: out[key] = n(rng.pick(numbers))
            case 3: out[key] = arr("[" + (0..<Int.random(in: 0...3, using: &rng)).map { _ in scalarText(&rng) }.joined(separator: ",") + "]")
            default: out[key] = bin
            }
        }
        return out
    }

    /// A body-scope policy with a nested object `o` over `p` and `q`.
    static func nestedPolicy(_ rng: inout SeededGenerator) -> TestJSON {
        var members: [(String, TestJSON)] = [("a", conditions(&rng))]
        var inner: [(String, TestJSON)] = [("p", conditions(&rng))]
        if rng.chance(60) { inner.append(("q", conditions(&rng))) }
        members.append(("o", .object(inner)))
        return .object(members)
    }

    static func bodyValue(_ rng: inout SeededGenerator) -> String {
        rng.chance(70) ? scalarText(&rng) : "[" + (0..<Int.random(in: 0...2, using: &rng)).map { _ in scalarText(&rng) }.joined(separator: ",") + "]"
    }

    static func body(_ rng: inout SeededGenerator) -> String {
        func inner(_ rng: inout SeededGenerator) -> String {
            let fields = ["p", "q"].filter { _ in rng.chance(75) }.map { "\"\($0)\":\(bodyValue(&rng))" }
            return "{" + fields.joined(separator: ",") + "}"
        }
        var fields: [String] = []
        if rng.chance(80) { fields.append("\"a\":\(bodyValue(&rng))") }
        if rng.chance(85) {
            let o = rng.chance(50) ? inner(&rng) : "[" + (0..<Int.random(in: 1...3, using: &rng)).map { _ in inner(&rng) }.joined(separator: ",") + "]"
            fields.append("\"o\":\(o)")
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    // MARK: Laws

    /// (a) Reordering keys, `$or` branches and value arrays changes nothing.
    @Test(arguments: seeds)
    func orderDoesNotMatter(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        var seen: Set<FilterOutcome> = []
        for _ in 0..<150 {
            let original = Self.flatPolicy(&rng)
            let a = policy(original.text), b = policy(original.shuffled(using: &rng).text)
            for _ in 0..<20 {
                let input = Self.attributes(&rng)
                let outcome = a.matches(attributes: input)
                seen.insert(outcome)
                #expect(outcome == b.matches(attributes: input), "\(original.text) ~ \(input)")
            }
            let nested = Self.nestedPolicy(&rng)
            let c = policy(nested.text, .messageBody), d = policy(nested.shuffled(using: &rng).text, .messageBody)
            for _ in 0..<20 {
                let text = Self.body(&rng)
                let outcome = c.matches(body: text)
                seen.insert(outcome)
                #expect(outcome == d.matches(body: text), "\(nested.text) ~ \(text)")
            }
        }
        // The generators reach every outcome they can produce, so agreement is not vacuous.
        #expect(seen.isSuperset(of: [M, XA, XB, noAttributes]))
    }

    /// (b) `{"k":[v1,v2]}` decides as `{"$or":[{"k":[v1]},{"k":[v2]}]}`, also beside
    /// another key and below a nested object.
    @Test(arguments: seeds)
    func valuesAreAnOr(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        var seen: Set<FilterOutcome> = []
        for _ in 0..<300 {
            let v1 = Self.condition(&rng).text, v2 = Self.condition(&rng).text, w = Self.conditions(&rng).text
            let together = policy(#"{"b":\#(w),"a":[\#(v1),\#(v2)]}"#)
            let split = policy(#"{"b":\#(w),"$or":[{"a":[\#(v1)]},{"a":[\#(v2)]}]}"#)
            for _ in 0..<10 {
                let input = Self.attributes(&rng)
                let outcome = together.matches(attributes: input)
                seen.insert(outcome)
                #expect(outcome == split.matches(attributes: input), "\(v1) | \(v2) ~ \(input)")
            }
            let nestedTogether = policy(#"{"o":{"p":[\#(v1),\#(v2)]}}"#, .messageBody)
            let nestedSplit = policy(#"{"$or":[{"o":{"p":[\#(v1)]}},{"o":{"p":[\#(v2)]}}]}"#, .messageBody)
            for _ in 0..<10 {
                let text = Self.body(&rng)
                let outcome = nestedTogether.matches(body: text)
                seen.insert(outcome)
                #expect(outcome == nestedSplit.matches(body: text), "\(v1) | \(v2) ~ \(text)")
            }
        }
        #expect(seen.isSuperset(of: [M, XA, XB]))
    }

    /// (c) For a present string value, `anything-but` a list is the negation of the list.
    @Test(arguments: seeds)
    func anythingButNegates(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        var listedMatches = 0
        for _ in 0..<300 {
            let excluded = (0..<Int.random(in: 1...3, using: &rng)).map { _ in "\"\(rng.pick(Self.words))\"" }.joined(separator: ",")
            let listed = policy(#"{"k":[\#(excluded)]}"#), negated = policy(#"{"k":[{"anything-but":[\#(excluded)]}]}"#)
            let values = (0..<Int.random(in: 1...3, using: &rng)).map { _ in "\"\(rng.pick(Self.words))\"" }
            let attribute = values.count == 1 && rng.chance(50) ? s(String(values[0].dropFirst().dropLast())) : arr("[\(values.joined(separator: ","))]")
            let listedOutcome = listed.matches(attributes: ["k": attribute])
            if listedOutcome.isMatched { listedMatches += 1 }
            #expect(listedOutcome.isMatched != negated.matches(attributes: ["k": attribute]).isMatched)
            let bodyListed = policy(#"{"k":[\#(excluded)]}"#, .messageBody)
            let bodyNegated = policy(#"{"k":[{"anything-but":[\#(excluded)]}]}"#, .messageBody)
            let text = #"{"k":[\#(values.joined(separator: ","))]}"#
            #expect(bodyListed.matches(body: text).isMatched != bodyNegated.matches(body: text).isMatched, "\(excluded) ~ \(text)")
        }
        #expect((30...270).contains(listedMatches))
    }
}
