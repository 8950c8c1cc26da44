/// An IPv4 or IPv6 address range written in CIDR notation, as the `cidr` operator
/// takes it.
///
/// AWS's rule engine keeps the address as written for the bottom of the range and sets
/// the host bits for the top, so `10.0.0.5/24` covers 10.0.0.5–10.0.0.255. We copy that.
struct CIDRBlock: Sendable, Equatable {
    let bottom: [UInt8]
    let top: [UInt8]

    /// Parses `address/bits`, throwing AWS's message for each malformation.
    init(parsing text: String) throws(FilterPolicyError) {
        // Java's String.split drops trailing empty pieces; "10.0.0.0/" has one piece.
        var pieces = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        while pieces.last?.isEmpty == true { pieces.removeLast() }
        guard pieces.count == 2 else { throw .invalid("Malformed CIDR, one '/' required") }
        guard let bits = Self.javaInt(pieces[1]) else { throw .invalid("Malformed CIDR, mask bits must be an integer") }
        guard bits >= 0 else { throw .invalid("Malformed CIDR, mask bits must not be negative") }
        guard let address = IPAddress.bytes(pieces[0]) else { throw .invalid("Nonstandard IP address: \(pieces[0])") }
        if address.count == 4, bits > 31 { throw .invalid("IPv4 mask bits must be < 32") }
        if address.count == 16, bits > 127 { throw .invalid("IPv6 mask bits must be < 128") }
        var top = address
        var hostBits = address.count * 8 - bits
        for index in stride(from: top.count - 1, through: 0, by: -1) where hostBits > 0 {
            top[index] |= hostBits >= 8 ? 0xFF : UInt8((1 << hostBits) - 1)
            hostBits -= 8
        }
        bottom = address
        self.top = top
    }

    /// Whether `text` is an address of the same family inside the range.
    func contains(_ text: String) -> Bool {
        guard let address = IPAddress.bytes(text), address.count == bottom.count else { return false }
        return !address.lexicographicallyPrecedes(bottom) && !top.lexicographicallyPrecedes(address)
    }

    /// `Integer.parseInt`: an optional sign and ASCII digits that fit 32 bits.
    private static func javaInt(_ text: String) -> Int? {
        var digits = Substring(text)
        var negative = false
        if let sign = digits.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let magnitude = Int64(digits), magnitude <= Int64(Int32.max) + (negative ? 1 : 0) else { return nil }
        return Int(negative ? -magnitude : magnitude)
    }
}
