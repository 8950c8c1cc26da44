import Testing
@testable import SluiceTopics

/// Every operator under the MessageAttributes scope: (policy, attributes, outcome).
@Suite struct FilterAttributeMatchingTests {
    static let exact: [AttributeCase] = [
        .init(#"{"k":["a"]}"#, ["k": s("a")], M),
        .init(#"{"k":["a"]}"#, ["k": s("b")], XA),
        .init(#"{"k":["a"]}"#, ["k": s("A")], XA),  // case-sensitive
        .init(#"{"k":["a"]}"#, ["other": s("a")], XA),  // missing key
        .init(#"{"k":["a","b"]}"#, ["k": s("b")], M),  // OR across values
        .init(#"{"k":["100"]}"#, ["k": n("100")], XA),  // a string never equals a Number
        .init(#"{"k":[100]}"#, ["k": s("100")], XA),  // a number never equals a String
        .init(#"{"k":[5]}"#, ["k": n("5")], M),
        .init(#"{"k":[5]}"#, ["k": n("5.0")], M),  // 5 = 5.0
        .init(#"{"k":[5.0]}"#, ["k": n("5")], M),
        .init(#"{"k":[5]}"#, ["k": n("5e0")], M),
        .init(#"{"k":[5]}"#, ["k": n("500E-2")], M),
        .init(#"{"k":[5]}"#, ["k": n("5.000001")], M),  // five decimal digits of accuracy
        .init(#"{"k":[5]}"#, ["k": n("5.0001")], XA),
        .init(#"{"k":[5]}"#, ["k": n("-5")], XA),
        .init(#"{"k":[-5]}"#, ["k": n("-5.00")], M),
        .init(#"{"k":[0]}"#, ["k": n("-0")], M),
        .init(#"{"k":[1e12]}"#, ["k": n("1000000000000")], M),  // outside ±1e9: plain equality
        .init(#"{"k":[true]}"#, ["k": arr("[true]")], M),
        .init(#"{"k":[true]}"#, ["k": s("true")], XA),
        .init(#"{"k":[false]}"#, ["k": arr(#"["false"]"#)], XA),
        .init(#"{"k":[null]}"#, ["k": arr("[null]")], M),
        .init(#"{"k":[null]}"#, ["other": s("x")], XA),  // null does not match a missing key
        .init(#"{"k":["é"]}"#, ["k": s("e\u{301}")], XA),  // bytes, not canonical equivalence
    ]

    static let strings: [AttributeCase] = [
        .init(#"{"k":[{"prefix":"bas"}]}"#, ["k": s("baseball")], M),
        .init(#"{"k":[{"prefix":"bas"}]}"#, ["k": s("rugby")], XA),
        .init(#"{"k":[{"prefix":"bas"}]}"#, ["k": s("ba")], XA),
        .init(#"{"k":[{"prefix":"1"}]}"#, ["k": n("12")], XA),  // prefix is for strings only
        .init(#"{"k":[{"prefix":""}]}"#, ["k": s("anything")], M),
        .init(#"{"k":[{"suffix":"ball"}]}"#, ["k": s("baseball")], M),
        .init(#"{"k":[{"suffix":"ball"}]}"#, ["k": s("ballet")], XA),
        .init(#"{"k":[{"suffix":"ball"}]}"#, ["k": s("ball")], M),
        .init(#"{"k":[{"equals-ignore-case":"RuGbY"}]}"#, ["k": s("rugby")], M),
        .init(#"{"k":[{"equals-ignore-case":"RuGbY"}]}"#, ["k": s("RUGBY")], M),
        .init(#"{"k":[{"equals-ignore-case":"RuGbY"}]}"#, ["k": s("rugby2")], XA),
    ]

    static let anythingBut: [AttributeCase] = [
        .init(#"{"k":[{"anything-but":["rugby","tennis"]}]}"#, ["k": s("baseball")], M),
        .init(#"{"k":[{"anything-but":["rugby","tennis"]}]}"#, ["k": s("rugby")], XA),
        .init(#"{"k":[{"anything-but":["rugby","tennis"]}]}"#, ["other": s("x")], XA),  // must be present
        .init(#"{"k":[{"anything-but":["rugby","tennis"]}]}"#, ["k": arr(#"["rugby","baseball"]"#)], XA),
        .init(#"{"k":[{"anything-but":["rugby","tennis"]}]}"#, ["k": arr(#"["golf","chess"]"#)], M),
        .init(#"{"k":[{"anything-but":["rugby","tennis"]}]}"#, ["k": arr("[]")], XA),
        .init(#"{"k":[{"anything-but":"rugby"}]}"#, ["k": s("golf")], M),
        .init(#"{"k":[{"anything-but":"rugby"}]}"#, ["k": s("rugby")], XA),
        .init(#"{"k":[{"anything-but":[100,200]}]}"#, ["k": n("150")], M),
        .init(#"{"k":[{"anything-but":[100,200]}]}"#, ["k": n("100.0")], XA),
        .init(#"{"k":[{"anything-but":[100,200]}]}"#, ["k": s("100")], M),  // a string is not the number
        .init(#"{"k":[{"anything-but":100}]}"#, ["k": n("1e2")], XA),
        .init(#"{"k":[{"anything-but":{"prefix":"order-"}}]}"#, ["k": s("order-1")], XA),
        .init(#"{"k":[{"anything-but":{"prefix":"order-"}}]}"#, ["k": s("refund-1")], M),
        .init(#"{"k":[{"anything-but":{"prefix":"order-"}}]}"#, ["k": n("5")], M),
        .init(#"{"k":[{"anything-but":["a"]},{"exists":false}]}"#, ["other": s("x")], M),
        .init(#"{"k":[{"anything-but":["a"]},{"exists":false}]}"#, ["k": s("a")], XA),
        .init(#"{"k":[{"anything-but":["a"]},{"exists":false}]}"#, ["k": s("b")], M),
        .init(#"{"k":[null,{"anything-but":"whatever"}]}"#, ["k": s("whatever")], XA),
    ]

    static let numeric: [AttributeCase] = [
        .init(#"{"k":[{"numeric":["=",5]}]}"#, ["k": n("5.0")], M),
        .init(#"{"k":[{"numeric":["=",5]}]}"#, ["k": n("5.00001")], XA),
        .init(#"{"k":[{"numeric":["=",5]}]}"#, ["k": s("5")], XA),  // strings are not numbers
        .init(#"{"k":[{"numeric":[">",0,"<=",100]}]}"#, ["k": n("0")], XA),
        .init(#"{"k":[{"numeric":[">",0,"<=",100]}]}"#, ["k": n("0.00001")], M),
        .init(#"{"k":[{"numeric":[">",0,"<=",100]}]}"#, ["k": n("50")], M),
        .init(#"{"k":[{"numeric":[">",0,"<=",100]}]}"#, ["k": n("100")], M),
        .init(#"{"k":[{"numeric":[">",0,"<=",100]}]}"#, ["k": n("100.00001")], XA),
        .init(#"{"k":[{"numeric":[">",0,"<=",100]}]}"#, ["k": n("-1")], XA),
        .init(#"{"k":[{"numeric":[">=",-10,"<",-1]}]}"#, ["k": n("-10")], M),
        .init(#"{"k":[{"numeric":[">=",-10,"<",-1]}]}"#, ["k": n("-5.5")], M),
        .init(#"{"k":[{"numeric":[">=",-10,"<",-1]}]}"#, ["k": n("-1")], XA),
        .init(#"{"k":[{"numeric":[">=",-10,"<",-1]}]}"#, ["k": n("-10.00001")], XA),
        .init(#"{"k":[{"numeric":["<",0]}]}"#, ["k": n("-0.5")], M),
        .init(#"{"k":[{"numeric":["<",0]}]}"#, ["k": n("0")], XA),
        .init(#"{"k":[{"numeric":["<=",0]}]}"#, ["k": n("0")], M),
        .init(#"{"k":[{"numeric":[">",999999999]}]}"#, ["k": n("1e12")], M),
        .init(#"{"k":[{"numeric":[">",100]}]}"#, ["k": arr(#"[1,"200",200]"#)], M),
        .init(#"{"k":[{"numeric":[">",100]}]}"#, ["k": arr(#"[1,"200"]"#)], XA),
        .init(#"{"k":[{"numeric":[">",100]}]}"#, ["k": n("abc")], invalidAttributes),
        .init(#"{"k":[{"numeric":[">",100]}]}"#, ["k": n("inf")], invalidAttributes),
        .init(#"{"k":[{"numeric":[">",100]}]}"#, ["k": n("0x10")], invalidAttributes),
    ]

    static let exists: [AttributeCase] = [
        .init(#"{"k":[{"exists":true}]}"#, ["k": s("x")], M),
        .init(#"{"k":[{"exists":true}]}"#, ["k": n("1")], M),
        .init(#"{"k":[{"exists":true}]}"#, ["other": s("x")], XA),
        .init(#"{"k":[{"exists":true}]}"#, ["k": bin], XA),  // Binary is ignored
        .init(#"{"k":[{"exists":true}]}"#, ["k": arr("[]")], XA),
        .init(#"{"k":[{"exists":true}]}"#, ["k": arr("[null]")], XA),
        .init(#"{"k":[{"exists":false}]}"#, ["other": s("x")], M),
        .init(#"{"k":[{"exists":false}]}"#, ["k": s("x")], XA),
        .init(#"{"k":[{"exists":false}]}"#, [:], noAttributes),  // AWS: no attributes, no match
        .init(#"{"k":[{"exists":false}]}"#, ["k": bin], M),
    ]

    static let cidr: [AttributeCase] = [
        .init(#"{"ip":[{"cidr":"10.0.0.0/24"}]}"#, ["ip": s("10.0.0.0")], M),
        .init(#"{"ip":[{"cidr":"10.0.0.0/24"}]}"#, ["ip": s("10.0.0.255")], M),
        .init(#"{"ip":[{"cidr":"10.0.0.0/24"}]}"#, ["ip": s("10.0.1.0")], XA),
        .init(#"{"ip":[{"cidr":"10.0.0.0/24"}]}"#, ["ip": s("9.255.255.255")], XA),
        .init(#"{"ip":[{"cidr":"10.0.0.0/24"}]}"#, ["ip": s("10.0.0")], XA),
        .init(#"{"ip":[{"cidr":"10.0.0.0/24"}]}"#, ["ip": s("not-an-ip")], XA),
        .init(#"{"ip":[{"cidr":"10.0.0.0/24"}]}"#, ["ip": s("::ffff:10.0.0.7")], M),  // IPv4-mapped
        .init(#"{"ip":[{"cidr":"10.0.0.5/24"}]}"#, ["ip": s("10.0.0.4")], XA),  // AWS keeps the written base
        .init(#"{"ip":[{"cidr":"10.0.0.5/24"}]}"#, ["ip": s("10.0.0.5")], M),
        .init(#"{"ip":[{"cidr":"192.168.1.0/31"}]}"#, ["ip": s("192.168.1.1")], M),
        .init(#"{"ip":[{"cidr":"192.168.1.0/31"}]}"#, ["ip": s("192.168.1.2")], XA),
        .init(#"{"ip":[{"cidr":"0.0.0.0/0"}]}"#, ["ip": s("255.255.255.255")], M),
        .init(#"{"ip":[{"cidr":"2001:db8::/32"}]}"#, ["ip": s("2001:db8::1")], M),
        .init(#"{"ip":[{"cidr":"2001:db8::/32"}]}"#, ["ip": s("2001:0DB8:0:0:0:0:0:1")], M),
        .init(#"{"ip":[{"cidr":"2001:db8::/32"}]}"#, ["ip": s("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")], M),
        .init(#"{"ip":[{"cidr":"2001:db8::/32"}]}"#, ["ip": s("2001:db9::")], XA),
        .init(#"{"ip":[{"cidr":"2001:db8::/32"}]}"#, ["ip": s("2001:db7:ffff::")], XA),
        .init(#"{"ip":[{"cidr":"2001:db8::/32"}]}"#, ["ip": s("10.0.0.1")], XA),  // other family
        .init(#"{"ip":[{"cidr":"::/0"}]}"#, ["ip": s("::1")], M),
        .init(#"{"ip":[{"cidr":"fe80::/127"}]}"#, ["ip": s("fe80::1")], M),
        .init(#"{"ip":[{"cidr":"fe80::/127"}]}"#, ["ip": s("fe80::2")], XA),
        .init(#"{"ip":[{"cidr":"fe80::1/127"}]}"#, ["ip": s("fe80::")], XA),  // written base again
    ]

    static let logic: [AttributeCase] = [
        .init(#"{"a":["x"],"b":["y"]}"#, ["a": s("x"), "b": s("y")], M),
        .init(#"{"a":["x"],"b":["y"]}"#, ["a": s("x")], XA),
        .init(#"{"a":["x"],"b":["y"]}"#, ["a": s("x"), "b": s("z")], XA),
        .init(#"{"source":["cw"],"$or":[{"metric":["cpu"]},{"ns":["ec2"]}]}"#, ["source": s("cw"), "metric": s("cpu")], M),
        .init(#"{"source":["cw"],"$or":[{"metric":["cpu"]},{"ns":["ec2"]}]}"#, ["source": s("cw"), "ns": s("ec2")], M),
        .init(#"{"source":["cw"],"$or":[{"metric":["cpu"]},{"ns":["ec2"]}]}"#, ["source": s("cw")], XA),
        .init(#"{"source":["cw"],"$or":[{"metric":["cpu"]},{"ns":["ec2"]}]}"#, ["metric": s("cpu")], XA),
        .init(#"{"$or":[{"a":["1"]},{"$or":[{"b":["2"]},{"c":["3"]}]}]}"#, ["c": s("3")], M),
        .init(#"{"$or":[{"a":["1"]},{"$or":[{"b":["2"]},{"c":["3"]}]}]}"#, ["d": s("3")], XA),
        .init(#"{"$or":["x"]}"#, ["$or": s("x")], M),  // not an $or: an ordinary key
        .init(#"{}"#, [:], M),
        .init(#"{"a":["x"]}"#, [:], noAttributes),
    ]

    static let arrays: [AttributeCase] = [
        .init(#"{"k":["b"]}"#, ["k": arr(#"["a","b"]"#)], M),
        .init(#"{"k":["b"]}"#, ["k": arr(#"["a"]"#)], XA),
        .init(#"{"k":["a"]}"#, ["k": arr(#"["a", 1, true, null]"#)], M),
        .init(#"{"k":[1]}"#, ["k": arr("[1.0]")], M),
        .init(#"{"k":["b"]}"#, ["k": arr("not json")], invalidAttributes),
        .init(#"{"k":["b"]}"#, ["k": arr(#"{"a":1}"#)], invalidAttributes),
        .init(#"{"k":["b"]}"#, ["k": arr("[[1]]")], invalidAttributes),
        .init(#"{"k":["b"]}"#, ["k": arr(#""b""#)], invalidAttributes),
        .init(#"{"k":["b"]}"#, ["k": s("b"), "other": arr("bad")], M),  // unread attributes are not checked
        .init(#"{"k":["5"]}"#, ["k": FilterAttribute(dataType: "String.custom", stringValue: "5")], M),
        .init(#"{"k":[5]}"#, ["k": FilterAttribute(dataType: "Number.float", stringValue: "5.0")], M),
        .init(#"{"k":[{"exists":true}]}"#, ["k": FilterAttribute(dataType: "Binary", stringValue: nil)], XA),
    ]

    @Test(arguments: exact + strings + anythingBut + numeric + exists + cidr + logic + arrays)
    func decides(_ row: AttributeCase) {
        #expect(policy(row.policy).matches(attributes: row.attributes) == row.expected)
    }

    @Test func scopeDispatch() {
        let byBody = policy(#"{"k":["v"]}"#, .messageBody)
        #expect(byBody.matches(body: #"{"k":"v"}"#, attributes: [:]) == M)
        let byAttributes = policy(#"{"k":["v"]}"#)
        #expect(byAttributes.matches(body: #"{"k":"x"}"#, attributes: ["k": s("v")]) == M)
        #expect(FilterOutcome.Reason.invalidAttributes.metricName == "NumberOfNotificationsFilteredOut-InvalidAttributes")
    }
}
