import Foundation

/// Checks a submitted TOTP code, tolerating clock drift and refusing replays.
///
/// A code is accepted if it equals the code of a step within ``window`` steps of the current one
/// **and** that step is later than the last step this account already used. The caller stores the
/// returned step and passes it back next time; that makes every code single-use and stops an
/// attacker who watched a code from using it again, or from using an older one that is still inside
/// the window.
///
/// Codes are compared in constant time, and every step of the window is computed and compared
/// whatever the outcome, so timing reveals neither which step matched nor how many digits did.
public struct TOTPVerifier: Sendable {
    /// The generator holding the secret.
    public let totp: TOTP
    /// How many steps before and after the current one are accepted (1 = ±30 s with the default
    /// period, as RFC 6238 §5.2 recommends).
    public let window: Int

    /// The outcome of a check.
    public enum Outcome: Equatable, Sendable {
        /// The code matched this step, which is later than the last accepted one: store it.
        case accepted(step: UInt64)
        /// After removing spaces, the input is not exactly `digits` ASCII digits.
        case malformed
        /// The code matches no step in the window.
        case invalid
        /// The code matches a step in the window that is not later than the last accepted step.
        case replayed
    }

    /// A verifier; `window` must not be negative.
    public init(totp: TOTP, window: Int = 1) {
        precondition(window >= 0, "TOTP window must not be negative")
        self.totp = totp
        self.window = window
    }

    /// Checks `code` at `date`. `lastAcceptedStep` is the step returned by the previous successful
    /// check for this secret, or `nil` if there was none.
    public func check(_ code: String, at date: Date, lastAcceptedStep: UInt64?) -> Outcome {
        guard let submitted = normalise(code) else { return .malformed }
        let current = totp.step(at: date)
        let lowest = current >= UInt64(window) ? current - UInt64(window) : 0
        let (highest, overflow) = current.addingReportingOverflow(UInt64(window))
        let top = overflow ? UInt64.max : highest

        var accepted: UInt64? = nil
        var replayed = false
        var step = lowest
        while true {
            let matches = constantTimeEquals(Array(totp.code(forStep: step).utf8), submitted)
            if matches {
                if let last = lastAcceptedStep, step <= last {
                    replayed = true
                } else if accepted == nil {
                    accepted = step
                }
            }
            if step == top { break }
            step += 1
        }
        if let accepted { return .accepted(step: accepted) }
        return replayed ? .replayed : .invalid
    }

    /// The matched step if `code` is accepted at `date`, `nil` otherwise (see ``check(_:at:lastAcceptedStep:)``).
    public func verify(_ code: String, at date: Date, lastAcceptedStep: UInt64?) -> UInt64? {
        if case .accepted(let step) = check(code, at: date, lastAcceptedStep: lastAcceptedStep) { return step }
        return nil
    }

    /// The input without spaces (and other whitespace people paste), if what is left is exactly
    /// `digits` ASCII digits.
    func normalise(_ code: String) -> [UInt8]? {
        let kept = code.unicodeScalars.filter { !$0.properties.isWhitespace }
        let bytes = Array(String(String.UnicodeScalarView(kept)).utf8)
        guard bytes.count == totp.digits.rawValue,
            bytes.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        return bytes
    }
}
