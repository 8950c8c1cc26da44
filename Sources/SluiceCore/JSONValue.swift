/// A parsed JSON value: members in document order (filter policies report the first error
/// they meet) and the source text of numbers (error messages quote it).
public enum JSONValue: Sendable {
    case object([Member])
    case array([JSONValue])
    case string(String)
    case number(Double, text: String)
    case bool(Bool)
    case null

    public struct Member: Sendable {
        public let key: String
        public let value: JSONValue

        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// The value of the first member named `key`, for objects.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        for member in members where member.key == key { return member.value }
        return nil
    }

    /// The token text AWS quotes in some messages (Jackson's `getText()` at this value).
    public var tokenText: String {
        switch self {
        case .object: return "{"
        case .array: return "["
        case .string(let s): return s
        case .number(_, let text): return text
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        }
    }

    public var isObject: Bool {
        if case .object = self { return true }
        return false
    }
}
