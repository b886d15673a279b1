import Foundation

/// A TOTP authenticator of an account. The seed is stored sealed (``SecretBox`` in BulwarkAuth).
public struct TOTPEnrolment: Sendable, Equatable {
    public var account: String
    /// The seed, sealed with the server's secret key; never stored or logged in the clear.
    public var sealedSecret: [UInt8]
    /// Active only after one correct code was entered.
    public var confirmed: Bool
    /// The last accepted time step: codes at or below it are replays.
    public var lastUsedStep: Int64?
    public var createdAt: Date

    public init(account: String, sealedSecret: [UInt8], confirmed: Bool, lastUsedStep: Int64?, createdAt: Date) {
        self.account = account
        self.sealedSecret = sealedSecret
        self.confirmed = confirmed
        self.lastUsedStep = lastUsedStep
        self.createdAt = createdAt
    }
}

/// A registered passkey (WebAuthn credential).
public struct Passkey: Sendable, Equatable {
    /// base64url of the credential id.
    public var id: String
    public var account: String
    public var name: String
    /// The COSE public key as registered.
    public var publicKey: [UInt8]
    /// COSE algorithm identifier (-7, -8, -257).
    public var algorithm: Int
    public var signCount: UInt32
    public var backupEligible: Bool
    public var backedUp: Bool
    public var transports: [String]
    public var createdAt: Date
    public var lastUsedAt: Date?

    public init(
        id: String, account: String, name: String, publicKey: [UInt8], algorithm: Int, signCount: UInt32,
        backupEligible: Bool, backedUp: Bool, transports: [String], createdAt: Date, lastUsedAt: Date? = nil
    ) {
        self.id = id
        self.account = account
        self.name = name
        self.publicKey = publicKey
        self.algorithm = algorithm
        self.signCount = signCount
        self.backupEligible = backupEligible
        self.backedUp = backedUp
        self.transports = transports
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }
}

/// A hashed single-use recovery code.
public struct RecoveryCodeRecord: Sendable, Equatable {
    public var id: String
    public var account: String
    public var hash: String
    public var usedAt: Date?

    public init(id: String, account: String, hash: String, usedAt: Date? = nil) {
        self.id = id
        self.account = account
        self.hash = hash
        self.usedAt = usedAt
    }
}

/// Where a sign-in stands.
public enum SessionState: String, Sendable, Codable {
    /// Password accepted; a second factor is still needed.
    case secondFactorRequired = "second-factor-required"
    /// Password accepted, no second factor enrolled while the registry requires one: may only enrol.
    case enrolmentRequired = "enrolment-required"
    case authenticated
}

/// A server-side session. The cookie carries a random token; only its SHA-256 is stored.
public struct SessionRecord: Sendable, Equatable {
    /// SHA-256 (hex) of the cookie token.
    public var id: String
    public var account: String
    public var state: SessionState
    public var createdAt: Date
    public var lastSeenAt: Date
    /// When a second factor was last verified in this session (step-up window).
    public var secondFactorAt: Date?
    /// When a passkey was last verified in this session (packages that demand passkeys).
    public var passkeyAt: Date?

    public init(
        id: String, account: String, state: SessionState, createdAt: Date, lastSeenAt: Date, secondFactorAt: Date?, passkeyAt: Date? = nil
    ) {
        self.id = id
        self.account = account
        self.state = state
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.secondFactorAt = secondFactorAt
        self.passkeyAt = passkeyAt
    }
}

/// A WebAuthn challenge: single use, expiring.
public struct ChallengeRecord: Sendable, Equatable {
    public enum Purpose: String, Sendable { case registration, authentication }

    public var id: String
    public var purpose: Purpose
    public var bytes: [UInt8]
    /// The account it was issued to (nil for a username-less passkey sign-in).
    public var account: String?
    public var expiresAt: Date

    public init(id: String, purpose: Purpose, bytes: [UInt8], account: String?, expiresAt: Date) {
        self.id = id
        self.purpose = purpose
        self.bytes = bytes
        self.account = account
        self.expiresAt = expiresAt
    }
}

/// One line of an account's security log.
public struct SecurityEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case signInSucceeded = "sign-in-succeeded"
        case signInFailed = "sign-in-failed"
        case secondFactorFailed = "second-factor-failed"
        case factorAdded = "factor-added"
        case factorRemoved = "factor-removed"
        case recoveryCodeUsed = "recovery-code-used"
        case recoveryCodesRegenerated = "recovery-codes-regenerated"
        case tokenCreated = "token-created"
        case tokenRevoked = "token-revoked"
        case signedOut = "signed-out"
        case policyChanged = "policy-changed"
        case releaseApproved = "release-approved"
        case releaseRejected = "release-rejected"
        case maintainerInvited = "maintainer-invited"
        case invitationAccepted = "invitation-accepted"
        case invitationDeclined = "invitation-declined"
        case maintainerRemoved = "maintainer-removed"
        /// An owner invitation was accepted: the package has a new owner (the first step of a transfer).
        case ownershipTransferred = "ownership-transferred"
    }

    public var account: String
    public var kind: Kind
    /// A short description without secrets ("passkey 'YubiKey'", "method totp").
    public var detail: String
    public var ip: String?
    public var at: Date

    public init(account: String, kind: Kind, detail: String, ip: String?, at: Date) {
        self.account = account
        self.kind = kind
        self.detail = detail
        self.ip = ip
        self.at = at
    }
}
