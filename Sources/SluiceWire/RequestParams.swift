import Foundation
import SluiceCore

/// The parameters of one AWS request, read the same way whichever protocol carried them.
/// Each accessor names a member as the JSON protocol spells it and, where it differs, as the
/// Query protocol flattens it.
public protocol RequestParams: Sendable {
    func string(_ name: String) throws(QueueError) -> String?
    func int(_ name: String) throws(QueueError) -> Int?
    /// A list of strings: JSON `"Name": [..]`, Query `<query>.1`, `<query>.2`, ...
    func strings(_ name: String, query: String) throws(QueueError) -> [String]
    /// A string map: JSON `"Name": {k: v}`, Query `<query>.N.<key>` / `<query>.N.<value>`.
    func stringMap(_ name: String, query: String, key: String, value: String) throws(QueueError) -> [String: String]
    /// A message-attribute map: JSON `"Name": {n: {DataType, StringValue|BinaryValue}}`,
    /// Query `<query>.N.Name`, `<query>.N.Value.DataType`, ...
    func messageAttributes(_ name: String, query: String) throws(QueueError) -> MessageAttributes
    /// A list of structures: JSON `"Name": [{..}]`, Query `<query>.N.<member>`.
    func entries(_ name: String, query: String) throws(QueueError) -> [any RequestParams]
}

extension RequestParams {
    func invalidType(_ name: String, _ value: Any) -> QueueError {
        QueueError(.invalidParameterValue, "Value \(value) for parameter \(name) is invalid. Reason: wrong type.")
    }
}

/// Parameters of an AWS JSON 1.0 request body.
public struct JSONParams: RequestParams {
    let members: [JSONValue.Member]

    public init(members: [JSONValue.Member]) { self.members = members }

    /// Parses a request body; an empty body is an empty object.
    public init(body: [UInt8]) throws(QueueError) {
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) {
            members = []
            return
        }
        let parsed: JSONValue
        do {
            parsed = try JSONReader.parse(bytes: body)
        } catch {
            throw QueueError(.malformedRequest, "The request body is not valid JSON: \(error.reason) at offset \(error.offset).")
        }
        guard case .object(let members) = parsed else {
            throw QueueError(.malformedRequest, "The request body must be a JSON object.")
        }
        self.members = members
    }

    func value(_ name: String) -> JSONValue? {
        for member in members where member.key == name {
            if case .null = member.value { return nil }
            return member.value
        }
        return nil
    }

    public func string(_ name: String) throws(QueueError) -> String? {
        switch value(name) {
        case nil: return nil
        case .string(let s)?: return s
        case .number(_, let text)?: return text
        case let other?: throw invalidType(name, other.tokenText)
        }
    }

    public func int(_ name: String) throws(QueueError) -> Int? {
        switch value(name) {
        case nil: return nil
        case .number(let d, let text)?:
            if let n = Int(text) { return n }
            guard d.rounded() == d, abs(d) < 9e18 else { throw invalidType(name, text) }
            return Int(d)
        case .string(let s)?:
            guard let n = Int(s) else { throw QueueError.invalidParameter(name, s, reason: "Must be an integer.") }
            return n
        case let other?: throw invalidType(name, other.tokenText)
        }
    }

    public func strings(_ name: String, query: String) throws(QueueError) -> [String] {
        switch value(name) {
        case nil: return []
        case .array(let items)?:
            var out = [String]()
            for item in items {
                guard case .string(let s) = item else { throw invalidType(name, item.tokenText) }
                out.append(s)
            }
            return out
        case let other?: throw invalidType(name, other.tokenText)
        }
    }

    public func stringMap(_ name: String, query: String, key: String, value valueName: String) throws(QueueError) -> [String: String] {
        switch value(name) {
        case nil: return [:]
        case .object(let entries)?:
            var out = [String: String]()
            for entry in entries {
                switch entry.value {
                case .string(let s): out[entry.key] = s
                case .number(_, let text): out[entry.key] = text
                case .bool(let b): out[entry.key] = b ? "true" : "false"
                default: throw invalidType(name, entry.value.tokenText)
                }
            }
            return out
        case let other?: throw invalidType(name, other.tokenText)
        }
    }

    public func messageAttributes(_ name: String, query: String) throws(QueueError) -> MessageAttributes {
        switch value(name) {
        case nil: return [:]
        case .object(let entries)?:
            var out = MessageAttributes()
            for entry in entries {
                guard case .object = entry.value else { throw invalidType(name, entry.value.tokenText) }
                func text(_ field: String) -> String? {
                    if case .string(let s)? = entry.value[field] { return s }
                    return nil
                }
                out[entry.key] = try Self.attribute(entry.key, dataType: text("DataType"), stringValue: text("StringValue"),
                                                    binaryValue: text("BinaryValue"),
                                                    hasLists: entry.value["StringListValues"] != nil || entry.value["BinaryListValues"] != nil)
            }
            return out
        case let other?: throw invalidType(name, other.tokenText)
        }
    }

    static func attribute(_ name: String, dataType: String?, stringValue: String?, binaryValue: String?, hasLists: Bool) throws(QueueError) -> MessageAttribute {
        guard let type = dataType, !type.isEmpty else {
            throw QueueError(.invalidParameterValue, "The message attribute '\(name)' must contain non-empty message attribute type.")
        }
        if hasLists {
            throw QueueError(.invalidParameterValue, "Message attribute list values in SendMessage operation are not supported.")
        }
        if let binary = binaryValue {
            guard let data = Data(base64Encoded: binary) else {
                throw QueueError(.invalidParameterValue, "The message attribute '\(name)' has an invalid base64 BinaryValue.")
            }
            return MessageAttribute(dataType: type, value: .binary(Array(data)))
        }
        if type.hasPrefix("Binary") {
            return MessageAttribute(dataType: type, value: .binary([]))
        }
        return MessageAttribute(dataType: type, value: .string(stringValue ?? ""))
    }

    public func entries(_ name: String, query: String) throws(QueueError) -> [any RequestParams] {
        switch value(name) {
        case nil: return []
        case .array(let items)?:
            var out = [any RequestParams]()
            for item in items {
                guard case .object(let fields) = item else { throw invalidType(name, item.tokenText) }
                out.append(JSONParams(members: fields))
            }
            return out
        case let other?: throw invalidType(name, other.tokenText)
        }
    }
}

/// Parameters of a Query-protocol request: form fields (and query-string fields), with the
/// flattened `Name.N.Member` spelling of lists and maps.
public struct QueryParams: RequestParams {
    let fields: [String: String]
    let prefix: String

    public init(fields: [String: String], prefix: String = "") {
        self.fields = fields
        self.prefix = prefix
    }

    /// Decodes `application/x-www-form-urlencoded` text.
    public static func decodeForm(_ text: String) throws(QueueError) -> [String: String] {
        var out = [String: String]()
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = decodeComponent(parts[0]), let value = decodeComponent(parts.count > 1 ? parts[1] : "") else {
                throw QueueError(.malformedRequest, "The request has a malformed query string.")
            }
            out[key] = value
        }
        return out
    }

    static func decodeComponent(_ text: Substring) -> String? {
        String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    func raw(_ name: String) -> String? { fields[prefix + name] }

    public func string(_ name: String) throws(QueueError) -> String? { raw(name) }

    public func int(_ name: String) throws(QueueError) -> Int? {
        guard let text = raw(name) else { return nil }
        guard let n = Int(text.trimmingCharacters(in: .whitespaces)) else {
            throw QueueError.invalidParameter(name, text, reason: "Must be an integer.")
        }
        return n
    }

    /// Values of `<name>.1`, `<name>.2`, ... in index order (gaps allowed).
    func indexed(_ name: String) -> [(Int, String)] {
        let head = prefix + name + "."
        var out = [(Int, String)]()
        for (key, _) in fields where key.hasPrefix(head) {
            let rest = key.dropFirst(head.count)
            let indexText = rest.prefix { $0 != "." }
            if let index = Int(indexText) { out.append((index, String(indexText))) }
        }
        var seen = Set<Int>()
        return out.filter { seen.insert($0.0).inserted }.sorted { $0.0 < $1.0 }
    }

    public func strings(_ name: String, query: String) throws(QueueError) -> [String] {
        indexed(query).compactMap { fields[prefix + query + "." + $0.1] }
    }

    public func stringMap(_ name: String, query: String, key: String, value: String) throws(QueueError) -> [String: String] {
        var out = [String: String]()
        for (_, index) in indexed(query) {
            let base = prefix + query + "." + index + "."
            guard let k = fields[base + key] else { continue }
            out[k] = fields[base + value] ?? ""
        }
        return out
    }

    public func messageAttributes(_ name: String, query: String) throws(QueueError) -> MessageAttributes {
        var out = MessageAttributes()
        for (_, index) in indexed(query) {
            let base = prefix + query + "." + index + "."
            guard let attributeName = fields[base + "Name"] else { continue }
            let hasLists = fields.keys.contains { $0.hasPrefix(base + "Value.StringListValue") || $0.hasPrefix(base + "Value.BinaryListValue") }
            out[attributeName] = try JSONParams.attribute(attributeName, dataType: fields[base + "Value.DataType"],
                                                          stringValue: fields[base + "Value.StringValue"],
                                                          binaryValue: fields[base + "Value.BinaryValue"], hasLists: hasLists)
        }
        return out
    }

    public func entries(_ name: String, query: String) throws(QueueError) -> [any RequestParams] {
        indexed(query).map { QueryParams(fields: fields, prefix: prefix + query + "." + $0.1 + ".") }
    }
}
