import Testing
@testable import SluiceTopics

/// Every refusal with AWS's text. Rows marked "AWS" were recorded against real SNS
/// (localstack snapshots); the rest follow AWS's rule compiler.
@Suite struct FilterValidationTests {
    struct Row: Sendable, CustomTestStringConvertible {
        let policy: String
        let scope: FilterPolicyScope
        let message: String

        init(_ policy: String, _ message: String, scope: FilterPolicyScope = .messageAttributes) {
            self.policy = policy
            self.message = message
            self.scope = scope
        }

        var testDescription: String { "\(policy) → \(message)" }
    }

    static let structure: [Row] = [
        .init(#"{"key":[["value"]]}"#, "Match value must be String, number, true, false, or null"),  // AWS
        .init(#"{"key":[{"wrong-operator":true}]}"#, "Unrecognized match type wrong-operator"),  // AWS
        .init(#"{"key":[{"suffix":"value","prefix":"value2"}]}"#, "Only one key allowed in match expression"),  // AWS
        .init(#"{"key":{"suffix":"value"}}"#, #""suffix" must be an object or an array"#),  // AWS
        .init(#"{"key":{"suffix":"value","prefix":"value"}}"#, #""suffix" must be an object or an array"#),  // AWS
        .init(#"{"key":{"not-an-operator":"value"}}"#, #""not-an-operator" must be an object or an array"#),  // AWS
        .init(#"{"key_a":"value_one"}"#, #""key_a" must be an object or an array"#, scope: .messageBody),  // AWS
        .init(#"{"key":5}"#, #""key" must be an object or an array"#),
        .init(#"{"key":null}"#, #""key" must be an object or an array"#),
        .init(#"{"key":[]}"#, "Empty arrays are not allowed"),
        .init(#"{"key":{}}"#, "Empty objects are not allowed", scope: .messageBody),
        .init(#"{"key":[{}]}"#, "Match expression name not found"),
        .init(#"{"key":[{"exact":"x"}]}"#, "Unrecognized match type exact"),
        .init(#"{"key":[{"wildcard":"x*"}]}"#, "Unrecognized match type wildcard"),
        .init("[1]", "Filter is not an object"),
        .init(#""text""#, "Filter is not an object"),
        .init(#"{"$or":[{"a":["1"]}]}"#, "Unrecognized match type a"),  // one branch: not an $or
        .init(#"{"$or":[{"numeric":123},{"prefix":"abc"}]}"#, "Value of numeric must be an array."),  // reserved names
        .init(#"{"$or":"x"}"#, #""$or" must be an object or an array"#),
        .init(#"{"$or":[{"a":["1"]},{}]}"#, "Empty objects are not allowed"),
        .init(#"{"a":[{"prefix":5}],"b":[["x"]]}"#, "prefix match pattern must be a string"),  // first in document order
    ]

    static let strings: [Row] = [
        .init(#"{"key":[{"suffix":100}]}"#, "suffix match pattern must be a string"),  // AWS
        .init(#"{"key":[{"suffix":null}]}"#, "suffix match pattern must be a string"),  // AWS
        .init(#"{"key":[{"suffix":[]}]}"#, "suffix match pattern must be a string"),  // AWS
        .init(#"{"key":[{"suffix":["test","test2"]}]}"#, "suffix match pattern must be a string"),  // AWS
        .init(#"{"key":[{"prefix":{"equals-ignore-case":"x"}}]}"#, "prefix match pattern must be a string"),
        .init(#"{"key":[{"equals-ignore-case":5}]}"#, "equals-ignore-case match pattern must be a string"),
        .init(#"{"key":[{"exists":null}]}"#, "exists match pattern must be either true or false."),  // AWS
        .init(#"{"key":[{"exists":"no"}]}"#, "exists match pattern must be either true or false."),  // AWS
        .init(#"{"key":[{"exists":true,"prefix":"a"}]}"#, "Only one key allowed in match expression"),
    ]

    static let anythingBut: [Row] = [
        .init(#"{"key":[{"anything-but":{"wrong-operator":null}}]}"#, "Unsupported anything-but pattern: wrong-operator"),  // AWS
        .init(#"{"key":[{"anything-but":{"suffix":"test"}}]}"#, "Unsupported anything-but pattern: suffix"),  // AWS
        .init(#"{"key":[{"anything-but":{"exists":false}}]}"#, "Unsupported anything-but pattern: exists"),  // AWS
        .init(#"{"key":[{"anything-but":{"prefix":false}}]}"#, "prefix match pattern must be a string"),  // AWS
        .init(#"{"key":[{"anything-but":{"equals-ignore-case":"x"}}]}"#, "Unsupported anything-but pattern: equals-ignore-case"),
        .init(#"{"key":[{"anything-but":{}}]}"#, "Anything-But expression name not found"),
        .init(#"{"key":[{"anything-but":{"prefix":"a","suffix":"b"}}]}"#, "Only one key allowed in match expression"),
        .init(#"{"key":[{"anything-but":[true]}]}"#, "Inside anything but list, start|null|boolean is not supported."),
        .init(#"{"key":[{"anything-but":["a",null]}]}"#, "Inside anything but list, start|null|boolean is not supported."),
        .init(#"{"key":[{"anything-but":["a",1]}]}"#, "Inside anything but list, either all values are number or string, mixed type is not supported"),
        .init(#"{"key":[{"anything-but":[]}]}"#, "Inside anything but list, either all values are number or string, mixed type is not supported"),
        .init(#"{"key":[{"anything-but":true}]}"#, "Value of anything-but must be an array or single string/number value."),
        .init(#"{"key":[{"anything-but":"a","prefix":"b"}]}"#, "Too many elements in numeric expression"),
        .init(#"{"key":[{"anything-but":[2e9]}]}"#, "Value must be between -1.0E9 and 1.0E9, inclusive"),
    ]

    static let numeric: [Row] = [
        .init(#"{"key":[{"numeric":[]}]}"#, "Invalid member in numeric match: ]"),  // AWS
        .init(#"{"key":[{"numeric":["operator"]}]}"#, "Unrecognized numeric range operator: operator"),  // AWS
        .init(#"{"key":[{"numeric":[1,"<="]}]}"#, "Invalid member in numeric match: 1"),  // AWS
        .init(#"{"key":[{"numeric":["=","000"]}]}"#, "Value of equals must be numeric"),  // AWS
        .init(#"{"key":[{"numeric":[">="]}]}"#, "Value of >= must be numeric"),  // AWS
        .init(#"{"key":[{"numeric":["<",100,">",10]}]}"#, "Too many elements in numeric expression"),  // AWS
        .init(#"{"key":[{"numeric":[">=",1,">",2]}]}"#, "Bad numeric range operator: >"),  // AWS
        .init(#"{"key":[{"numeric":[">",3,"<",1]}]}"#, "Bottom must be less than top"),  // AWS
        .init(#"{"key":[{"numeric":[">",20,"<="]}]}"#, "Value of <= must be numeric"),  // AWS
        .init(#"{"key":[{"numeric":[">",20,30]}]}"#, "Bad value in numeric range: 30"),  // AWS
        .init(#"{"key":[{"numeric":[">",20,"test"]}]}"#, "Bad numeric range operator: test"),  // AWS
        .init(#"{"key":[{"numeric":[">","20","<","30"]}]}"#, "Value of > must be numeric"),  // AWS
        .init(#"{"key":[{"numeric":[">",20,"<","30"]}]}"#, "Value of < must be numeric"),  // AWS
        .init(#"{"key":[{"numeric":[">",20,"<",30,"<",50]}]}"#, "Too many terms in numeric range expression"),  // AWS
        .init(#"{"key":[{"numeric":[1.50]}]}"#, "Invalid member in numeric match: 1.50"),
        .init(#"{"key":[{"numeric":[{"a":1}]}]}"#, "Invalid member in numeric match: {"),
        .init(#"{"key":[{"numeric":[">=",5,"<=",5]}]}"#, "Bottom must be less than top"),
        .init(#"{"key":[{"numeric":["=",5,6]}]}"#, "Too many elements in numeric expression"),
        .init(#"{"key":[{"numeric":["<",5,"x"]}]}"#, "Too many elements in numeric expression"),
        .init(#"{"key":[{"numeric":5}]}"#, "Value of numeric must be an array."),
        .init(#"{"key":[{"numeric":[">",1],"prefix":"x"}]}"#, "Too many elements in numeric expression"),
        .init(#"{"key":[{"numeric":[">",2e9]}]}"#, "Value must be between -1.0E9 and 1.0E9, inclusive"),
        .init(#"{"key":[{"numeric":["<",-1000000000.5]}]}"#, "Value must be between -1.0E9 and 1.0E9, inclusive"),
        .init(#"{"key":[{"numeric":["=",1e400]}]}"#, "Value must be between -1.0E9 and 1.0E9, inclusive"),
    ]

    static let cidr: [Row] = [
        .init(#"{"ip":[{"cidr":5}]}"#, "prefix match pattern must be a string"),
        .init(#"{"ip":[{"cidr":"10.0.0.0"}]}"#, "Malformed CIDR, one '/' required"),
        .init(#"{"ip":[{"cidr":"10.0.0.0/"}]}"#, "Malformed CIDR, one '/' required"),
        .init(#"{"ip":[{"cidr":"10.0.0.0/8/8"}]}"#, "Malformed CIDR, one '/' required"),
        .init(#"{"ip":[{"cidr":"10.0.0.0/a"}]}"#, "Malformed CIDR, mask bits must be an integer"),
        .init(#"{"ip":[{"cidr":"10.0.0.0/ 8"}]}"#, "Malformed CIDR, mask bits must be an integer"),
        .init(#"{"ip":[{"cidr":"10.0.0.0/-1"}]}"#, "Malformed CIDR, mask bits must not be negative"),
        .init(#"{"ip":[{"cidr":"10.0.0/24"}]}"#, "Nonstandard IP address: 10.0.0"),
        .init(#"{"ip":[{"cidr":"300.0.0.0/8"}]}"#, "Nonstandard IP address: 300.0.0.0"),
        .init(#"{"ip":[{"cidr":"/8"}]}"#, "Nonstandard IP address: "),
        .init(#"{"ip":[{"cidr":"2001:db8:::/8"}]}"#, "Nonstandard IP address: 2001:db8:::"),
        .init(#"{"ip":[{"cidr":"10.0.0.0/32"}]}"#, "IPv4 mask bits must be < 32"),
        .init(#"{"ip":[{"cidr":"::/128"}]}"#, "IPv6 mask bits must be < 128"),
        .init(#"{"ip":[{"cidr":"::ffff:0:0/96"}]}"#, "IPv4 mask bits must be < 32"),  // mapped reads as IPv4, as in Java
    ]

    @Test(arguments: structure + strings + anythingBut + numeric + cidr)
    func refuses(_ row: Row) {
        let error = refusal(row.policy, row.scope)
        #expect(error?.message == row.message)
        #expect(error?.code == .invalidSyntax)
        #expect(error?.reason == "FilterPolicy: \(row.message)")
    }

    @Test(arguments: [
        #"{"a":{"b":["x"]}}"#,
        #"{"$or":[{"a":{"b":["x"]}},{"c":["y"]}]}"#,
    ])
    func attributeScopeRefusesNesting(_ json: String) {
        let error = refusal(json)
        #expect(error?.code == .nestedInAttributeScope)
        // AWS words this one without the "FilterPolicy:" label.
        #expect(error?.reason == "Filter policy scope MessageAttributes does not support nested filter policy")  // AWS
        #expect(refusal(json, .messageBody) == nil)
    }

    @Test(arguments: ["{", "", "{\"a\":[1,]}", "{\"a\":[tru]}", "{\"a\":[\"\u{01}\"]}", "{} x", "{\"a\":[01]}"])
    func refusesMalformedJSON(_ json: String) {
        let error = refusal(json)
        #expect(error?.code == .malformedJSON)
        #expect(error?.reason.hasPrefix("FilterPolicy: failed to parse JSON. ") == true)
    }

    @Test(arguments: [
        #"{}"#,
        #"{"key":[{"anything-but":{"prefix":"test-"}}]}"#,  // AWS accepted
        #"{"key":[{"anything-but":["test","test2"]}]}"#,  // AWS accepted
        #"{"key":[{"anything-but":"test"}]}"#,  // AWS accepted
        #"{"attr1":[null,{"anything-but":"whatever"}]}"#,  // AWS accepted
        #"{"attr1":[{"numeric":[">",0,"<=",100]}]}"#,  // AWS accepted
        #"{"key":[1e12, -0.5, "s", true, false, null]}"#,
        #"{"key":[{"numeric":[">=",-1000000000,"<=",1000000000]}]}"#,
        #"{"key":[{"cidr":"10.0.0.0/0"}, {"cidr":"::/127"}, {"cidr":"10.0.0.0/+8"}]}"#,
        #"{"key":[{"prefix":""}, {"suffix":""}, {"equals-ignore-case":""}]}"#,
        #"{"a":["x"], "a":["y"]}"#,
        " \n{\"a\":[\"\\u00e9\\ud83d\\ude00\\n\"]}\t",
    ])
    func accepts(_ json: String) {
        #expect(refusal(json) == nil)
    }
}
