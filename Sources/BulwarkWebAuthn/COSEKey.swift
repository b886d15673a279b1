import BulwarkCBOR
import Crypto
import _CryptoExtras

/// A credential public key in COSE_Key form (RFC 9052 §7, RFC 9053): EC2 P-256 for ES256, OKP
/// Ed25519 for EdDSA, RSA for RS256.
///
/// `bytes` is the key exactly as the authenticator encoded it: store those, and rebuild the key
/// with ``init(bytes:)`` when an assertion arrives.
public struct COSEKey: Sendable {
    /// The algorithm the key is for (its COSE `alg` parameter, which WebAuthn requires).
    public let algorithm: COSEAlgorithm
    /// The COSE_Key encoding as received.
    public let bytes: [UInt8]
    let key: SignatureKey

    // COSE_Key labels and values (RFC 9052 §7.1, RFC 9053 §7).
    private static let kty: CBOR = 1
    private static let alg: CBOR = 3
    private static let crv: CBOR = -1
    private static let x: CBOR = -2
    private static let y: CBOR = -3
    private static let rsaN: CBOR = -1
    private static let rsaE: CBOR = -2
    private static let ktyOKP = 1, ktyEC2 = 2, ktyRSA = 3
    private static let crvP256 = 1, crvEd25519 = 6
    /// 16,384-bit moduli are the largest BoringSSL verifies; anything larger is refused up front.
    private static let maxRSAModulusBytes = 2048

    /// Parses a stored or received COSE_Key; the bytes must hold exactly one CBOR map.
    public init(bytes: some Collection<UInt8>) throws(WebAuthnError) {
        let raw = Array(bytes)
        let item: CBOR
        do { item = try CBOR.decode(raw) } catch {
            throw .malformed("the credential public key is not valid CBOR (\(error))")
        }
        try self.init(item: item, bytes: raw)
    }

    /// Builds the key from its decoded map and the bytes it was decoded from.
    init(item: CBOR, bytes: [UInt8]) throws(WebAuthnError) {
        guard item.mapValue != nil else { throw .malformed("the credential public key is not a CBOR map") }
        guard let kty = item[Self.kty]?.intValue else { throw .malformed("the credential public key has no key type") }
        guard let algValue = item[Self.alg]?.intValue else {
            throw .malformed("the credential public key has no algorithm")
        }
        guard let algorithm = COSEAlgorithm(rawValue: algValue) else {
            throw WebAuthnError(.unsupportedAlgorithm, "the passkey uses an unsupported algorithm (COSE \(algValue))")
        }
        self.algorithm = algorithm
        self.bytes = bytes

        switch algorithm {
        case .es256:
            guard kty == Self.ktyEC2, item[Self.crv]?.intValue == Self.crvP256 else {
                throw WebAuthnError(.unsupportedAlgorithm, "an ES256 passkey must have an EC2 P-256 key")
            }
            guard let x = item[Self.x]?.bytesValue, x.count == 32,
                let y = item[Self.y]?.bytesValue, y.count == 32
            else { throw .malformed("the P-256 public key must have 32-byte x and y coordinates") }
            do {
                key = .p256(try P256.Signing.PublicKey(x963Representation: [0x04] + x + y))
            } catch {
                throw .malformed("the P-256 public key is not a point on the curve")
            }
        case .edDSA:
            guard kty == Self.ktyOKP, item[Self.crv]?.intValue == Self.crvEd25519 else {
                throw WebAuthnError(.unsupportedAlgorithm, "an EdDSA passkey must have an OKP Ed25519 key")
            }
            guard let x = item[Self.x]?.bytesValue, x.count == 32 else {
                throw .malformed("the Ed25519 public key must be 32 bytes")
            }
            do {
                key = .ed25519(try Curve25519.Signing.PublicKey(rawRepresentation: x))
            } catch {
                throw .malformed("the Ed25519 public key is invalid")
            }
        case .rs256:
            guard kty == Self.ktyRSA else {
                throw WebAuthnError(.unsupportedAlgorithm, "an RS256 passkey must have an RSA key")
            }
            guard let n = item[Self.rsaN]?.bytesValue, let e = item[Self.rsaE]?.bytesValue,
                !n.isEmpty, !e.isEmpty, n.count <= Self.maxRSAModulusBytes, e.count <= 8
            else { throw .malformed("the RSA public key must have a modulus and an exponent") }
            do {
                key = .rsa(try _RSA.Signing.PublicKey(n: n, e: e))
            } catch {
                throw WebAuthnError(.unsupportedAlgorithm, "the RSA public key is invalid or shorter than 2048 bits")
            }
        }
    }

    /// Whether `signature` is this key's valid signature of `data` (for WebAuthn, `data` is
    /// authenticatorData ‖ SHA-256(clientDataJSON)).
    public func isValidSignature(_ signature: some Collection<UInt8>, for data: some Collection<UInt8>) -> Bool {
        key.isValidSignature(Array(signature), for: Array(data))
    }

    /// Throws ``WebAuthnError/Reason/badSignature`` unless `signature` is this key's valid signature of `data`.
    public func verify(signature: some Collection<UInt8>, data: some Collection<UInt8>) throws(WebAuthnError) {
        guard isValidSignature(signature, for: data) else {
            throw WebAuthnError(.badSignature, "the passkey signature is invalid")
        }
    }
}
