/// What kind of attestation a registration carried (WebAuthn §6.5.3).
public enum AttestationType: String, Sendable, Hashable, Codable {
    /// No attestation (`fmt` "none"): nothing is known about the authenticator model.
    case none
    /// Self attestation: the credential key signed its own creation; proves nothing about the model.
    case selfAttestation = "self"
    /// An attestation certificate chain (`x5c`): Basic or AttCA. Whether the chain's root is
    /// trusted is the relying party's policy; the chain is in ``RegisteredCredential/attestationCertificates``.
    case certificate
}
