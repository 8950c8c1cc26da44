/// A scalar in a response.
public enum WireScalar: Sendable, Equatable {
    case string(String)
    case int(Int64)
    case bool(Bool)

    var text: String {
        switch self {
        case .string(let s): return s
        case .int(let n): return String(n)
        case .bool(let b): return b ? "true" : "false"
        }
    }
}

/// An item of a response list: a scalar or a structure.
public enum WireItem: Sendable, Equatable {
    case scalar(WireScalar)
    case structure([WireField])
}

/// One member of a response, with what both encodings need: the JSON key, and for
/// collections the XML element names (Query protocols flatten SQS lists and maps; SNS wraps
/// them in `member`/`entry`).
public indirect enum WireField: Sendable, Equatable {
    case scalar(String, WireScalar)
    case structure(String, [WireField])
    /// JSON `"json": [...]`; XML: each item as `<xml>` (flattened) or inside `<json><member>` when `wrapped`.
    case list(json: String, xml: String, wrapped: Bool, [WireItem])
    /// JSON `"json": {k: v}`; XML: each entry as `<xml><key>k</key><value>v</value></xml>`
    /// (flattened) or `<json><entry>...</entry></json>` when `wrapped`.
    case map(json: String, xml: String, key: String, value: String, wrapped: Bool, [(String, WireItem)])

    public static func == (lhs: WireField, rhs: WireField) -> Bool {
        JSONWriter.render(lhs) == JSONWriter.render(rhs)
    }

    public static func string(_ name: String, _ value: String?) -> WireField? {
        value.map { .scalar(name, .string($0)) }
    }

    public static func int(_ name: String, _ value: Int?) -> WireField? {
        value.map { .scalar(name, .int(Int64($0))) }
    }
}
