import Foundation

/// `PublicKeyCredentialRequestOptionsJSON`: what the page passes to
/// `PublicKeyCredential.parseRequestOptionsFromJSON()` before `navigator.credentials.get()`.
/// Built by ``RelyingParty/requestOptions(challenge:allowCredentials:timeoutMilliseconds:)``.
public struct CredentialRequestOptions: Sendable, Encodable {
    /// base64url.
    public let challenge: String
    /// The RP ID.
    public let rpId: String
    /// Empty for a discoverable ("username-less") sign-in.
    public let allowCredentials: [CredentialDescriptor]
    /// Always `required`.
    public let userVerification: String
    /// Milliseconds, a hint.
    public let timeout: Int?

    /// The options as JSON (sorted keys).
    public func jsonData() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every member is a string, number or array of those: encoding cannot fail.
        return (try? encoder.encode(self)) ?? Data("{}".utf8)
    }
}

extension RelyingParty {
    /// Options for signing in with user verification required.
    ///
    /// - Parameters:
    ///   - challenge: fresh random bytes (at least 16), remembered by the caller for verification.
    ///   - allowCredentials: the account's passkeys when the user is known; empty (default) lets the
    ///     authenticator offer any discoverable passkey for this RP ID.
    ///   - timeoutMilliseconds: a hint for the client, or `nil`.
    public func requestOptions(
        challenge: [UInt8], allowCredentials: [CredentialDescriptor] = [], timeoutMilliseconds: Int? = 300_000
    ) -> CredentialRequestOptions {
        CredentialRequestOptions(
            challenge: Base64URL.encode(challenge), rpId: id, allowCredentials: allowCredentials,
            userVerification: "required", timeout: timeoutMilliseconds)
    }
}
