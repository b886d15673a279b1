import BulwarkCBOR
import Crypto

extension RelyingParty {
    /// Verifies a registration (WebAuthn §7.1) and returns the credential to store.
    ///
    /// Checks: client data type `webauthn.create`, challenge (constant time), origin, RP ID hash, UP,
    /// UV (when required), BE/BS consistency, an allowed algorithm, rawId equal to the attested
    /// credential id, and the attestation statement (`none` with an empty statement, or `packed`
    /// self or x5c). Left to the caller: that the challenge was issued and is used once, that the
    /// credential id is not registered yet, and any trust policy on attestation certificates.
    public func verifyRegistration(
        _ response: RegistrationResponse,
        expectedChallenge: [UInt8],
        requireUserVerification: Bool = true
    ) throws(WebAuthnError) -> RegisteredCredential {
        _ = try checkClientData(response.clientDataJSON, type: "webauthn.create", expectedChallenge: expectedChallenge)
        let clientDataHash = Array(SHA256.hash(data: response.clientDataJSON))

        let attestation = try AttestationObject(bytes: response.attestationObject)
        let authData = attestation.authenticatorData
        guard let credential = authData.attestedCredentialData else {
            throw .malformed("the registration's authenticator data has no attested credential data")
        }
        try checkAuthenticatorData(authData, requireUserVerification: requireUserVerification)
        guard allowedAlgorithms.contains(credential.publicKey.algorithm) else {
            throw WebAuthnError(.unsupportedAlgorithm, "this registry does not accept \(credential.publicKey.algorithm) passkeys")
        }
        guard credential.credentialId == response.rawId else {
            throw WebAuthnError(.credentialMismatch, "the credential id does not match the authenticator data")
        }

        let type: AttestationType
        let certificates: [[UInt8]]
        switch attestation.format {
        case "none":
            guard attestation.statement.mapValue?.isEmpty == true else {
                throw WebAuthnError(.invalidAttestation, "a \"none\" attestation must have an empty statement")
            }
            (type, certificates) = (.none, [])
        case "packed":
            (type, certificates) = try PackedAttestation.verify(
                statement: attestation.statement, authenticatorData: authData, credential: credential,
                clientDataHash: clientDataHash)
        default:
            throw WebAuthnError(.unsupportedAttestation, "the attestation format is not supported")
        }

        return RegisteredCredential(
            id: credential.credentialId,
            publicKey: credential.publicKey.bytes,
            algorithm: credential.publicKey.algorithm,
            signCount: authData.signCount,
            backupEligible: authData.flags.contains(.backupEligible),
            backedUp: authData.flags.contains(.backedUp),
            userVerified: authData.flags.contains(.userVerified),
            aaguid: credential.aaguid,
            transports: response.transports,
            authenticatorAttachment: response.authenticatorAttachment,
            attestationFormat: attestation.format,
            attestationType: type,
            attestationCertificates: certificates)
    }

    /// Parses the posted registration JSON and verifies it; see ``verifyRegistration(_:expectedChallenge:requireUserVerification:)``.
    public func verifyRegistration(
        json: some Collection<UInt8>,
        expectedChallenge: [UInt8],
        requireUserVerification: Bool = true
    ) throws(WebAuthnError) -> RegisteredCredential {
        try verifyRegistration(
            RegistrationResponse(json: json), expectedChallenge: expectedChallenge,
            requireUserVerification: requireUserVerification)
    }
}
