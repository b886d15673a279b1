import BulwarkAuth
import BulwarkCore
import Foundation

/// Settings of sign-in and second factors. Every limit is configuration.
public struct AccountSecurityConfiguration: Sendable {
    /// `auth.require2FA`: an account without a second factor may only sign in to enrol one.
    public var require2FA = true
    /// Whether anyone may create an account (`POST /api/v1/accounts`).
    public var allowSignUp = true
    /// Seals TOTP seeds at rest.
    public var secretBox: SecretBox
    /// `auth.stepUpWindow`: how recent a second factor must be for a sensitive action.
    public var stepUpWindow: TimeInterval = 600
    public var sessionIdleTimeout: TimeInterval = 30 * 60
    public var sessionAbsoluteTimeout: TimeInterval = 12 * 3600
    /// Sessions an account may hold at once: a new sign-in beyond it ends the least recently used
    /// session (so a forgotten browser can't keep a slot forever). 0 turns the limit off.
    public var maxSessionsPerAccount = 10
    /// Failures allowed per account and factor (and per IP) within `failureWindow` before locking.
    public var maxFailures = 5
    public var failureWindow: TimeInterval = 15 * 60
    /// bcrypt cost for new passwords.
    public var passwordCost: UInt8 = 12
    public var minimumPasswordLength = 12
    /// Name shown in authenticator apps and passkey prompts.
    public var issuer = "Bulwark"
    /// How long a staged release (`publishing: approval`) waits for a decision before it expires.
    public var stagedReleaseLifetime: TimeInterval = 7 * 86_400
    /// How long an expired staged release is kept (its status URL answering `410`) before
    /// housekeeping removes it (then `404`).
    public var expiredStagedRetention: TimeInterval = 7 * 86_400
    /// API tokens always expire: after this many days unless the request asks for fewer…
    public var defaultTokenDays = 90
    /// …and never later than this (`serve --max-token-days`).
    public var maxTokenDays = 366
    /// How long an invitation to maintain a package can be accepted.
    public var invitationLifetime: TimeInterval = 7 * 86_400
    /// The registry-wide floor (`policy.minimumSecondFactor`, `policy.publishing`): every package's
    /// effective policy is the stricter of its own and this.
    public var minimumPolicy = PackagePolicy.default

    public init(secretBox: SecretBox) {
        self.secretBox = secretBox
    }
}
