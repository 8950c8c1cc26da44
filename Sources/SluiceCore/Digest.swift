import Crypto

/// Digests as AWS prints them: lowercase hex.
public enum Digest {
    public static func md5Hex<D: DataProtocol>(_ data: D) -> String {
        hex(Insecure.MD5.hash(data: data))
    }

    public static func md5Hex(_ string: String) -> String {
        md5Hex(Array(string.utf8))
    }

    public static func sha256Hex(_ string: String) -> String {
        hex(SHA256.hash(data: Array(string.utf8)))
    }

    static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

import Foundation
