/// One message attribute: a data type (`String`, `Number`, `Binary`, optionally with a
/// custom `.label`) and its value.
public struct MessageAttribute: Sendable, Equatable, Hashable {
    public enum Value: Sendable, Equatable, Hashable {
        case string(String)
        case binary([UInt8])
    }

    public let dataType: String
    public let value: Value

    public init(dataType: String, value: Value) {
        self.dataType = dataType
        self.value = value
    }

    public init(string: String, dataType: String = "String") {
        self.init(dataType: dataType, value: .string(string))
    }

    /// The base type before any custom `.label`.
    public var baseType: Substring {
        dataType.split(separator: ".", maxSplits: 1).first ?? Substring(dataType)
    }

    public var stringValue: String? {
        if case .string(let s) = value { return s }
        return nil
    }

    public var binaryValue: [UInt8]? {
        if case .binary(let b) = value { return b }
        return nil
    }

    /// Bytes this attribute counts towards the message size limit.
    public var byteCount: Int {
        let valueBytes: Int
        switch value {
        case .string(let s): valueBytes = s.utf8.count
        case .binary(let b): valueBytes = b.count
        }
        return dataType.utf8.count + valueBytes
    }
}

/// A message's attributes, kept by name.
public typealias MessageAttributes = [String: MessageAttribute]

extension Dictionary where Key == String, Value == MessageAttribute {
    /// The length-prefixed serialization AWS hashes for MD5OfMessageAttributes:
    /// names sorted, each as len32+name, len32+type, then 1 (string) or 2 (binary) and len32+value.
    /// sluice stores attributes in this same form.
    public func canonicalBytes() -> [UInt8] {
        var out = [UInt8]()
        for name in keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            let attribute = self[name]!
            out.appendLengthPrefixed(Array(name.utf8))
            out.appendLengthPrefixed(Array(attribute.dataType.utf8))
            switch attribute.value {
            case .string(let s):
                out.append(1)
                out.appendLengthPrefixed(Array(s.utf8))
            case .binary(let b):
                out.append(2)
                out.appendLengthPrefixed(b)
            }
        }
        return out
    }

    /// MD5OfMessageAttributes, or nil when there are none (AWS omits it then).
    public func md5() -> String? {
        isEmpty ? nil : Digest.md5Hex(canonicalBytes())
    }

    /// Decodes ``canonicalBytes()``; nil on malformed input.
    public static func decode(canonical bytes: [UInt8]) -> MessageAttributes? {
        var result = MessageAttributes()
        var index = 0
        func readChunk() -> [UInt8]? {
            guard index + 4 <= bytes.count else { return nil }
            let length = Int(bytes[index]) << 24 | Int(bytes[index + 1]) << 16 | Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
            index += 4
            guard index + length <= bytes.count else { return nil }
            defer { index += length }
            return Array(bytes[index..<index + length])
        }
        while index < bytes.count {
            guard let name = readChunk(), let type = readChunk(), index < bytes.count else { return nil }
            let kind = bytes[index]
            index += 1
            guard let raw = readChunk() else { return nil }
            let value: MessageAttribute.Value = kind == 2 ? .binary(raw) : .string(String(decoding: raw, as: UTF8.self))
            result[String(decoding: name, as: UTF8.self)] = MessageAttribute(dataType: String(decoding: type, as: UTF8.self), value: value)
        }
        return result
    }

    /// Bytes these attributes count towards the message size limit.
    public var byteCount: Int {
        reduce(0) { $0 + $1.key.utf8.count + $1.value.byteCount }
    }
}

extension Array where Element == UInt8 {
    mutating func appendLengthPrefixed(_ bytes: [UInt8]) {
        let n = UInt32(bytes.count)
        append(UInt8(n >> 24)); append(UInt8((n >> 16) & 0xff)); append(UInt8((n >> 8) & 0xff)); append(UInt8(n & 0xff))
        append(contentsOf: bytes)
    }
}
