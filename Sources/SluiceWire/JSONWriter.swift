import SluiceCore

/// Writes response fields as a JSON object (AWS JSON 1.0 bodies).
public enum JSONWriter {
    public static func object(_ fields: [WireField]) -> String {
        var out = "{"
        var first = true
        for field in fields {
            if !first { out += "," }
            first = false
            write(field, into: &out)
        }
        out += "}"
        return out
    }

    static func render(_ field: WireField) -> String {
        var out = ""
        write(field, into: &out)
        return out
    }

    static func write(_ field: WireField, into out: inout String) {
        switch field {
        case .scalar(let name, let value):
            quote(name, into: &out)
            out += ":"
            write(value, into: &out)
        case .structure(let name, let fields):
            quote(name, into: &out)
            out += ":" + object(fields)
        case .list(let name, _, _, let items):
            quote(name, into: &out)
            out += ":["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                write(item, into: &out)
            }
            out += "]"
        case .map(let name, _, _, _, _, let entries):
            quote(name, into: &out)
            out += ":{"
            for (index, entry) in entries.enumerated() {
                if index > 0 { out += "," }
                quote(entry.0, into: &out)
                out += ":"
                write(entry.1, into: &out)
            }
            out += "}"
        }
    }

    static func write(_ item: WireItem, into out: inout String) {
        switch item {
        case .scalar(let value): write(value, into: &out)
        case .structure(let fields): out += object(fields)
        }
    }

    static func write(_ value: WireScalar, into out: inout String) {
        switch value {
        case .string(let s): quote(s, into: &out)
        case .int(let n): out += String(n)
        case .bool(let b): out += b ? "true" : "false"
        }
    }

    /// JSON string escaping: quote, backslash and control characters.
    public static func quote(_ text: String, into out: inout String) {
        JSONText.quote(text, into: &out)
    }
}
