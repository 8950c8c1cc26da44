/// Writes Query-protocol XML responses.
public enum XMLWriter {
    /// `<ActionResponse xmlns=ns><ActionResult>...</ActionResult><ResponseMetadata>...`;
    /// no Result element when `fields` is nil.
    public static func response(action: String, namespace: String, fields: [WireField]?, requestId: String) -> String {
        var out = "<?xml version=\"1.0\"?><\(action)Response xmlns=\"\(namespace)\">"
        if let fields {
            out += "<\(action)Result>"
            for field in fields { write(field, into: &out) }
            out += "</\(action)Result>"
        }
        out += "<ResponseMetadata><RequestId>\(requestId)</RequestId></ResponseMetadata></\(action)Response>"
        return out
    }

    /// `<ErrorResponse>` as SQS and SNS send it.
    public static func error(namespace: String, type: String, code: String, message: String, requestId: String) -> String {
        var out = "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"\(namespace)\"><Error><Type>\(type)</Type><Code>"
        escape(code, into: &out)
        out += "</Code><Message>"
        escape(message, into: &out)
        out += "</Message><Detail/></Error><RequestId>\(requestId)</RequestId></ErrorResponse>"
        return out
    }

    static func write(_ field: WireField, into out: inout String) {
        switch field {
        case .scalar(let name, let value):
            element(name, value.text, into: &out)
        case .structure(let name, let fields):
            out += "<\(name)>"
            fields.forEach { write($0, into: &out) }
            out += "</\(name)>"
        case .list(let json, let xml, let wrapped, let items):
            if wrapped { out += "<\(json)>" }
            for item in items {
                let name = wrapped ? "member" : xml
                switch item {
                case .scalar(let value): element(name, value.text, into: &out)
                case .structure(let fields):
                    out += "<\(name)>"
                    fields.forEach { write($0, into: &out) }
                    out += "</\(name)>"
                }
            }
            if wrapped { out += "</\(json)>" }
        case .map(let json, let xml, let key, let value, let wrapped, let entries):
            if wrapped { out += "<\(json)>" }
            let name = wrapped ? "entry" : xml
            for (entryKey, item) in entries {
                out += "<\(name)>"
                element(key, entryKey, into: &out)
                switch item {
                case .scalar(let scalar): element(value, scalar.text, into: &out)
                case .structure(let fields):
                    out += "<\(value)>"
                    fields.forEach { write($0, into: &out) }
                    out += "</\(value)>"
                }
                out += "</\(name)>"
            }
            if wrapped { out += "</\(json)>" }
        }
    }

    static func element(_ name: String, _ text: String, into out: inout String) {
        out += "<\(name)>"
        escape(text, into: &out)
        out += "</\(name)>"
    }

    /// Escapes text content; `\r` as `&#xD;` so it survives XML line-end normalisation.
    public static func escape(_ text: String, into out: inout String) {
        var plain = true
        for byte in text.utf8 where byte == 0x26 || byte == 0x3c || byte == 0x3e || byte == 0x0d || byte == 0x22 || byte == 0x27 {
            plain = false
            break
        }
        if plain {
            out += text
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\r": out += "&#xD;"
            default: out.unicodeScalars.append(scalar)
            }
        }
    }
}
