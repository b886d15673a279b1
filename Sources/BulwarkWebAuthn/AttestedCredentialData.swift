/// The part of registration authenticator data that introduces the new credential (WebAuthn §6.5.1).
public struct AttestedCredentialData: Sendable {
    /// The authenticator model's AAGUID (16 bytes; all zero when the client hides it).
    public let aaguid: [UInt8]
    /// The credential id (at most 1,023 bytes).
    public let credentialId: [UInt8]
    /// The credential public key; its `bytes` are what to store.
    public let publicKey: COSEKey
}
