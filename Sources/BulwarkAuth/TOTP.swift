import Foundation

/// A time-based one-time-password generator (RFC 6238): HOTP over the number of `period`-second
/// steps since the Unix epoch.
///
/// The value holds the shared secret; its `description` and `debugDescription` leave it out so
/// it can't end up in a log by accident.
public struct TOTP: Sendable {
    /// The length of a freshly generated secret: 160 bits, as RFC 4226 §4 recommends.
    public static let secretLength = 20

    /// The shared secret (raw bytes, not Base32).
    public let secret: [UInt8]
    /// The HMAC hash function.
    public let algorithm: OTPAlgorithm
    /// The number of digits of a code.
    public let digits: OTPDigits
    /// The length of a time step in seconds.
    public let period: Int

    /// A generator. `period` must be positive (it is a configuration constant, so a zero or
    /// negative value is a programming error and traps).
    public init(secret: [UInt8], algorithm: OTPAlgorithm = .sha1, digits: OTPDigits = .six, period: Int = 30) {
        precondition(period > 0, "TOTP period must be positive")
        self.secret = secret
        self.algorithm = algorithm
        self.digits = digits
        self.period = period
    }

    /// A new random secret of ``secretLength`` bytes drawn from `rng` (pass a
    /// `SystemRandomNumberGenerator` in production).
    public static func generateSecret(using rng: inout some RandomNumberGenerator) -> [UInt8] {
        (0..<secretLength).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
    }

    /// The time step containing `date`: ⌊unix time / period⌋. Dates before the epoch map to step 0.
    public func step(at date: Date) -> UInt64 {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        guard seconds >= 0 else { return 0 }  // also NaN
        // Far-future dates saturate instead of trapping in the conversion.
        let whole = seconds < 9.0e18 ? UInt64(seconds) : UInt64(9.0e18)
        return whole / UInt64(period)
    }

    /// The code for an explicit time step.
    public func code(forStep step: UInt64) -> String {
        HOTP.code(secret: secret, counter: step, algorithm: algorithm, digits: digits)
    }

    /// The code valid at `date`.
    public func code(at date: Date) -> String {
        code(forStep: step(at: date))
    }
}

extension TOTP: CustomStringConvertible, CustomDebugStringConvertible {
    /// A summary without the secret.
    public var description: String { "TOTP(\(algorithm.uriName), \(digits.rawValue) digits, \(period) s)" }
    /// A summary without the secret.
    public var debugDescription: String { description }
}
