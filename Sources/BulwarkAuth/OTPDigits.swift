/// The length of a one-time password: 6 digits (what apps expect by default) or 8.
public enum OTPDigits: Int, Sendable, CaseIterable {
    /// Six digits, the default.
    case six = 6
    /// Eight digits.
    case eight = 8

    /// 10^digits: the modulus applied to the truncated HMAC.
    var modulus: UInt32 {
        switch self {
        case .six: 1_000_000
        case .eight: 100_000_000
        }
    }
}
