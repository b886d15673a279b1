import Crypto

extension RelyingParty {
    /// Verifies an assertion (WebAuthn §7.2) against the stored credential whose id is `response.rawId`.
    ///
    /// Checks: rawId and user handle against the record, client data type `webauthn.get`, challenge
    /// (constant time), origin, RP ID hash, UP, UV (when required), BE/BS consistency and BE unchanged,
    /// the signature over authenticatorData ‖ SHA-256(clientDataJSON), and the counter: when either the
    /// stored or the new count is non-zero, the new one must be greater, or the error is
    /// ``WebAuthnError/Reason/counterRegression`` (the authenticator may be cloned).
    /// On success, store the returned ``VerifiedAuthentication/signCount`` and ``VerifiedAuthentication/backedUp``.
    public func verifyAuthentication(
        _ response: AuthenticationResponse,
        expectedChallenge: [UInt8],
        credential: StoredCredential,
        requireUserVerification: Bool = true
    ) throws(WebAuthnError) -> VerifiedAuthentication {
        guard response.rawId == credential.id else {
            throw WebAuthnError(.credentialMismatch, "the passkey is not the expected credential")
        }
        if let expected = credential.userHandle, let given = response.userHandle, expected != given {
            throw WebAuthnError(.credentialMismatch, "the passkey belongs to another account")
        }
        let key = try COSEKey(bytes: credential.publicKey)
        guard key.algorithm == credential.algorithm, allowedAlgorithms.contains(key.algorithm) else {
            throw WebAuthnError(.unsupportedAlgorithm, "this registry does not accept \(key.algorithm) passkeys")
        }

        _ = try checkClientData(response.clientDataJSON, type: "webauthn.get", expectedChallenge: expectedChallenge)
        let authData = try AuthenticatorData(bytes: response.authenticatorData)
        try checkAuthenticatorData(authData, requireUserVerification: requireUserVerification)
        if let eligible = credential.backupEligible, eligible != authData.flags.contains(.backupEligible) {
            throw WebAuthnError(.invalidBackupState, "the passkey's backup eligibility changed since it was registered")
        }

        let clientDataHash = Array(SHA256.hash(data: response.clientDataJSON))
        try key.verify(signature: response.signature, data: response.authenticatorData + clientDataHash)

        if authData.signCount != 0 || credential.signCount != 0, authData.signCount <= credential.signCount {
            throw WebAuthnError(.counterRegression, "the passkey's signature counter went backwards: the authenticator may have been cloned")
        }

        return VerifiedAuthentication(
            credentialId: credential.id,
            signCount: authData.signCount,
            userVerified: authData.flags.contains(.userVerified),
            backupEligible: authData.flags.contains(.backupEligible),
            backedUp: authData.flags.contains(.backedUp),
            userHandle: response.userHandle,
            authenticatorAttachment: response.authenticatorAttachment)
    }

    /// Parses the posted assertion JSON and verifies it; see ``verifyAuthentication(_:expectedChallenge:credential:requireUserVerification:)``.
    public func verifyAuthentication(
        json: some Collection<UInt8>,
        expectedChallenge: [UInt8],
        credential: StoredCredential,
        requireUserVerification: Bool = true
    ) throws(WebAuthnError) -> VerifiedAuthentication {
        try verifyAuthentication(
            AuthenticationResponse(json: json), expectedChallenge: expectedChallenge, credential: credential,
            requireUserVerification: requireUserVerification)
    }
}
