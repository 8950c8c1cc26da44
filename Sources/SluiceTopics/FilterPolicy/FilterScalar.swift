import SluiceCore
/// One value a filter condition is tested against: a String attribute, a Number
/// attribute, an element of a String.Array, or a leaf of a JSON message body.
enum FilterScalar: Sendable {
    case string(String)
    case number(FilterNumber)
    case bool(Bool)
    case null

    init?(json: JSONValue) {
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
