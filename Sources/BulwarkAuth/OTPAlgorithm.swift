import Crypto

/// The HMAC hash function of a one-time-password generator (RFC 6238 §1.2).
public enum OTPAlgorithm: String, Sendable, CaseIterable {
    /// HMAC-SHA1, the RFC 4226 default and the only one every authenticator app supports.
    case sha1 = "SHA1"
    /// HMAC-SHA256.
    case sha256 = "SHA256"
    /// HMAC-SHA512.
    case sha512 = "SHA512"

    /// The name used in the `algorithm` parameter of an `otpauth://` URI.
    public var uriName: String { rawValue }

    /// HMAC of `message` under `key` with this algorithm.
    func hmac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        let key = SymmetricKey(data: key)
        switch self {
        case .sha1: return Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: key))
        case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
        case .sha512: return Array(HMAC<SHA512>.authenticationCode(for: message, using: key))
        }
    }
}
