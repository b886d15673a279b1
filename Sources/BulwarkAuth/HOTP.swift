/// HMAC-based one-time passwords (RFC 4226), the building block of TOTP.
public enum HOTP {
    /// The one-time password for `counter`: HMAC of the big-endian 8-byte counter, dynamic
    /// truncation (RFC 4226 §5.3), then the low `digits` decimal digits, left-padded with zeros.
    public static func code(
        secret: [UInt8],
        counter: UInt64,
        algorithm: OTPAlgorithm = .sha1,
        digits: OTPDigits = .six
    ) -> String {
        var message = [UInt8](repeating: 0, count: 8)
        for i in 0..<8 { message[i] = UInt8(truncatingIfNeeded: counter >> UInt64(56 - 8 * i)) }
        let mac = algorithm.hmac(key: secret, message: message)
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let binary =
            (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16)
            | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        let value = String(binary % digits.modulus)
        return String(repeating: "0", count: digits.rawValue - value.count) + value
    }
}
