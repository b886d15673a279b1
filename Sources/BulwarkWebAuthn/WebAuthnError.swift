import BulwarkCore

/// The one error of a WebAuthn ceremony check. `reason` is what the server acts on; `description`
/// is a sentence safe to show to the user (it never contains keys, signatures or challenges).
public struct WebAuthnError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why the ceremony was refused.
    public enum Reason: Sendable, Equatable {
        /// `clientData.type` is not the ceremony's (`webauthn.create` / `webauthn.get`).
        case wrongType
        /// `clientData.origin` (or `topOrigin`) is not one of the relying party's, or the ceremony ran
        /// cross-origin without being allowed to.
        case wrongOrigin
        /// The authenticator data's rpIdHash is not SHA-256 of the relying party's id.
        case wrongRpId
        /// `clientData.challenge` is not the challenge this ceremony was started with.
        case challengeMismatch
        /// The User Present flag is clear.
        case userNotPresent
        /// User verification was required and the User Verified flag is clear.
        case userNotVerified
        /// The backup flags are inconsistent (BS without BE) or BE changed since registration.
        case invalidBackupState
        /// A signature (assertion or attestation) does not verify.
        case badSignature
        /// The signature counter did not increase: the authenticator may have been cloned.
        case counterRegression
        /// The credential's algorithm is not one the relying party accepts, or its key is unusable.
        case unsupportedAlgorithm
        /// The attestation statement format is not supported (only `none` and `packed` are).
        case unsupportedAttestation
        /// The attestation statement is of a supported format but does not meet its requirements.
        case invalidAttestation
        /// The response is about another credential than the one expected.
        case credentialMismatch
        /// The response is not well-formed; the text says which part.
        case malformed(String)
    }

    /// What the server acts on.
    public let reason: Reason
    /// A message safe to show to the client.
    public let detail: String

    /// An error for `reason` with a message safe to show.
    public init(_ reason: Reason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }

    /// The message (``detail``).
    public var description: String { detail }

    /// The project's domain error for this failure: 400 for a malformed response, 403 for a possibly
    /// cloned authenticator, 401 otherwise.
    public var bulwarkError: BulwarkError {
        switch reason {
        case .malformed: .badRequest(detail)
        case .counterRegression: .forbidden(detail)
        default: .unauthorized(detail)
        }
    }

    static func malformed(_ what: String) -> WebAuthnError {
        WebAuthnError(.malformed(what), "the passkey response is malformed: \(what)")
    }
}
