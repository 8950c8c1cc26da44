import SluiceCore
/// Reads a key's condition array, checking each entry the way AWS's rule compiler does
/// and in the same order, so the first problem reported is the one AWS reports.
enum MatchExpressionParser {
    /// Operator names; an `$or` branch using one of these as a field is not an `$or`.
    static let reservedNames: Set<String> = [
        "prefix", "suffix", "equals-ignore-case", "anything-but", "numeric", "exists", "cidr",
    ]

    static func conditions(_ elements: [JSONValue]) throws(FilterPolicyError) -> [FilterCondition] {
        var out: [FilterCondition] = []
        out.reserveCapacity(elements.count)
        for element in elements {
            switch element {
            case .object(let members): out.append(try expression(members))
            case .string(let s): out.append(.exactString(s))
            case .number(let d, _): out.append(.exactNumber(FilterNumber(d)))
            case .bool(let b): out.append(.exactBool(b))
            case .null: out.append(.exactNull)
            case .array: throw .invalid("Match value must be String, number, true, false, or null")
            }
        }
        guard !out.isEmpty else { throw .invalid("Empty arrays are not allowed") }
        return out
    }

    /// `{"<operator>": operand}`.
    private static func expression(_ members: [JSONValue.Member]) throws(FilterPolicyError) -> FilterCondition {
        guard let first = members.first else { throw .invalid("Match expression name not found") }
        let condition: FilterCondition
        // AWS's compiler words a second key differently after numeric and anything-but.
        var extraKeyMessage = "Only one key allowed in match expression"
        switch first.key {
        case "prefix": condition = .prefix(try string(first.value, "prefix"))
        case "suffix": condition = .suffix(try string(first.value, "suffix"))
        case "equals-ignore-case": condition = .equalsIgnoreCase(try string(first.value, "equals-ignore-case").lowercased())
        case "cidr": condition = .cidr(try CIDRBlock(parsing: try string(first.value, "prefix")))
        case "exists":
            guard case .bool(let wanted) = first.value else {
                throw .invalid("exists match pattern must be either true or false.")
            }
            condition = .exists(wanted)
        case "numeric":
            guard case .array(let operands) = first.value else { throw .invalid("Value of numeric must be an array.") }
            condition = .numeric(try numeric(operands))
            extraKeyMessage = "Too many elements in numeric expression"
        case "anything-but":
            condition = .anythingBut(try anythingBut(first.value))
            extraKeyMessage = "Too many elements in numeric expression"
        default:
            throw .invalid("Unrecognized match type \(first.key)")
        }
        guard members.count == 1 else { throw .invalid(extraKeyMessage) }
        return condition
    }

    private static func string(_ value: JSONValue, _ name: String) throws(FilterPolicyError) -> String {
        guard case .string(let s) = value else { throw .invalid("\(name) match pattern must be a string") }
        return s
    }

    /// A number operand of `numeric` or `anything-but`, within AWS's documented range.
    private static func boundedNumber(_ d: Double) throws(FilterPolicyError) -> FilterNumber {
        let number = FilterNumber(d)
        guard number.isWithinLimits else { throw .invalid("Value must be between -1.0E9 and 1.0E9, inclusive") }
        return number
    }

    private static func anythingBut(_ operand: JSONValue) throws(FilterPolicyError) -> AnythingBut {
        switch operand {
        case .object(let members):
            guard let inner = members.first else { throw .invalid("Anything-But expression name not found") }
            guard inner.key == "prefix" else { throw .invalid("Unsupported anything-but pattern: \(inner.key)") }
            let prefix = try string(inner.value, "prefix")
            guard members.count == 1 else { throw .invalid("Only one key allowed in match expression") }
            return .prefix(prefix)
        case .string(let s):
            return .strings([s])
        case .number(let d, _):
            return .numbers([try boundedNumber(d)])
        case .array(let elements):
            var strings: [String] = [], numbers: [FilterNumber] = []
            for element in elements {
                switch element {
                case .string(let s): strings.append(s)
                case .number(let d, _): numbers.append(try boundedNumber(d))
                default: throw .invalid("Inside anything but list, start|null|boolean is not supported.")
                }
            }
            guard strings.isEmpty != numbers.isEmpty else {
                throw .invalid("Inside anything but list, either all values are number or string, mixed type is not supported")
            }
            return strings.isEmpty ? .numbers(numbers) : .strings(strings)
        case .bool, .null:
            throw .invalid("Value of anything-but must be an array or single string/number value.")
        }
    }

    /// `[op, n]` or `[">"|">=", n, "<"|"<=", m]`.
    private static func numeric(_ operands: [JSONValue]) throws(FilterPolicyError) -> NumericRange {
        var cursor = operands.makeIterator()
        // Jackson's text at the end of the array is "]".
        func text(_ value: JSONValue?) -> String { value?.tokenText ?? "]" }
        func number(_ value: JSONValue?, _ op: String) throws(FilterPolicyError) -> Double {
            guard case .number(let d, _)? = value else { throw .invalid("Value of \(op) must be numeric") }
            return d
        }
        let first = cursor.next()
        guard case .string(let op)? = first else { throw .invalid("Invalid member in numeric match: \(text(first))") }
        var range = NumericRange()
        switch op {
        case "=":
            let value = try number(cursor.next(), "equals")
            guard case nil = cursor.next() else { throw .invalid("Too many elements in numeric expression") }
            let n = try boundedNumber(value)
            range.lower = n; range.lowerInclusive = true
            range.upper = n; range.upperInclusive = true
            return range
        case "<", "<=":
            let value = try number(cursor.next(), op)
            guard case nil = cursor.next() else { throw .invalid("Too many elements in numeric expression") }
            range.upper = try boundedNumber(value)
            range.upperInclusive = op == "<="
            return range
        case ">", ">=":
            let bottom = try number(cursor.next(), op)
            range.lowerInclusive = op == ">="
            guard let next = cursor.next() else {
                range.lower = try boundedNumber(bottom)
                return range
            }
            guard case .string(let topOp) = next else { throw .invalid("Bad value in numeric range: \(next.tokenText)") }
            guard topOp == "<" || topOp == "<=" else { throw .invalid("Bad numeric range operator: \(topOp)") }
            let top = try number(cursor.next(), topOp)
            guard case nil = cursor.next() else { throw .invalid("Too many terms in numeric range expression") }
            range.lower = try boundedNumber(bottom)
            range.upper = try boundedNumber(top)
            range.upperInclusive = topOp == "<="
            guard range.lower! < range.upper! else { throw .invalid("Bottom must be less than top") }
            return range
        default:
            throw .invalid("Unrecognized numeric range operator: \(op)")
        }
    }
}
