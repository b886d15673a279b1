import BulwarkCore
import Crypto
import Foundation

/// API tokens: `bwk_` followed by 43 base64url characters (32 random bytes).
///
/// The prefix lets secret scanners recognise a leaked token. Only the SHA-256 of a token is ever
/// stored; the plain token is shown once, when it is minted.
public enum APIToken {
    public static let prefix = "bwk_"

    /// A freshly minted token and the hash to store for it.
    public struct Minted: Sendable {
        /// The secret: show it once, never store or log it.
        public let token: String
        public let hash: String
    }

    public static func mint<R: RandomNumberGenerator>(using rng: inout R) -> Minted {
        var bytes = [UInt8](repeating: 0, count: 32)
        for i in bytes.indices { bytes[i] = UInt8.random(in: .min ... .max, using: &rng) }
        let token = prefix + base64url(bytes)
        return Minted(token: token, hash: hash(token))
    }

    public static func mint() -> Minted {
        var rng = SystemRandomNumberGenerator()
        return mint(using: &rng)
    }

    /// The lowercase hex SHA-256 under which a token is stored and looked up.
    public static func hash(_ token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).hexString
    }

    /// Whether a string has the shape of a Bulwark token (cheap check before any lookup).
    public static func looksLikeToken(_ s: String) -> Bool {
        s.hasPrefix(prefix) && s.utf8.count == prefix.utf8.count + 43
            && s.utf8.dropFirst(prefix.utf8.count).allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F
            }
    }

    static func base64url(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

extension Sequence<UInt8> {
    /// Lowercase hexadecimal.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(underestimatedCount * 2)
        for b in self {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Constant-time comparison of two secrets or their hashes.
public func constantTimeEquals(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
    guard a.count == b.count else { return false }
    var diff: UInt8 = 0
    for (x, y) in zip(a, b) { diff |= x ^ y }
    return diff == 0
}
