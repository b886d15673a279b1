import Foundation

/// The client data the browser collected and the authenticator's signature covers through its hash
/// (WebAuthn §5.8.1). Parsed as JSON, as the specification asks, never compared as bytes.
public struct CollectedClientData: Sendable, Equatable {
    /// `webauthn.create` for registration, `webauthn.get` for authentication.
    public let type: String
    /// The challenge, decoded from base64url.
    public let challenge: [UInt8]
    /// The origin of the page that called the API, such as `https://registry.example.com`.
    public let origin: String
    /// Whether the call came from an iframe not same-origin with its ancestors.
    public let crossOrigin: Bool
    /// The top-level origin for a cross-origin call, when the browser reports it.
    public let topOrigin: String?

    private struct Wire: Decodable {
        var type: String
        var challenge: String
        var origin: String
        var crossOrigin: Bool?
        var topOrigin: String?
    }

    /// Parses clientDataJSON (the bytes the client signed over, already base64url-decoded).
    public init(json: some Collection<UInt8>) throws(WebAuthnError) {
        let wire: Wire
        do { wire = try JSONDecoder().decode(Wire.self, from: Data(json)) } catch {
            throw .malformed("clientDataJSON is not the expected JSON object")
        }
        guard let challenge = Base64URL.decode(wire.challenge) else {
            throw .malformed("the client data challenge is not base64url")
        }
        type = wire.type
        self.challenge = challenge
        origin = wire.origin
        crossOrigin = wire.crossOrigin ?? false
        topOrigin = wire.topOrigin
    }
}
