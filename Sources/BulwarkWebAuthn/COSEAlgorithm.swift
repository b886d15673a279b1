/// The COSE signature algorithms (IANA "COSE Algorithms") this relying party supports.
public enum COSEAlgorithm: Int, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// ECDSA over P-256 with SHA-256; signatures are ASN.1 DER in WebAuthn.
    case es256 = -7
    /// EdDSA; in WebAuthn always Ed25519 with 64-byte raw signatures.
    case edDSA = -8
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    case rs256 = -257

    /// The JOSE-style name, such as `ES256`.
    public var description: String {
        switch self {
        case .es256: "ES256"
        case .edDSA: "EdDSA"
        case .rs256: "RS256"
        }
    }
}
