import Foundation

/// What the browser posts after `navigator.credentials.create()`: the `PublicKeyCredential.toJSON()`
/// of a registration, with every binary field in base64url.
///
/// ```json
/// {"id": "…", "rawId": "…", "type": "public-key",
///  "response": {"clientDataJSON": "…", "attestationObject": "…", "transports": ["internal"]},
///  "clientExtensionResults": {}, "authenticatorAttachment": "platform"}
/// ```
public struct RegistrationResponse: Sendable {
    /// The credential id.
    public let rawId: [UInt8]
    /// The exact client data bytes that were hashed and signed.
    public let clientDataJSON: [UInt8]
    /// The CBOR attestation object (`fmt`, `attStmt`, `authData`).
    public let attestationObject: [UInt8]
    /// The transports the client reported (`internal`, `hybrid`, `usb`, …), kept as sent.
    public let transports: [String]
    /// `platform` or `cross-platform`, when the client said.
    public let authenticatorAttachment: String?

    private struct Wire: Decodable {
        struct Response: Decodable {
            var clientDataJSON: String
            var attestationObject: String
            var transports: [String]?
        }

        var id: String
        var rawId: String
        var type: String
        var response: Response
        var authenticatorAttachment: String?
    }

    /// Builds a response from already decoded parts.
    public init(
        rawId: [UInt8], clientDataJSON: [UInt8], attestationObject: [UInt8],
        transports: [String] = [], authenticatorAttachment: String? = nil
    ) {
        self.rawId = rawId
        self.clientDataJSON = clientDataJSON
        self.attestationObject = attestationObject
        self.transports = transports
        self.authenticatorAttachment = authenticatorAttachment
    }

    /// Parses the JSON the browser posted.
    public init(json: some Collection<UInt8>) throws(WebAuthnError) {
        let wire: Wire
        do { wire = try JSONDecoder().decode(Wire.self, from: Data(json)) } catch {
            throw .malformed("the registration is not a PublicKeyCredential JSON object")
        }
        guard wire.type == "public-key" else { throw .malformed("the credential type is not public-key") }
        guard let rawId = Base64URL.decode(wire.rawId), !rawId.isEmpty else {
            throw .malformed("rawId is not base64url")
        }
        guard Base64URL.decode(wire.id) == rawId else { throw .malformed("id and rawId differ") }
        guard let clientData = Base64URL.decode(wire.response.clientDataJSON) else {
            throw .malformed("clientDataJSON is not base64url")
        }
        guard let attestation = Base64URL.decode(wire.response.attestationObject) else {
            throw .malformed("attestationObject is not base64url")
        }
        let transports = wire.response.transports ?? []
        guard transports.count <= 16, transports.allSatisfy({ $0.utf8.count <= 32 }) else {
            throw .malformed("the transports list is too long")
        }
        self.init(
            rawId: rawId, clientDataJSON: clientData, attestationObject: attestation,
            transports: transports, authenticatorAttachment: wire.authenticatorAttachment)
    }
}
