import BulwarkCBOR

/// The CBOR attestation object of a registration (WebAuthn §6.5.4): format, statement and
/// authenticator data.
public struct AttestationObject: Sendable {
    /// The attestation statement format identifier, such as `none` or `packed`.
    public let format: String
    /// The attestation statement, a CBOR map whose syntax depends on `format`.
    public let statement: CBOR
    /// The parsed authenticator data.
    public let authenticatorData: AuthenticatorData

    /// Parses an attestation object; its authenticator data must carry attested credential data.
    public init(bytes: some Collection<UInt8>) throws(WebAuthnError) {
        let item: CBOR
        do { item = try CBOR.decode(bytes) } catch {
            throw .malformed("the attestation object is not valid CBOR (\(error))")
        }
        guard item.mapValue != nil else { throw .malformed("the attestation object is not a CBOR map") }
        guard let format = item["fmt"]?.textValue else { throw .malformed("the attestation object has no fmt") }
        guard let statement = item["attStmt"], statement.mapValue != nil else {
            throw .malformed("the attestation object has no attStmt map")
        }
        guard let authData = item["authData"]?.bytesValue else {
            throw .malformed("the attestation object has no authData")
        }
        self.format = format
        self.statement = statement
        authenticatorData = try AuthenticatorData(bytes: authData)
        guard authenticatorData.attestedCredentialData != nil else {
            throw .malformed("the registration's authenticator data has no attested credential data")
        }
    }
}
