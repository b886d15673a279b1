/// A passkey that passed registration: everything the server should store about it.
public struct RegisteredCredential: Sendable, Hashable {
    /// The credential id (the lookup key for later assertions; also what excludeCredentials lists).
    public let id: [UInt8]
    /// The COSE_Key bytes of the public key: store these and pass them back in ``StoredCredential``.
    public let publicKey: [UInt8]
    /// The credential's signature algorithm.
    public let algorithm: COSEAlgorithm
    /// The counter at registration (often 0).
    public let signCount: UInt32
    /// BE: a multi-device (syncable) passkey. Fixed for the credential's life.
    public let backupEligible: Bool
    /// BS: backed up at registration time.
    public let backedUp: Bool
    /// Whether the user was verified during registration.
    public let userVerified: Bool
    /// The authenticator model's AAGUID (16 bytes, all zero when hidden).
    public let aaguid: [UInt8]
    /// The transports the client reported, kept as sent; echo them in excludeCredentials/allowCredentials.
    public let transports: [String]
    /// `platform` or `cross-platform`, when the client said.
    public let authenticatorAttachment: String?
    /// The attestation statement format (`none` or `packed`).
    public let attestationFormat: String
    /// What the attestation proves.
    public let attestationType: AttestationType
    /// For ``AttestationType/certificate``: the DER certificates of x5c, leaf first, for the server to
    /// match against trusted attestation roots if its policy requires.
    public let attestationCertificates: [[UInt8]]

    /// The record to pass to ``RelyingParty/verifyAuthentication(_:expectedChallenge:credential:requireUserVerification:)``.
    public var stored: StoredCredential {
        StoredCredential(id: id, publicKey: publicKey, algorithm: algorithm, signCount: signCount, backupEligible: backupEligible)
    }
}
