import Testing
@testable import SluiceCore

@Suite struct SQSLimitsTests {
    @Test(arguments: [
        ("orders", true), ("a", true), ("A-b_c9", true), (String(repeating: "x", count: 80), true),
        (String(repeating: "x", count: 81), false), ("", false), ("has space", false), ("dot.name", false),
        ("q.fifo", true), (".fifo", false), (String(repeating: "x", count: 75) + ".fifo", true),
        (String(repeating: "x", count: 76) + ".fifo", false), ("ünï", false),
    ])
    func queueNames(name: String, valid: Bool) {
        #expect(SQSLimits.isValidQueueName(name) == valid)
    }

    @Test func bodyCharacters() {
        #expect(SQSLimits.isAllowedMessageText("hello\t\n\r world ✓ 😀"))
        #expect(!SQSLimits.isAllowedMessageText("nul\u{0}"))
        #expect(!SQSLimits.isAllowedMessageText("bell\u{7}"))
        #expect(!SQSLimits.isAllowedMessageText("\u{FFFE}"))
        #expect(SQSLimits.isAllowedMessageText("\u{E000}\u{FFFD}\u{10FFFF}"))
    }

    @Test func attributeNames() {
        #expect(SQSLimits.messageAttributeNameProblem("order.id") == nil)
        #expect(SQSLimits.messageAttributeNameProblem("AWS.trace") != nil)
        #expect(SQSLimits.messageAttributeNameProblem("amazon.x") != nil)
        #expect(SQSLimits.messageAttributeNameProblem(".lead") != nil)
        #expect(SQSLimits.messageAttributeNameProblem("trail.") != nil)
        #expect(SQSLimits.messageAttributeNameProblem("a..b") != nil)
        #expect(SQSLimits.messageAttributeNameProblem("sp ace") != nil)
        #expect(SQSLimits.messageAttributeNameProblem(String(repeating: "a", count: 257)) != nil)
    }

    @Test func batchIdsAndTokens() {
        #expect(SQSLimits.isValidBatchEntryId("entry-1_a"))
        #expect(!SQSLimits.isValidBatchEntryId("bad id"))
        #expect(!SQSLimits.isValidBatchEntryId(String(repeating: "a", count: 81)))
        #expect(SQSLimits.isValidTokenId("group!#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"))
        #expect(!SQSLimits.isValidTokenId("with space"))
        #expect(!SQSLimits.isValidTokenId(String(repeating: "a", count: 129)))
    }
}
