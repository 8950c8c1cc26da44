import Testing
@testable import SluiceTopics

/// The MessageBody scope: nested keys, arrays, array consistency, invalid bodies.
@Suite struct FilterBodyMatchingTests {
    static let basics: [BodyCase] = [
        .init(#"{"store":["example_corp"]}"#, #"{"store":"example_corp"}"#, M),
        .init(#"{"store":["example_corp"]}"#, #"{"store":"other"}"#, XB),
        .init(#"{"store":["example_corp"]}"#, #"{}"#, XB),
        .init(#"{"store":["example_corp"]}"#, "not json", invalidBody),
        .init(#"{"store":["example_corp"]}"#, "[1,2]", invalidBody),
        .init(#"{"store":["example_corp"]}"#, #""text""#, invalidBody),
        .init(#"{"store":["example_corp"]}"#, "", invalidBody),
        .init(#"{}"#, "not json", M),  // no filtering at all
        .init(#"{"price":[{"numeric":[">",100]}]}"#, #"{"price":210.75}"#, M),
        .init(#"{"price":[{"numeric":[">",100]}]}"#, #"{"price":"210.75"}"#, XB),
        .init(#"{"price":[{"numeric":[">",100]}]}"#, #"{"price":[50,150]}"#, M),
        .init(#"{"price":[100]}"#, #"{"price":1e2}"#, M),
        .init(#"{"flag":[true]}"#, #"{"flag":true}"#, M),
        .init(#"{"flag":[true]}"#, #"{"flag":"true"}"#, XB),
        .init(#"{"v":[null]}"#, #"{"v":null}"#, M),
        .init(#"{"v":[null]}"#, #"{}"#, XB),
        .init(#"{"v":[null]}"#, #"{"v":"null"}"#, XB),
        .init(#"{"ip":[{"cidr":"10.0.0.0/8"}]}"#, #"{"ip":"10.1.2.3"}"#, M),
        .init(#"{"who":[{"equals-ignore-case":"ALICE"}]}"#, #"{"who":"Alice"}"#, M),
        .init(#"{"who":[{"suffix":"ce"}]}"#, #"{"who":["bob","alice"]}"#, M),
        .init(#"{"who":[{"prefix":"al"}]}"#, #"{"who":{"name":"alice"}}"#, XB),  // an object is not a value
    ]

    static let nesting: [BodyCase] = [
        .init(#"{"object":{"key":[{"prefix":"auto-"}]}}"#, #"{"object":{"key":"auto-test"}}"#, M),
        .init(#"{"object":{"key":[{"prefix":"auto-"}]}}"#, #"{"object":{"key":"home"}}"#, XB),
        .init(#"{"object":{"key":[{"prefix":"auto-"}]}}"#, #"{"object.key":"auto-x"}"#, M),
        .init(#"{"object":{"key":[{"prefix":"auto-"}]}}"#, #"{"object":{"key":["x","auto-y"]}}"#, M),
        .init(#"{"object":{"key":[{"prefix":"auto-"}]}}"#, #"{"object":"auto-"}"#, XB),
        .init(#"{"o":{"n":{"t":["s.v"]}}}"#, #"{"o":{"n":{"t":"s.v"}}}"#, M),
        .init(#"{"o":{"n":{"t":["s.v"]}}}"#, #"{"o.n.t":"s.v"}"#, M),
        .init(#"{"o":{"n":{"t":["s.v"]}}}"#, #"{"o.n":{"t":"s.v"}}"#, M),
        .init(#"{"o":{"n":{"t":["s.v"]}}}"#, #"{"o":{"n.t":"s.v"}}"#, M),
        .init(#"{"o.n":["v"]}"#, #"{"o":{"n":"v"}}"#, M),
        .init(#"{"headers":{"route-to":["queue1"]}}"#, #"{"headers":{"route-to":["queue1","queue2"]}}"#, M),
        .init(#"{"headers":{"route-to":["queue1"]}}"#, #"{"headers":{"route-to":["queue2"]}}"#, XB),
        .init(#"{"R":{"s3":{"object":{"key":[{"prefix":"auto-"}]}}}}"#,
              #"{"R":[{"s3":{"object":[[{"key":"auto-insurance.xml"}]]}},{"s3":{"object":{"key":"home.xml"}}}]}"#, M),
        .init(#"{"R":{"s3":{"object":{"key":[{"prefix":"auto-"}]}}}}"#,
              #"{"R":[{"s3":{"object":{"key":"home.xml"}}}]}"#, XB),
        // A repeated path keeps its last conditions, as AWS's compiler does.
        .init(#"{"a":{"b":["x"]},"a.b":["y"]}"#, #"{"a":{"b":"y"}}"#, M),
        .init(#"{"a":{"b":["x"]},"a.b":["y"]}"#, #"{"a":{"b":"x"}}"#, XB),
    ]

    static let consistency: [BodyCase] = [
        .init(#"{"r":{"a":[1],"b":[2]}}"#, #"{"r":[{"a":1,"b":2},{"a":3,"b":4}]}"#, M),
        .init(#"{"r":{"a":[1],"b":[4]}}"#, #"{"r":[{"a":1,"b":2},{"a":3,"b":4}]}"#, XB),
        .init(#"{"r":{"a":[1],"b":[4]}}"#, #"{"r":[{"a":1,"b":2},{"a":3,"b":4},{"a":1,"b":4}]}"#, M),
        .init(#"{"x":{"a":[1]},"y":{"b":[4]}}"#, #"{"x":[{"a":1},{"a":2}],"y":[{"b":3},{"b":4}]}"#, M),
        .init(#"{"r":{"a":[1],"c":{"d":[5]}}}"#, #"{"r":[{"a":1,"c":[{"d":4}]},{"a":2,"c":[{"d":5}]}]}"#, XB),
        .init(#"{"r":{"a":[1],"c":{"d":[5]}}}"#, #"{"r":[{"a":1,"c":[{"d":4},{"d":5}]}]}"#, M),
        // Whole-key conditions (exists, anything-but) do not tie values to an element.
        .init(#"{"r":{"a":[1],"b":[{"exists":true}]}}"#, #"{"r":[{"a":1},{"b":2}]}"#, M),
        .init(#"{"r":{"a":[1],"b":[{"anything-but":"z"}]}}"#, #"{"r":[{"a":1},{"b":2}]}"#, M),
    ]

    static let exists: [BodyCase] = [
        .init(#"{"k":[{"exists":true}]}"#, #"{"k":1}"#, M),
        .init(#"{"k":[{"exists":true}]}"#, #"{"k":""}"#, M),
        .init(#"{"k":[{"exists":true}]}"#, #"{"k":null}"#, XB),  // AWS: "non-null"
        .init(#"{"k":[{"exists":true}]}"#, #"{"k":[]}"#, XB),
        .init(#"{"k":[{"exists":true}]}"#, #"{"k":{"a":1}}"#, XB),  // leaves only
        .init(#"{"k":[{"exists":true}]}"#, #"{}"#, XB),
        .init(#"{"k":[{"exists":false}]}"#, #"{}"#, M),
        .init(#"{"k":[{"exists":false}]}"#, #"{"other":1}"#, M),
        .init(#"{"k":[{"exists":false}]}"#, #"{"k":1}"#, XB),
        .init(#"{"k":[{"exists":false}]}"#, #"{"k":{"a":1}}"#, M),
        .init(#"{"a":{"b":[{"exists":false}]}}"#, #"{"a":{"c":1}}"#, M),
        .init(#"{"a":{"b":[{"exists":true}]}}"#, #"{"a":[{"c":1},{"b":"x"}]}"#, M),
    ]

    static let logic: [BodyCase] = [
        .init(#"{"$or":[{"a":["1"]},{"b":{"c":["2"]}}]}"#, #"{"b":{"c":"2"}}"#, M),
        .init(#"{"$or":[{"a":["1"]},{"b":{"c":["2"]}}]}"#, #"{"a":"2"}"#, XB),
        .init(#"{"d":{"s":["x"],"$or":[{"t":["1"]},{"u":["2"]}]}}"#, #"{"d":{"s":"x","u":"2"}}"#, M),
        .init(#"{"d":{"s":["x"],"$or":[{"t":["1"]},{"u":["2"]}]}}"#, #"{"d":{"s":"y","u":"2"}}"#, XB),
        .init(#"{"k":[{"anything-but":["rugby","tennis"]}]}"#, #"{"k":["rugby","baseball"]}"#, XB),
        .init(#"{"k":[{"anything-but":["rugby","tennis"]}]}"#, #"{"k":"golf"}"#, M),
        .init(#"{"k":[{"anything-but":["rugby","tennis"]}]}"#, #"{"k":["golf","chess"]}"#, M),
        .init(#"{"k":[{"anything-but":["rugby","tennis"]}]}"#, #"{"k":null}"#, XB),
        .init(#"{"r":{"k":[{"anything-but":"a"}]}}"#, #"{"r":[{"k":"a"},{"k":"b"}]}"#, XB),
    ]

    @Test(arguments: basics + nesting + consistency + exists + logic)
    func decides(_ row: BodyCase) {
        #expect(policy(row.policy, .messageBody).matches(body: row.body) == row.expected)
    }

    @Test func parsedBodyIsReusable() {
        let body = FilterMessageBody(#"{"a":"x","b":{"c":[1,2]}}"#)
        #expect(body.isJSONObject)
        #expect(policy(#"{"a":["x"]}"#, .messageBody).matches(body: body) == M)
        #expect(policy(#"{"b":{"c":[2]}}"#, .messageBody).matches(body: body) == M)
        #expect(policy(#"{"b":{"c":[3]}}"#, .messageBody).matches(body: body) == XB)
        #expect(!FilterMessageBody("[]").isJSONObject)
    }

    @Test func deepBodiesAreInvalidNotFatal() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(policy(#"{"a":["x"]}"#, .messageBody).matches(body: #"{"a":"# + deep + "}") == invalidBody)
    }
}
