import Foundation

/// What the browser posts after `navigator.credentials.get()`: the `PublicKeyCredential.toJSON()`
/// of an assertion, with every binary field in base64url.
///
/// ```json
/// {"id": "…", "rawId": "…", "type": "public-key",
///  "response": {"clientDataJSON": "…", "authenticatorData": "…", "signature": "…", "userHandle": "…"},
///  "clientExtensionResults": {}, "authenticatorAttachment": "platform"}
/// ```
public struct AuthenticationResponse: Sendable {
    /// The id of the credential that signed: look the stored credential up by it.
    public let rawId: [UInt8]
    /// The exact client data bytes that were hashed and signed.
    public let clientDataJSON: [UInt8]
    /// The authenticator data that was signed.
    public let authenticatorData: [UInt8]
    /// The assertion signature.
    public let signature: [UInt8]
    /// The user handle (the `user.id` given at registration); discoverable credentials always return it.
    /// `nil` when absent, null or empty.
    public let userHandle: [UInt8]?
    /// `platform` or `cross-platform`, when the client said.
    public let authenticatorAttachment: String?

    private struct Wire: Decodable {
        struct Response: Decodable {
            var clientDataJSON: String
            var authenticatorData: String
            var signature: String
            var userHandle: String?
        }

        var id: String
        var rawId: String
        var type: String
        var response: Response
        var authenticatorAttachment: String?
    }

    /// Builds a response from already decoded parts.
    public init(
        rawId: [UInt8], clientDataJSON: [UInt8], authenticatorData: [UInt8], signature: [UInt8],
        userHandle: [UInt8]? = nil, authenticatorAttachment: String? = nil
    ) {
        self.rawId = rawId
        self.clientDataJSON = clientDataJSON
        self.authenticatorData = authenticatorData
        self.signature = signature
        self.userHandle = userHandle.flatMap { $0.isEmpty ? nil : $0 }
        self.authenticatorAttachment = authenticatorAttachment
    }

    /// Parses the JSON the browser posted.
    public init(json: some Collection<UInt8>) throws(WebAuthnError) {
        let wire: Wire
        do { wire = try JSONDecoder().decode(Wire.self, from: Data(json)) } catch {
            throw .malformed("the assertion is not a PublicKeyCredential JSON object")
        }
        guard wire.type == "public-key" else { throw .malformed("the credential type is not public-key") }
        guard let rawId = Base64URL.decode(wire.rawId), !rawId.isEmpty else {
            throw .malformed("rawId is not base64url")
        }
        guard Base64URL.decode(wire.id) == rawId else { throw .malformed("id and rawId differ") }
        guard let clientData = Base64URL.decode(wire.response.clientDataJSON) else {
            throw .malformed("clientDataJSON is not base64url")
        }
        guard let authData = Base64URL.decode(wire.response.authenticatorData) else {
            throw .malformed("authenticatorData is not base64url")
        }
        guard let signature = Base64URL.decode(wire.response.signature) else {
            throw .malformed("signature is not base64url")
        }
        var userHandle: [UInt8]?
        if let text = wire.response.userHandle {
            guard let decoded = Base64URL.decode(text) else { throw .malformed("userHandle is not base64url") }
            userHandle = decoded
        }
        self.init(
            rawId: rawId, clientDataJSON: clientData, authenticatorData: authData, signature: signature,
            userHandle: userHandle, authenticatorAttachment: wire.authenticatorAttachment)
    }
}
