/// Base32 as defined by RFC 4648 §6, the encoding authenticator apps use for TOTP secrets.
///
/// Encoding uses the uppercase alphabet `A–Z2–7` and omits the `=` padding (as the Key URI Format
/// for `otpauth://` asks). Decoding is lenient about presentation but strict about content: it is
/// case-insensitive, ignores spaces (people type secrets in groups) and accepts optional trailing
/// `=` padding, but rejects any other character, padding in the middle, and lengths no encoder can
/// produce.
public enum Base32 {
    /// The RFC 4648 Base32 alphabet.
    public static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// Why a string is not valid Base32. Cases carry positions, never the input itself, because the
    /// input is usually a secret.
    public enum DecodingError: Error, Equatable, Sendable {
        /// The character at this UTF-8 offset is not in the alphabet, a space or padding.
        case invalidCharacter(offset: Int)
        /// A non-padding character follows `=` padding.
        case misplacedPadding(offset: Int)
        /// The number of characters (ignoring spaces and padding) leaves 1, 3 or 6 characters in the
        /// last group, or the padding does not complete the last group to 8 characters.
        case invalidLength
    }

    /// Encodes bytes as uppercase Base32 without padding.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(alphabet[Int((buffer >> UInt32(bits)) & 0x1F)])
            }
            buffer &= (1 << UInt32(bits)) - 1
        }
        if bits > 0 {
            out.append(alphabet[Int((buffer << UInt32(5 - bits)) & 0x1F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes Base32 text, case-insensitively, ignoring spaces and optional trailing `=` padding.
    public static func decode(_ string: String) throws(DecodingError) -> [UInt8] {
        var values: [UInt8] = []
        values.reserveCapacity(string.utf8.count)
        var padding = 0
        for (offset, char) in string.utf8.enumerated() {
            if char == UInt8(ascii: " ") { continue }
            if char == UInt8(ascii: "=") {
                padding += 1
                continue
            }
            guard let value = value(of: char) else { throw .invalidCharacter(offset: offset) }
            guard padding == 0 else { throw .misplacedPadding(offset: offset) }
            values.append(value)
        }
        // A last group of 1, 3 or 6 characters carries fewer than 8 significant bits of a new byte.
        guard ![1, 3, 6].contains(values.count % 8) else { throw .invalidLength }
        if padding > 0, (values.count + padding) % 8 != 0 || padding >= 8 { throw .invalidLength }

        var out: [UInt8] = []
        out.reserveCapacity(values.count * 5 / 8)
        var buffer: UInt32 = 0
        var bits = 0
        for value in values {
            buffer = (buffer << 5) | UInt32(value)
            bits += 5
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
                buffer &= (1 << UInt32(bits)) - 1
            }
        }
        return out
    }

    private static func value(of char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): char - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): char - UInt8(ascii: "a")
        case UInt8(ascii: "2")...UInt8(ascii: "7"): char - UInt8(ascii: "2") + 26
        default: nil
        }
    }
}
