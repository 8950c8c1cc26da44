/// One entry of a key's condition array; a key matches when any of its conditions does.
enum FilterCondition: Sendable {
    case exactString(String)
    case exactNumber(FilterNumber)
    case exactBool(Bool)
    case exactNull
    case prefix(String)
    case suffix(String)
    /// Holds the pattern lowercased.
    case equalsIgnoreCase(String)
    case numeric(NumericRange)
    case cidr(CIDRBlock)
    case exists(Bool)
    case anythingBut(AnythingBut)

    /// Whether the condition is decided by one value on its own. `exists` and
    /// `anything-but` look at all of a key's values at once.
    var isPerValue: Bool {
        switch self {
        case .exists, .anythingBut: return false
        default: return true
        }
    }

    /// Whether one value satisfies a per-value condition. Types never mix: a string
    /// condition ignores numbers and the reverse, as AWS's engine compares typed JSON.
    func matches(_ value: FilterScalar) -> Bool {
        switch (self, value) {
        case (.exactString(let p), .string(let s)): return s.bytesEqual(p)
        case (.exactNumber(let p), .number(let n)): return n == p
        case (.exactBool(let p), .bool(let b)): return b == p
        case (.exactNull, .null): return true
        case (.prefix(let p), .string(let s)): return s.bytesHavePrefix(p)
        case (.suffix(let p), .string(let s)): return s.bytesHaveSuffix(p)
        case (.equalsIgnoreCase(let p), .string(let s)): return s.lowercased().bytesEqual(p)
        case (.numeric(let range), .number(let n)): return range.contains(n)
        case (.cidr(let block), .string(let s)): return block.contains(s)
        default: return false
        }
    }

    /// Whether a whole-key condition holds for a key's values (empty when absent).
    /// A key is present when it has a non-null value ("exists": true needs one).
    func holds(for values: [FilterScalar]) -> Bool {
        switch self {
        case .exists(let wanted):
            return values.contains { !$0.isNull } == wanted
        case .anythingBut(let excluded):
            return values.contains { !$0.isNull } && !values.contains(where: excluded.excludes)
        default:
            return values.contains(where: matches)
        }
    }
}

/// The operand of `anything-but`.
enum AnythingBut: Sendable {
    case strings([String])
    case numbers([FilterNumber])
    case prefix(String)

    func excludes(_ value: FilterScalar) -> Bool {
        switch (self, value) {
        case (.strings(let list), .string(let s)): return list.contains { s.bytesEqual($0) }
        case (.numbers(let list), .number(let n)): return list.contains(n)
        case (.prefix(let p), .string(let s)): return s.bytesHavePrefix(p)
        default: return false
        }
    }
}

/// The operand of `numeric`: `=`, one bound, or a bottom (`>`/`>=`) and a top (`<`/`<=`).
struct NumericRange: Sendable {
    var lower: FilterNumber?
    var lowerInclusive = false
    var upper: FilterNumber?
    var upperInclusive = false

    func contains(_ n: FilterNumber) -> Bool {
        if let lower, lowerInclusive ? n < lower : !(lower < n) { return false }
        if let upper, upperInclusive ? upper < n : !(n < upper) { return false }
        return true
    }
}
