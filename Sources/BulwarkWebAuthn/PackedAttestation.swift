import BulwarkCBOR
import Crypto
import SwiftASN1
import X509
import _CryptoExtras

/// Verification of the `packed` attestation statement format (WebAuthn §8.2), self or x5c.
enum PackedAttestation {
    /// id-fido-gen-ce-aaguid: the AAGUID an attestation certificate vouches for.
    static let aaguidExtension: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 45724, 1, 1, 4]

    /// Checks `statement` against the signed data (authenticatorData ‖ clientDataHash) and returns the
    /// attestation type with the DER certificates of `x5c` (leaf first), if any.
    static func verify(
        statement: CBOR, authenticatorData: AuthenticatorData, credential: AttestedCredentialData, clientDataHash: [UInt8]
    ) throws(WebAuthnError) -> (AttestationType, [[UInt8]]) {
        guard let algValue = statement["alg"]?.intValue, let sig = statement["sig"]?.bytesValue else {
            throw invalid("the packed attestation statement needs alg and sig")
        }
        guard statement["ecdaaKeyId"] == nil else {
            throw WebAuthnError(.unsupportedAttestation, "ECDAA attestation is not supported")
        }
        guard let alg = COSEAlgorithm(rawValue: algValue) else {
            throw WebAuthnError(.unsupportedAlgorithm, "the attestation uses an unsupported algorithm (COSE \(algValue))")
        }
        let signed = authenticatorData.bytes + clientDataHash

        guard let x5cItem = statement["x5c"] else {
            // Self attestation: the credential key signed with its own algorithm.
            guard alg == credential.publicKey.algorithm else {
                throw invalid("the self attestation's algorithm differs from the credential key's")
            }
            guard credential.publicKey.key.isValidSignature(sig, for: signed) else {
                throw WebAuthnError(.badSignature, "the attestation signature is invalid")
            }
            return (.selfAttestation, [])
        }

        guard let elements = x5cItem.arrayValue, !elements.isEmpty else {
            throw invalid("x5c must be a non-empty array of certificates")
        }
        var chain: [[UInt8]] = []
        for element in elements {
            guard let der = element.bytesValue else { throw invalid("x5c must hold DER certificates") }
            chain.append(der)
        }
        let leaf: Certificate
        do { leaf = try Certificate(derEncoded: chain[0]) } catch {
            throw invalid("the attestation certificate can't be parsed")
        }
        let key = try signatureKey(leaf.publicKey, for: alg)
        guard key.isValidSignature(sig, for: signed) else {
            throw WebAuthnError(.badSignature, "the attestation signature is invalid")
        }
        try checkRequirements(leaf, aaguid: credential.aaguid)
        return (.certificate, chain)
    }

    /// The certificate's key, which must be of the kind `alg` signs with.
    private static func signatureKey(_ key: Certificate.PublicKey, for alg: COSEAlgorithm) throws(WebAuthnError) -> SignatureKey {
        switch alg {
        case .es256: if let k = P256.Signing.PublicKey(key) { return .p256(k) }
        case .edDSA: if let k = Curve25519.Signing.PublicKey(key) { return .ed25519(k) }
        case .rs256: if let k = _RSA.Signing.PublicKey(key) { return .rsa(k) }
        }
        throw invalid("the attestation certificate's key does not match the attestation algorithm")
    }

    /// The attestation certificate requirements of §8.2.1.
    private static func checkRequirements(_ cert: Certificate, aaguid: [UInt8]) throws(WebAuthnError) {
        guard cert.version == .v3 else { throw invalid("the attestation certificate is not X.509 version 3") }

        var found: [ASN1ObjectIdentifier: String] = [:]
        for rdn in cert.subject {
            for attribute in rdn {
                found[attribute.type] = String(attribute.value) ?? ""
            }
        }
        let needed: [ASN1ObjectIdentifier] = [
            .RDNAttributeType.countryName, .RDNAttributeType.organizationName,
            .RDNAttributeType.organizationalUnitName, .RDNAttributeType.commonName,
        ]
        guard needed.allSatisfy({ !(found[$0] ?? "").isEmpty }) else {
            throw invalid("the attestation certificate's subject needs C, O, OU and CN")
        }
        guard found[.RDNAttributeType.organizationalUnitName] == "Authenticator Attestation" else {
            throw invalid("the attestation certificate's subject OU is not \"Authenticator Attestation\"")
        }

        let constraints: BasicConstraints?
        do { constraints = try cert.extensions.basicConstraints } catch {
            throw invalid("the attestation certificate's basic constraints can't be parsed")
        }
        if case .isCertificateAuthority = constraints {
            throw invalid("the attestation certificate must not be a CA certificate")
        }

        if let ext = cert.extensions[oid: aaguidExtension] {
            guard !ext.critical else { throw invalid("the attestation certificate's AAGUID extension must not be critical") }
            let value: ASN1OctetString
            do { value = try ASN1OctetString(derEncoded: ext.value) } catch {
                throw invalid("the attestation certificate's AAGUID extension can't be parsed")
            }
            guard Array(value.bytes) == aaguid else {
                throw invalid("the attestation certificate's AAGUID does not match the authenticator's")
            }
        }
    }

    private static func invalid(_ detail: String) -> WebAuthnError {
        WebAuthnError(.invalidAttestation, detail)
    }
}
