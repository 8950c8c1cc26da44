import Foundation

/// Fast unique identifiers: a xoshiro256** generator seeded once from the system's
/// randomness. Message ids and receipt tokens need to be unique and unguessable enough
/// for a local broker, not cryptographic; this avoids a getrandom call and a formatted
/// print per message.
public enum Identifiers {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var state: (UInt64, UInt64, UInt64, UInt64) = {
        var system = SystemRandomNumberGenerator()
        return (system.next(), system.next(), system.next(), system.next() | 1)
    }()

    /// 64 random bits.
    public static func next() -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        let result = rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotl(state.3, 45)
        return result
    }

    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A lowercase version-4 UUID string, as AWS prints message ids.
    public static func uuid() -> String {
        let high = next()
        let low = next()
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            bytes[i] = UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64(i)))
            bytes[8 + i] = UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64(i)))
        }
        bytes[6] = (bytes[6] & 0x0f) | 0x40
        bytes[8] = (bytes[8] & 0x3f) | 0x80
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { out.append(UInt8(ascii: "-")) }
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A positive 63-bit token.
    public static func token() -> Int64 {
        Int64(bitPattern: next() >> 1) | 1
    }
}
