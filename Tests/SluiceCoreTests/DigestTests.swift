import Testing
@testable import SluiceCore

@Suite struct DigestTests {
    @Test func bodyMD5MatchesAWS() {
        #expect(Digest.md5Hex("message-1") == "3d6b824fd8c1520e9a047d21fee6fb1f")
        #expect(Digest.md5Hex("") == "d41d8cd98f00b204e9800998ecf8427e")
    }

    @Test func attributeMD5MatchesAWSVector() {
        let attributes: MessageAttributes = ["MyAttribute": MessageAttribute(string: "foobar")]
        #expect(attributes.md5() == "adb59cd4678ea5a855436b949cd07ab6")
    }

    @Test func noAttributesMeansNoMD5() {
        #expect(MessageAttributes().md5() == nil)
    }

    @Test func attributeMD5DependsOnTypeAndOrderIndependent() {
        let a: MessageAttributes = ["b": MessageAttribute(string: "1", dataType: "Number"), "a": MessageAttribute(string: "x")]
        let b: MessageAttributes = ["a": MessageAttribute(string: "x"), "b": MessageAttribute(string: "1", dataType: "Number")]
        let c: MessageAttributes = ["a": MessageAttribute(string: "x"), "b": MessageAttribute(string: "1", dataType: "Number.int")]
        #expect(a.md5() == b.md5())
        #expect(a.md5() != c.md5())
    }

    @Test func sha256ForContentDeduplication() {
        #expect(Digest.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func canonicalBytesRoundTrip() {
        let attributes: MessageAttributes = [
            "s": MessageAttribute(string: "héllo"),
            "n": MessageAttribute(string: "-1.5e3", dataType: "Number.float"),
            "b": MessageAttribute(dataType: "Binary.gif", value: .binary([0, 1, 2, 255])),
        ]
        #expect(MessageAttributes.decode(canonical: attributes.canonicalBytes()) == attributes)
    }

    @Test(arguments: 0..<50) func canonicalBytesRoundTripSeeded(seed: Int) {
        var generator = SeededGenerator(seed: UInt64(seed + 1))
        var attributes = MessageAttributes()
        for index in 0..<Int.random(in: 0...10, using: &generator) {
            let length = Int.random(in: 1...40, using: &generator)
            if Bool.random(using: &generator) {
                let text = String((0..<length).map { _ in Character(UnicodeScalar(UInt8.random(in: 0x20...0x7e, using: &generator))) })
                attributes["attr\(index)"] = MessageAttribute(string: text)
            } else {
                attributes["bin\(index)"] = MessageAttribute(dataType: "Binary", value: .binary((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }))
            }
        }
        #expect(MessageAttributes.decode(canonical: attributes.canonicalBytes()) == attributes)
    }

    @Test func truncatedCanonicalBytesAreRejected() {
        let bytes: MessageAttributes = ["a": MessageAttribute(string: "value")]
        let canonical = bytes.canonicalBytes()
        for cut in 1..<canonical.count {
            #expect(MessageAttributes.decode(canonical: Array(canonical.prefix(cut))) == nil)
        }
    }
}
