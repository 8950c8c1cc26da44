/// A number compared as AWS documents: values in -10⁹…10⁹ are exact to five decimal
/// places (so 5 and 5.000001 are equal); anything outside that range compares as a
/// plain double, which keeps the order total.
struct FilterNumber: Sendable, Comparable {
    static let limit = 1_000_000_000.0
    static let scale = 100_000.0

    let value: Double
    private let fixed: Int64?

    init(_ value: Double) {
        self.value = value
        fixed = value.isFinite && abs(value) <= Self.limit ? Int64((value * Self.scale).rounded()) : nil
    }

    /// Whether AWS accepts this as an operand of a numeric condition.
    var isWithinLimits: Bool { fixed != nil }

    static func == (a: FilterNumber, b: FilterNumber) -> Bool {
        if let x = a.fixed, let y = b.fixed { return x == y }
        return a.value == b.value
    }

    static func < (a: FilterNumber, b: FilterNumber) -> Bool {
        if let x = a.fixed, let y = b.fixed { return x < y }
        return a.value < b.value
    }

    /// Parses a Number attribute's text: an optional sign, digits with at most one
    /// decimal point, and an optional exponent. Rejects what `Double.init` would also
    /// take but SNS would not (`inf`, `nan`, hex floats).
    init?(attributeText text: String) {
        var sawDigit = false, sawPoint = false, sawExponent = false, exponentDigit = true
        var previous: UInt8?
        for byte in text.utf8 {
            defer { previous = byte }
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if sawExponent { exponentDigit = true } else { sawDigit = true }
            case UInt8(ascii: "."):
                guard !sawPoint, !sawExponent else { return nil }
                sawPoint = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"):
                guard sawDigit, !sawExponent else { return nil }
                sawExponent = true
                exponentDigit = false
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                guard previous == nil || previous == UInt8(ascii: "e") || previous == UInt8(ascii: "E") else { return nil }
            default:
                return nil
            }
        }
        guard sawDigit, exponentDigit, let value = Double(text), value.isFinite else { return nil }
        self.init(value)
    }
}
