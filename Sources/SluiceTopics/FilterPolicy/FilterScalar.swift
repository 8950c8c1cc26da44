/// One value a filter condition is tested against: a String attribute, a Number
/// attribute, an element of a String.Array, or a leaf of a JSON message body.
enum FilterScalar: Sendable {
    case string(String)
    case number(FilterNumber)
    case bool(Bool)
    case null

    init?(json: FilterJSON) {
        switch json {
        case .string(let s): self = .string(s)
        case .number(let d, _): self = .number(FilterNumber(d))
        case .bool(let b): self = .bool(b)
        case .null: self = .null
        case .object, .array: return nil
        }
    }

    var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

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

extension String {
    /// Byte-wise equality: AWS compares UTF-8 bytes, not canonically equivalent text.
    func bytesEqual(_ other: String) -> Bool { utf8.elementsEqual(other.utf8) }

    func bytesHavePrefix(_ prefix: String) -> Bool { utf8.starts(with: prefix.utf8) }

    func bytesHaveSuffix(_ suffix: String) -> Bool {
        let mine = utf8, theirs = suffix.utf8
        guard theirs.count <= mine.count else { return false }
        return mine.dropFirst(mine.count - theirs.count).elementsEqual(theirs)
    }
}
