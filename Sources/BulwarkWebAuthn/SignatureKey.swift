import Crypto
import _CryptoExtras

/// A swift-crypto public key of one of the supported algorithms, checking signatures the way
/// WebAuthn encodes them.
enum SignatureKey: Sendable {
    case p256(P256.Signing.PublicKey)
    case ed25519(Curve25519.Signing.PublicKey)
    case rsa(_RSA.Signing.PublicKey)

    var algorithm: COSEAlgorithm {
        switch self {
        case .p256: .es256
        case .ed25519: .edDSA
        case .rsa: .rs256
        }
    }

    /// Whether `signature` is a valid signature of `data`: ES256 signatures are ASN.1 DER ECDSA over
    /// SHA-256, EdDSA ones raw 64-byte Ed25519, RS256 ones PKCS#1 v1.5 over SHA-256.
    func isValidSignature(_ signature: [UInt8], for data: [UInt8]) -> Bool {
        switch self {
        case .p256(let key):
            guard let sig = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return key.isValidSignature(sig, for: data)
        case .ed25519(let key):
            guard signature.count == 64 else { return false }
            return key.isValidSignature(signature, for: data)
        case .rsa(let key):
            guard signature.count == key.keySizeInBits / 8 else { return false }
            let sig = _RSA.Signing.RSASignature(rawRepresentation: signature)
            return key.isValidSignature(sig, for: SHA256.hash(data: data), padding: .insecurePKCS1v1_5)
        }
    }
}
