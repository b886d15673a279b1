/// The outcome of an accepted assertion: what the server should update.
public struct VerifiedAuthentication: Sendable, Hashable {
    /// The credential that signed.
    public let credentialId: [UInt8]
    /// The new signature counter: store it as the credential's ``StoredCredential/signCount``.
    public let signCount: UInt32
    /// Whether the user was verified.
    public let userVerified: Bool
    /// BE, as the authenticator reported it.
    public let backupEligible: Bool
    /// BS, which may change over a credential's life: store it.
    public let backedUp: Bool
    /// The user handle the authenticator returned, if any: for a discoverable sign-in it names the
    /// account (check it owns ``credentialId``).
    public let userHandle: [UInt8]?
    /// `platform` or `cross-platform`, when the client said.
    public let authenticatorAttachment: String?
}
