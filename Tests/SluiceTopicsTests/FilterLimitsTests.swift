import Testing
@testable import SluiceTopics

/// The 5-key, 150-combination and 256 KB limits, at and just past each edge.
@Suite struct FilterLimitsTests {
    static func values(_ count: Int, _ stem: String = "v") -> String {
        (0..<count).map { "\"\(stem)\($0)\"" }.joined(separator: ",")
    }

    static func keys(_ count: Int) -> String {
        (1...count).map { "\"key\($0)\":[\"v\"]" }.joined(separator: ",")
    }

    struct Row: Sendable, CustomTestStringConvertible {
        let name: String
        let policy: String
        let scope: FilterPolicyScope
        let code: FilterPolicyError.Code?

        var testDescription: String { name }
    }

    static let rows: [Row] = [
        // Keys.
        .init(name: "5 keys", policy: "{\(keys(5))}", scope: .messageAttributes, code: nil),
        .init(name: "6 keys (AWS)", policy: "{\(keys(6))}", scope: .messageAttributes, code: .tooManyKeys),
        .init(name: "6 keys, body (AWS)", policy: "{\(keys(6))}", scope: .messageBody, code: .tooManyKeys),
        .init(name: "4 + one of two per $or branch", policy: #"{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"$or":[{"e":["1"]},{"f":["1"]}]}"#,
              scope: .messageAttributes, code: nil),
        .init(name: "5 + one per $or branch", policy: #"{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"$or":[{"f":["1"]},{"g":["1"]}]}"#,
              scope: .messageAttributes, code: .tooManyKeys),
        .init(name: "$or branch repeating a key", policy: #"{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"$or":[{"a":["2"]},{"b":["2"]}]}"#,
              scope: .messageAttributes, code: nil),
        .init(name: "body: nested keys don't count (AWS docs example)",
              policy: #"{"state":["SUCCESS"],"severity":[{"exists":true}],"message":[{"exists":true}],"finding":{"standard_control":[{"exists":true}],"region":[{"exists":true}],"account":[{"exists":true}]}}"#,
              scope: .messageBody, code: nil),
        .init(name: "body: 6 top-level keys, one nested", policy: "{\(keys(5)),\"n\":{\"x\":[\"1\"]}}", scope: .messageBody, code: .tooManyKeys),
        .init(name: "keys are checked before combinations", policy: "{\(keys(5)),\"k6\":[\(values(151))]}",
              scope: .messageAttributes, code: .tooManyKeys),
        // Combinations.
        .init(name: "150 values", policy: "{\"key\":[\(values(150))]}", scope: .messageAttributes, code: nil),
        .init(name: "151 values (AWS)", policy: "{\"key\":[\(values(151))]}", scope: .messageAttributes, code: .tooComplex),
        .init(name: "10 x 15 = 150", policy: "{\"a\":[\(values(10))],\"b\":[\(values(15))]}", scope: .messageAttributes, code: nil),
        .init(name: "100 x 51 (AWS)", policy: "{\"a\":[\(values(100))],\"b\":[\(values(51))]}", scope: .messageAttributes, code: .tooComplex),
        .init(name: "3x6 + 3x4x4 + 3x4x7 = 150 (AWS accepted)",
              policy: "{\"source\":[\(values(3))],\"$or\":[{\"metricName\":[\(values(6))]},{\"metricType\":[\(values(4))],\"$or\":[{\"metricId\":[\(values(4))]},{\"spaceId\":[\(values(7))]}]}]}",
              scope: .messageAttributes, code: nil),
        .init(name: "4x6 + 4x4x4 + 4x4x4 = 152 (AWS)",
              policy: "{\"source\":[\(values(4))],\"$or\":[{\"metricName\":[\(values(6))]},{\"metricType\":[\(values(4))],\"$or\":[{\"metricId\":[\(values(4))]},{\"spaceId\":[\(values(4))]}]}]}",
              scope: .messageAttributes, code: .tooComplex),
        .init(name: "body: nested $or = 160 (AWS)",
              policy: "{\"$or\":[{\"metricName\":[\(values(3))]},{\"namespace\":[\(values(2))]}],\"detail\":{\"scope\":[\(values(2))],\"$or\":[{\"source\":[\"x\"]},{\"type\":[\(values(3))]}]}}",
              scope: .messageBody, code: .tooComplex),
        .init(name: "body: depth counts, 4x3 x 3x2 x 3 = 216 (AWS)",
              policy: "{\"key_a\":{\"key_b\":{\"key_c\":[\(values(4))]}},\"key_d\":{\"key_e\":[\(values(3))]},\"key_f\":[\(values(3))]}",
              scope: .messageBody, code: .tooComplex),
        .init(name: "body: AWS docs example 4x3 x 3x2 = 72",
              policy: "{\"key_a\":{\"key_b\":{\"key_c\":[\(values(4))]}},\"key_d\":{\"key_e\":[\(values(3))]}}",
              scope: .messageBody, code: nil),
        .init(name: "body: 75 values two deep = 150", policy: "{\"a\":{\"b\":[\(values(75))]}}", scope: .messageBody, code: nil),
        .init(name: "body: 76 values two deep = 152", policy: "{\"a\":{\"b\":[\(values(76))]}}", scope: .messageBody, code: .tooComplex),
        .init(name: "151 $or branches",
              policy: "{\"$or\":[" + (0..<151).map { "{\"k\($0)\":[\"v\"]}" }.joined(separator: ",") + "]}",
              scope: .messageAttributes, code: .tooComplex),
        .init(name: "nested $or blow-up stays cheap",
              policy: "{" + (0..<5).map { i in "\"$or\(i)\":[\"x\"]" }.joined(separator: ",") + ",\"$or\":["
                  + (0..<40).map { "{\"$or\":[{\"a\($0)\":[\"v\"]},{\"b\($0)\":[\"v\"]}]}" }.joined(separator: ",") + "]}",
              scope: .messageAttributes, code: .tooManyKeys),
    ]

    @Test(arguments: rows)
    func limit(_ row: Row) {
        #expect(refusal(row.policy, row.scope)?.code == row.code)
    }

    @Test func messages() {
        #expect(refusal("{\(Self.keys(6))}")?.reason == "FilterPolicy: Filter policy can not have more than 5 keys")  // AWS
        #expect(refusal("{\"key\":[\(Self.values(151))]}")?.reason == "FilterPolicy: Filter policy is too complex")  // AWS
    }

    @Test func size() {
        let frame = #"{"k":[""]}"#.utf8.count
        let fits = #"{"k":[""# + String(repeating: "x", count: FilterPolicy.maxBytes - frame) + #""]}"#
        #expect(fits.utf8.count == 262_144)
        #expect(refusal(fits) == nil)
        let over = #"{"k":[""# + String(repeating: "x", count: FilterPolicy.maxBytes - frame + 1) + #""]}"#
        #expect(refusal(over)?.code == .tooLong)
        #expect(refusal(over)?.reason == "FilterPolicy: Filter policy is too long")
    }
}
