import Crypto

/// This server as a WebAuthn relying party: its RP ID, the origins its pages are served from, and the
/// algorithms it accepts. Every ceremony check is a pure function of its inputs; challenges are made
/// (randomly) and remembered (single use) by the caller.
public struct RelyingParty: Sendable {
    /// The RP ID: a registrable domain suffix of the origins' hosts, such as `registry.example.com`.
    public let id: String
    /// The name shown by authenticators.
    public let name: String
    /// The exact origins (`scheme://host[:port]`) the ceremonies may run on.
    public let origins: Set<String>
    /// The accepted credential algorithms, in order of preference; also the `pubKeyCredParams` offered.
    public let allowedAlgorithms: [COSEAlgorithm]
    /// Top-level origins allowed to embed the ceremony in a cross-origin iframe. Empty (the default)
    /// refuses every cross-origin ceremony.
    public let allowedTopOrigins: Set<String>

    /// A relying party with RP ID `id`, shown as `name`, serving the ceremonies from `origins`.
    public init(
        id: String, name: String, origins: Set<String>,
        allowedAlgorithms: [COSEAlgorithm] = [.es256, .edDSA, .rs256],
        allowedTopOrigins: Set<String> = []
    ) {
        self.id = id
        self.name = name
        self.origins = origins
        self.allowedAlgorithms = allowedAlgorithms
        self.allowedTopOrigins = allowedTopOrigins
    }

    /// SHA-256 of the RP ID, which authenticator data must start with.
    var idHash: [UInt8] { Array(SHA256.hash(data: Array(id.utf8))) }

    /// Parses clientDataJSON and checks its type, challenge and origin (§7.1 steps 5-10, §7.2 steps 8-13).
    func checkClientData(_ json: [UInt8], type: String, expectedChallenge: [UInt8]) throws(WebAuthnError) -> CollectedClientData {
        let clientData = try CollectedClientData(json: json)
        guard clientData.type == type else {
            throw WebAuthnError(.wrongType, "the passkey response is for another kind of ceremony (\(type) expected)")
        }
        guard !expectedChallenge.isEmpty, constantTimeEquals(clientData.challenge, expectedChallenge) else {
            throw WebAuthnError(.challengeMismatch, "the passkey response does not answer this challenge; start again")
        }
        guard origins.contains(clientData.origin) else {
            throw WebAuthnError(.wrongOrigin, "the passkey was used on a page of another origin")
        }
        if clientData.crossOrigin, allowedTopOrigins.isEmpty {
            throw WebAuthnError(.wrongOrigin, "the passkey was used from a cross-origin frame")
        }
        if let top = clientData.topOrigin, !allowedTopOrigins.contains(top) {
            throw WebAuthnError(.wrongOrigin, "the passkey was used from a frame inside another site")
        }
        return clientData
    }

    /// Checks the RP ID hash and the UP, UV, BE and BS flags shared by both ceremonies.
    func checkAuthenticatorData(_ authData: AuthenticatorData, requireUserVerification: Bool) throws(WebAuthnError) {
        guard constantTimeEquals(authData.rpIdHash, idHash) else {
            throw WebAuthnError(.wrongRpId, "the passkey belongs to another site (RP ID mismatch)")
        }
        guard authData.flags.contains(.userPresent) else {
            throw WebAuthnError(.userNotPresent, "the authenticator did not confirm user presence")
        }
        if requireUserVerification, !authData.flags.contains(.userVerified) {
            throw WebAuthnError(.userNotVerified, "the authenticator did not verify the user (PIN or biometric required)")
        }
        if authData.flags.contains(.backedUp), !authData.flags.contains(.backupEligible) {
            throw WebAuthnError(.invalidBackupState, "the authenticator reports a backed-up credential that can't be backed up")
        }
    }
}
