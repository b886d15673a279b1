import Foundation

/// `PublicKeyCredentialCreationOptionsJSON`: what the page passes to
/// `PublicKeyCredential.parseCreationOptionsFromJSON()` before `navigator.credentials.create()`.
/// Built by ``RelyingParty/creationOptions(userId:userName:displayName:challenge:excludeCredentials:attestation:timeoutMilliseconds:)``.
public struct CredentialCreationOptions: Sendable, Encodable {
    /// `PublicKeyCredentialRpEntity`.
    public struct RelyingPartyEntity: Sendable, Encodable {
        /// The RP ID.
        public let id: String
        /// The name authenticators show.
        public let name: String
    }

    /// `PublicKeyCredentialUserEntityJSON`; `id` is base64url.
    public struct UserEntity: Sendable, Encodable {
        /// The user handle, base64url.
        public let id: String
        /// The account's login name.
        public let name: String
        /// The account's display name.
        public let displayName: String
    }

    /// `PublicKeyCredentialParameters`.
    public struct Parameters: Sendable, Encodable {
        /// Always `public-key`.
        public let type: String
        /// The COSE algorithm identifier.
        public let alg: Int
    }

    /// `AuthenticatorSelectionCriteria`.
    public struct AuthenticatorSelection: Sendable, Encodable {
        /// Always `required`: passkeys are discoverable credentials.
        public let residentKey: String
        /// Always `true` (the Level 1 spelling of `residentKey`).
        public let requireResidentKey: Bool
        /// Always `required`.
        public let userVerification: String
    }

    /// How much attestation the relying party asks for.
    public enum Attestation: String, Sendable, Encodable {
        /// Don't care (the usual choice for passkeys): clients may replace it with `none`.
        case none
        /// Ask for the authenticator's attestation statement as generated.
        case direct
    }

    /// The relying party.
    public let rp: RelyingPartyEntity
    /// The account the passkey is for.
    public let user: UserEntity
    /// base64url.
    public let challenge: String
    /// The accepted algorithms, in order of preference.
    public let pubKeyCredParams: [Parameters]
    /// Milliseconds, a hint.
    public let timeout: Int?
    /// The account's existing passkeys.
    public let excludeCredentials: [CredentialDescriptor]
    /// Discoverable credential with user verification.
    public let authenticatorSelection: AuthenticatorSelection
    /// The attestation conveyance preference.
    public let attestation: Attestation

    /// The options as JSON (sorted keys).
    public func jsonData() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every member is a string, number, bool, array or struct of those: encoding cannot fail.
        return (try? encoder.encode(self)) ?? Data("{}".utf8)
    }
}

extension RelyingParty {
    /// Options for registering a discoverable passkey with user verification required.
    ///
    /// - Parameters:
    ///   - userId: the account's user handle: 1 to 64 random bytes, not personal data; the same for
    ///     every passkey of the account (assertions return it).
    ///   - userName: a human-palatable account identifier, such as the login name.
    ///   - displayName: the name shown next to it.
    ///   - challenge: fresh random bytes (at least 16), remembered by the caller for verification.
    ///   - excludeCredentials: the account's existing passkeys, so that an authenticator is not registered twice.
    ///   - attestation: `.none` (default) or `.direct`.
    ///   - timeoutMilliseconds: a hint for the client, or `nil`.
    public func creationOptions(
        userId: [UInt8], userName: String, displayName: String, challenge: [UInt8],
        excludeCredentials: [CredentialDescriptor] = [],
        attestation: CredentialCreationOptions.Attestation = .none,
        timeoutMilliseconds: Int? = 300_000
    ) -> CredentialCreationOptions {
        CredentialCreationOptions(
            rp: .init(id: id, name: name),
            user: .init(id: Base64URL.encode(userId), name: userName, displayName: displayName),
            challenge: Base64URL.encode(challenge),
            pubKeyCredParams: allowedAlgorithms.map { .init(type: "public-key", alg: $0.rawValue) },
            timeout: timeoutMilliseconds,
            excludeCredentials: excludeCredentials,
            authenticatorSelection: .init(residentKey: "required", requireResidentKey: true, userVerification: "required"),
            attestation: attestation)
    }
}
