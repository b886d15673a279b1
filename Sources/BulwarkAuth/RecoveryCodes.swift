import Crypto
import Foundation

/// Single-use recovery codes for when the authenticator is lost.
///
/// A code looks like `k7m2-9xq4-ph3w`: 12 characters from Crockford's Base32 alphabet
/// (`0–9 a–z` without `i l o u`), grouped by dashes. That is 5 bits a character, **60 bits** a code,
/// drawn uniformly (32 is a power of two, so there is no modulo bias). Input is normalised the
/// Crockford way: case, spaces and dashes are ignored, and `o` is read as `0`, `i` and `l` as `1`,
/// so a code read off paper is accepted however it is retyped.
///
/// Only hashes are stored: `sha256$<salt>$<digest>`, the hex SHA-256 of a 16-byte random salt
/// followed by the normalised code. A slow password hash such as bcrypt is unnecessary and
/// unhelpful here: bcrypt exists to make guessing *low-entropy* passwords expensive, while a 60-bit
/// code drawn from a secure generator already costs ~2⁶⁰ hashes to find from its hash; and
/// checking a code against each of a user's ten hashes with bcrypt would take seconds a login
/// attempt, an easy denial of service. The per-hash salt keeps a leaked table from being attacked
/// all at once: without it, one guess would be tested against every code of every user, turning
/// 2⁶⁰ into 2⁶⁰ divided by the number of stored codes.
public enum RecoveryCodes {
    /// How many codes a user gets.
    public static let defaultCount = 10
    /// The 32 symbols of a code (Crockford's Base32, lowercase).
    public static let alphabet: [UInt8] = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)
    /// Characters of a code, without dashes.
    public static let length = 12
    /// Characters between dashes.
    public static let groupLength = 4

    static let hashScheme = "sha256"
    static let saltByteCount = 16

    /// Freshly generated codes, to show once, and their hashes, to store.
    public struct Generated: Sendable {
        /// The codes, formatted `xxxx-xxxx-xxxx`. Show them once; never store or log them.
        public let codes: [String]
        /// The hashes to store, in the same order as ``codes``.
        public let hashes: [String]
    }

    /// `count` distinct codes and their salted hashes, all randomness drawn from `rng` (pass a
    /// `SystemRandomNumberGenerator` in production).
    public static func generate(count: Int = defaultCount, using rng: inout some RandomNumberGenerator) -> Generated {
        var codes: [String] = []
        var seen: Set<String> = []
        while codes.count < count {
            var symbols: [UInt8] = []
            for i in 0..<length {
                if i > 0, i % groupLength == 0 { symbols.append(UInt8(ascii: "-")) }
                symbols.append(alphabet[Int(rng.next() & 31)])
            }
            let code = String(decoding: symbols, as: UTF8.self)
            if seen.insert(code).inserted { codes.append(code) }
        }
        var hashes: [String] = []
        for code in codes {
            // The code was built from the alphabet, so it is its own normal form without the dashes.
            hashes.append(saltedHash(normalised: code.replacingOccurrences(of: "-", with: ""), using: &rng))
        }
        return Generated(codes: codes, hashes: hashes)
    }

    /// The canonical form of a typed code (12 lowercase alphabet characters), or `nil` if the input
    /// can't be a code. Case, whitespace and dashes are ignored; `o` becomes `0`, `i` and `l` become `1`.
    public static func normalise(_ code: String) -> String? {
        var out: [UInt8] = []
        for scalar in code.unicodeScalars {
            if scalar.properties.isWhitespace || scalar == "-" { continue }
            guard scalar.isASCII else { return nil }
            var byte = UInt8(scalar.value)
            if byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") { byte += 0x20 }
            switch byte {
            case UInt8(ascii: "o"): byte = UInt8(ascii: "0")
            case UInt8(ascii: "i"), UInt8(ascii: "l"): byte = UInt8(ascii: "1")
            default: break
            }
            guard alphabet.contains(byte) else { return nil }
            out.append(byte)
            if out.count > length { return nil }
        }
        guard out.count == length else { return nil }
        return String(decoding: out, as: UTF8.self)
    }

    /// The string to store for `code`, with a fresh salt from `rng`; `nil` if `code` is not a
    /// well-formed code.
    public static func hash(_ code: String, using rng: inout some RandomNumberGenerator) -> String? {
        guard let normalised = normalise(code) else { return nil }
        return saltedHash(normalised: normalised, using: &rng)
    }

    private static func saltedHash(normalised: String, using rng: inout some RandomNumberGenerator) -> String {
        let salt = (0..<saltByteCount).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        return "\(hashScheme)$\(salt.hexString)$\(digest(salt: salt, code: normalised).hexString)"
    }

    /// Whether a typed `code` is the one `storedHash` was made from. The digests are compared in
    /// constant time; malformed input or a malformed hash simply doesn't match.
    public static func matches(_ code: String, hash storedHash: String) -> Bool {
        let parts = storedHash.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == hashScheme,
            let salt = bytes(hex: parts[1]), salt.count == saltByteCount,
            let expected = bytes(hex: parts[2]), expected.count == SHA256.Digest.byteCount,
            let normalised = normalise(code)
        else { return false }
        return constantTimeEquals(digest(salt: salt, code: normalised), expected)
    }

    private static func digest(salt: [UInt8], code: String) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: salt)
        hasher.update(data: Array(code.utf8))
        return Array(hasher.finalize())
    }

    private static func bytes(hex: Substring) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let high = nibble(digits[i]), let low = nibble(digits[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }
}
