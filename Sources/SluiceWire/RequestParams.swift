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
public struct JSONParams: RequestParams, @unchecked Sendable {
    let object: [String: Any]

    public init(object: [String: Any]) { self.object = object }

    /// Parses a request body; an empty body is an empty object.
    public init(body: [UInt8]) throws(QueueError) {
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) {
            object = [:]
            return
        }
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) else {
            throw QueueError(.malformedRequest, "The request body is not valid JSON.")
        }
        guard let object = parsed as? [String: Any] else {
            throw QueueError(.malformedRequest, "The request body must be a JSON object.")
        }
        self.object = object
    }

    public func string(_ name: String) throws(QueueError) -> String? {
        switch object[name] {
        case nil, is NSNull: return nil
        case let s as String: return s
        case let n as NSNumber where !Self.isBool(n): return n.stringValue
        case let other?: throw invalidType(name, other)
        }
    }

    public func int(_ name: String) throws(QueueError) -> Int? {
        switch object[name] {
        case nil, is NSNull: return nil
        case let n as NSNumber where !Self.isBool(n):
            guard Double(n.intValue) == n.doubleValue else { throw invalidType(name, n) }
            return n.intValue
        case let s as String:
            guard let n = Int(s) else { throw QueueError.invalidParameter(name, s, reason: "Must be an integer.") }
            return n
        case let other?: throw invalidType(name, other)
        }
    }

    public func strings(_ name: String, query: String) throws(QueueError) -> [String] {
        switch object[name] {
        case nil, is NSNull: return []
        case let list as [Any]:
            var out = [String]()
            for item in list {
                guard let s = item as? String else { throw invalidType(name, item) }
                out.append(s)
            }
            return out
        case let other?: throw invalidType(name, other)
        }
    }

    public func stringMap(_ name: String, query: String, key: String, value: String) throws(QueueError) -> [String: String] {
        switch object[name] {
        case nil, is NSNull: return [:]
        case let map as [String: Any]:
            var out = [String: String]()
            for (k, v) in map {
                switch v {
                case let s as String: out[k] = s
                case let n as NSNumber: out[k] = Self.isBool(n) ? (n.boolValue ? "true" : "false") : n.stringValue
                default: throw invalidType(name, v)
                }
            }
            return out
        case let other?: throw invalidType(name, other)
        }
    }

    public func messageAttributes(_ name: String, query: String) throws(QueueError) -> MessageAttributes {
        switch object[name] {
        case nil, is NSNull: return [:]
        case let map as [String: Any]:
            var out = MessageAttributes()
            for (attributeName, raw) in map {
                guard let fields = raw as? [String: Any] else { throw invalidType(name, raw) }
                out[attributeName] = try Self.attribute(attributeName, fields)
            }
            return out
        case let other?: throw invalidType(name, other)
        }
    }

    static func attribute(_ name: String, _ fields: [String: Any]) throws(QueueError) -> MessageAttribute {
        guard let type = fields["DataType"] as? String, !type.isEmpty else {
            throw QueueError(.invalidParameterValue, "The message attribute '\(name)' must contain non-empty message attribute type.")
        }
        if fields["StringListValues"] != nil || fields["BinaryListValues"] != nil {
            throw QueueError(.invalidParameterValue, "Message attribute list values in SendMessage operation are not supported.")
        }
        if let binary = fields["BinaryValue"] as? String {
            guard let data = Data(base64Encoded: binary) else {
                throw QueueError(.invalidParameterValue, "The message attribute '\(name)' has an invalid base64 BinaryValue.")
            }
            return MessageAttribute(dataType: type, value: .binary(Array(data)))
        }
        if type.hasPrefix("Binary") {
            return MessageAttribute(dataType: type, value: .binary([]))
        }
        return MessageAttribute(dataType: type, value: .string(fields["StringValue"] as? String ?? ""))
    }

    public func entries(_ name: String, query: String) throws(QueueError) -> [any RequestParams] {
        switch object[name] {
        case nil, is NSNull: return []
        case let list as [Any]:
            var out = [any RequestParams]()
            for item in list {
                guard let fields = item as? [String: Any] else { throw invalidType(name, item) }
                out.append(JSONParams(object: fields))
            }
            return out
        case let other?: throw invalidType(name, other)
        }
    }

    static func isBool(_ n: NSNumber) -> Bool {
        String(cString: n.objCType) == "c"
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
            var object = [String: Any]()
            object["DataType"] = fields[base + "Value.DataType"]
            object["StringValue"] = fields[base + "Value.StringValue"]
            object["BinaryValue"] = fields[base + "Value.BinaryValue"]
            if fields.keys.contains(where: { $0.hasPrefix(base + "Value.StringListValue") || $0.hasPrefix(base + "Value.BinaryListValue") }) {
                object["StringListValues"] = []
            }
            out[attributeName] = try JSONParams.attribute(attributeName, object)
        }
        return out
    }

    public func entries(_ name: String, query: String) throws(QueueError) -> [any RequestParams] {
        indexed(query).map { QueryParams(fields: fields, prefix: prefix + query + "." + $0.1 + ".") }
    }
}
