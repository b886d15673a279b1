/// The flags byte of authenticator data (WebAuthn §6.1).
public struct AuthenticatorFlags: OptionSet, Sendable, Hashable {
    /// The flags byte.
    public let rawValue: UInt8

    /// Flags from the byte at offset 32 of authenticator data.
    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// UP: the user was present (touched, clicked).
    public static let userPresent = AuthenticatorFlags(rawValue: 0x01)
    /// UV: the user was verified (biometric, PIN).
    public static let userVerified = AuthenticatorFlags(rawValue: 0x04)
    /// BE: the credential may be backed up (a multi-device passkey).
    public static let backupEligible = AuthenticatorFlags(rawValue: 0x08)
    /// BS: the credential is currently backed up.
    public static let backedUp = AuthenticatorFlags(rawValue: 0x10)
    /// AT: attested credential data follows the counter.
    public static let attestedCredentialData = AuthenticatorFlags(rawValue: 0x40)
    /// ED: an extensions map ends the authenticator data.
    public static let extensionData = AuthenticatorFlags(rawValue: 0x80)
}
