/// IP address literals, read as Java's `InetAddress` reads them: dotted-quad IPv4,
/// RFC 4291 IPv6 (with `::` and an embedded IPv4 tail). IPv4-mapped IPv6 addresses come
/// back as IPv4, as Java returns them.
enum IPAddress {
    /// 4 or 16 bytes, or nil when `text` is not an address literal.
    static func bytes(_ text: String) -> [UInt8]? {
        if text.contains(":") {
            guard let v6 = ipv6(Substring(text)) else { return nil }
            if v6[0..<10].allSatisfy({ $0 == 0 }), v6[10] == 0xFF, v6[11] == 0xFF { return Array(v6[12...]) }
            return v6
        }
        return ipv4(Substring(text))
    }

    static func ipv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.utf8.count), part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let value = Int(part), value <= 255 else { return nil }
            out.append(UInt8(value))
        }
        return out
    }

    static func ipv6(_ text: Substring) -> [UInt8]? {
        let halves = text.components(separatedByString: "::")
        guard halves.count <= 2 else { return nil }
        guard let head = groups(halves[0], allowIPv4Tail: halves.count == 1) else { return nil }
        var tail: [UInt16] = []
        if halves.count == 2 {
            guard let parsed = groups(halves[1], allowIPv4Tail: true) else { return nil }
            tail = parsed
            guard head.count + tail.count <= 7 else { return nil }
        } else {
            guard head.count == 8 else { return nil }
        }
        let all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    /// Colon-separated hex groups; the last may be a dotted IPv4 address (two groups).
    private static func groups(_ text: Substring, allowIPv4Tail: Bool) -> [UInt16]? {
        if text.isEmpty { return [] }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        var out: [UInt16] = []
        for (index, part) in parts.enumerated() {
            if index == parts.count - 1, allowIPv4Tail, part.contains(".") {
                guard let v4 = ipv4(part) else { return nil }
                out.append(UInt16(v4[0]) << 8 | UInt16(v4[1]))
                out.append(UInt16(v4[2]) << 8 | UInt16(v4[3]))
            } else {
                guard (1...4).contains(part.utf8.count), part.allSatisfy(\.isHexDigit),
                      let value = UInt16(part, radix: 16) else { return nil }
                out.append(value)
            }
        }
        return out
    }
}

extension Substring {
    /// Splits on a multi-character separator without Foundation.
    fileprivate func components(separatedByString separator: String) -> [Substring] {
        var pieces: [Substring] = []
        var rest = self[...]
        while let range = rest.firstRange(of: separator) {
            pieces.append(rest[..<range.lowerBound])
            rest = rest[range.upperBound...]
        }
        pieces.append(rest)
        return pieces
    }
}
