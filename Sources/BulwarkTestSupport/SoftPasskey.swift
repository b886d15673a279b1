import BulwarkCBOR
import Crypto
import Foundation

/// A software passkey (ES256, user verification) that answers WebAuthn options the way a browser
/// with a platform authenticator does: it produces `PublicKeyCredential.toJSON()` objects. Used by
/// the server tests (in process) and the end-to-end tests (against `bulwark serve`); `origin` must
/// be the registry's `--base-url` origin, and the rpId is taken from the options the server sends.
/// Not thread-safe: one test drives one authenticator at a time.
public final class SoftPasskey: @unchecked Sendable {
    public let key = P256.Signing.PrivateKey()
    public let credentialId: [UInt8] = (0..<16).map { _ in UInt8.random(in: 0...255) }
    public var signCount: UInt32 = 0
    public let origin: String
    public var userHandle: String?

    public init(origin: String = "https://registry.test") { self.origin = origin }

    public static func b64url(_ bytes: some Sequence<UInt8>) -> String {
        Data(Array(bytes)).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    public func clientData(_ type: String, challenge: String, origin: String? = nil) -> [UInt8] {
        Array(#"{"type":"\#(type)","challenge":"\#(challenge)","origin":"\#(origin ?? self.origin)","crossOrigin":false}"#.utf8)
    }

    public func authenticatorData(rpId: String, flags: UInt8, attested: Bool) -> [UInt8] {
        var data = Array(SHA256.hash(data: Array(rpId.utf8)))
        data.append(flags)
        data += withUnsafeBytes(of: signCount.bigEndian) { Array($0) }
        if attested {
            data += [UInt8](repeating: 0, count: 16)  // AAGUID
            data += [UInt8(credentialId.count >> 8), UInt8(credentialId.count & 0xFF)]
            data += credentialId
            let raw = Array(key.publicKey.rawRepresentation)
            let cose = CBOR.map([
                .init(.unsigned(1), .unsigned(2)), .init(.unsigned(3), .negative(6)),
                .init(.negative(0), .unsigned(1)), .init(.negative(1), .bytes(Array(raw[0..<32]))),
                .init(.negative(2), .bytes(Array(raw[32..<64]))),
            ])
            data += cose.encoded()
        }
        return data
    }

    /// Answers creation options (`{"challenge", "rp":{"id"}, "user":{"id"}}`).
    public func register(options: [String: Any], userVerified: Bool = true) -> [String: Any] {
        let challenge = options["challenge"] as! String
        let rpId = (options["rp"] as! [String: Any])["id"] as! String
        userHandle = (options["user"] as? [String: Any])?["id"] as? String
        let authData = authenticatorData(rpId: rpId, flags: 0x41 | (userVerified ? 0x04 : 0), attested: true)
        let attestation = CBOR.map([
            .init(.text("fmt"), .text("none")), .init(.text("attStmt"), .map([])), .init(.text("authData"), .bytes(authData)),
        ]).encoded()
        return [
            "id": Self.b64url(credentialId), "rawId": Self.b64url(credentialId), "type": "public-key",
            "response": [
                "clientDataJSON": Self.b64url(clientData("webauthn.create", challenge: challenge)),
                "attestationObject": Self.b64url(attestation), "transports": ["internal"],
            ],
            "clientExtensionResults": [String: Any](), "authenticatorAttachment": "platform",
        ]
    }

    /// Answers request options (`{"challenge", "rpId"}`).
    public func assert(options: [String: Any], origin: String? = nil, userVerified: Bool = true, counter: UInt32? = nil) throws -> [String: Any] {
        let challenge = options["challenge"] as! String
        let rpId = options["rpId"] as! String
        signCount = counter ?? (signCount + 1)
        let authData = authenticatorData(rpId: rpId, flags: 0x01 | (userVerified ? 0x04 : 0), attested: false)
        let client = clientData("webauthn.get", challenge: challenge, origin: origin)
        let signature = try key.signature(for: authData + Array(SHA256.hash(data: client))).derRepresentation
        var response: [String: Any] = [
            "clientDataJSON": Self.b64url(client), "authenticatorData": Self.b64url(authData), "signature": Self.b64url(signature),
        ]
        if let userHandle { response["userHandle"] = userHandle }
        return [
            "id": Self.b64url(credentialId), "rawId": Self.b64url(credentialId), "type": "public-key", "response": response,
            "clientExtensionResults": [String: Any](), "authenticatorAttachment": "platform",
        ]
    }
}
