import BulwarkCBOR
import BulwarkWebAuthn
import Crypto
import Foundation
import Testing
import _CryptoExtras

@Suite struct ParsingTests {
    @Test func base64URL() {
        let samples: [[UInt8]] = [[], [0], [0xff], [0xfb, 0xff], [1, 2, 3], Array(0...255)]
        for sample in samples {
            let text = Base64URL.encode(sample)
            #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"))
            #expect(Base64URL.decode(text) == sample)
            #expect(Base64URL.decode(Data(sample).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")) == sample)
        }
        #expect(Base64URL.encode(Array("IETF".utf8)) == "SUVURg")
        #expect(Base64URL.decode("SUVURg==") == Array("IETF".utf8))
        for bad in ["A", "AB+C", "AB/C", "A B=", "SUVURh", "ABCDE", "é"] {
            #expect(Base64URL.decode(bad) == nil, "\(bad)")
        }
    }

    @Test func clientData() throws {
        let json = #"{"type":"webauthn.get","challenge":"SUVURg","origin":"https://a.example","crossOrigin":true,"topOrigin":"https://b.example","other_keys_can_be_added_here":"x"}"#
        let data = try CollectedClientData(json: Array(json.utf8))
        #expect(data.type == "webauthn.get")
        #expect(data.challenge == Array("IETF".utf8))
        #expect(data.origin == "https://a.example")
        #expect(data.crossOrigin)
        #expect(data.topOrigin == "https://b.example")
        let minimal = try CollectedClientData(json: Array(#"{"type":"t","challenge":"","origin":"o"}"#.utf8))
        #expect(!minimal.crossOrigin && minimal.topOrigin == nil && minimal.challenge.isEmpty)
        for bad in [#"{"type":"t","origin":"o"}"#, #"{"type":1,"challenge":"","origin":"o"}"#, #"{"type":"t","challenge":"!","origin":"o"}"#, "[", ""] {
            #expect(throws: WebAuthnError.self) { try CollectedClientData(json: Array(bad.utf8)) }
        }
    }

    @Test func authenticatorDataLayout() throws {
        let rpIdHash = Array(SHA256.hash(data: Array("localhost".utf8)))
        let key = P256.Signing.PrivateKey().publicKey.x963Representation
        let cose = CBOR.map([
            .init(1, 2), .init(3, -7), .init(-1, 1), .init(-2, .bytes(Array(key[1..<33]))), .init(-3, .bytes(Array(key[33...]))),
        ]).encoded()
        let aaguid = Array(repeating: UInt8(0xaa), count: 16)
        let credentialId: [UInt8] = [9, 8, 7]
        let extensions = CBOR.map([.init("credProtect", 2)]).encoded()
        let bytes = rpIdHash + [0xc5, 0, 0, 1, 2] + aaguid + [0, 3] + credentialId + cose + extensions

        let parsed = try AuthenticatorData(bytes: bytes)
        #expect(parsed.rpIdHash == rpIdHash)
        #expect(parsed.flags == [.userPresent, .userVerified, .attestedCredentialData, .extensionData])
        #expect(parsed.signCount == 258)
        #expect(parsed.attestedCredentialData?.aaguid == aaguid)
        #expect(parsed.attestedCredentialData?.credentialId == credentialId)
        #expect(parsed.attestedCredentialData?.publicKey.bytes == cose)
        #expect(parsed.attestedCredentialData?.publicKey.algorithm == .es256)
        #expect(parsed.extensions?["credProtect"] == 2)

        // Flags must agree with what follows the counter.
        var noED = bytes
        noED[32] = 0x45
        #expect(throws: WebAuthnError.self) { try AuthenticatorData(bytes: noED) }
        var noAT = bytes
        noAT[32] = 0x85
        #expect(throws: WebAuthnError.self) { try AuthenticatorData(bytes: noAT) }
        #expect(throws: WebAuthnError.self) { try AuthenticatorData(bytes: bytes.dropLast()) }
        #expect(throws: WebAuthnError.self) { try AuthenticatorData(bytes: Array(bytes.prefix(36))) }
        let plain = try AuthenticatorData(bytes: rpIdHash + [0x05, 0xff, 0xff, 0xff, 0xff])
        #expect(plain.signCount == UInt32.max && plain.attestedCredentialData == nil && plain.extensions == nil)
        // A declared credential id length longer than the data.
        #expect(throws: WebAuthnError.self) { try AuthenticatorData(bytes: rpIdHash + [0x45, 0, 0, 0, 0] + aaguid + [0xff, 0xff, 1]) }
        // Extensions that are not a map.
        #expect(throws: WebAuthnError.self) { try AuthenticatorData(bytes: rpIdHash + [0x81, 0, 0, 0, 0, 0x01]) }
    }

    @Test func coseKeysAndSignatures() throws {
        let data = Array("signed data".utf8)

        let p256 = P256.Signing.PrivateKey()
        let point = p256.publicKey.x963Representation
        let ec2 = try COSEKey(bytes: CBOR.map([
            .init(1, 2), .init(3, -7), .init(-1, 1), .init(-2, .bytes(Array(point[1..<33]))), .init(-3, .bytes(Array(point[33...]))),
        ]).encoded())
        let der = Array(try p256.signature(for: data).derRepresentation)
        #expect(ec2.isValidSignature(der, for: data))
        #expect(!ec2.isValidSignature(Array(try p256.signature(for: data).rawRepresentation), for: data))  // raw r‖s is not DER
        #expect(!ec2.isValidSignature(der, for: data + [0]))

        let ed = Curve25519.Signing.PrivateKey()
        let okp = try COSEKey(bytes: CBOR.map([
            .init(1, 1), .init(3, -8), .init(-1, 6), .init(-2, .bytes(Array(ed.publicKey.rawRepresentation))),
        ]).encoded())
        #expect(okp.algorithm == .edDSA)
        #expect(okp.isValidSignature(Array(try ed.signature(for: data)), for: data))
        #expect(!okp.isValidSignature(Array(try ed.signature(for: data)).dropLast(), for: data))

        let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let der2 = Array(rsa.publicKey.pkcs1DERRepresentation)
        // PKCS#1 RSAPublicKey: SEQUENCE { INTEGER n, INTEGER e }; pull n and e out with the test's tiny DER reader.
        let (n, e) = try rsaNumbers(der2)
        let rsaKey = try COSEKey(bytes: CBOR.map([.init(1, 3), .init(3, -257), .init(-1, .bytes(n)), .init(-2, .bytes(e))]).encoded())
        let sig = try rsa.signature(for: SHA256.hash(data: data), padding: .insecurePKCS1v1_5)
        #expect(rsaKey.isValidSignature(Array(sig.rawRepresentation), for: data))
        let pss = try rsa.signature(for: SHA256.hash(data: data), padding: .PSS)
        #expect(!rsaKey.isValidSignature(Array(pss.rawRepresentation), for: data))

        // Refusals: wrong curve, wrong key type for the algorithm, unknown algorithm, bad sizes, off-curve point.
        let bad: [(CBOR, WebAuthnError.Reason?)] = [
            (.map([.init(1, 2), .init(3, -7), .init(-1, 2), .init(-2, .bytes(Array(point[1..<33]))), .init(-3, .bytes(Array(point[33...])))]), .unsupportedAlgorithm),
            (.map([.init(1, 1), .init(3, -7), .init(-1, 1), .init(-2, .bytes(Array(point[1..<33]))), .init(-3, .bytes(Array(point[33...])))]), .unsupportedAlgorithm),
            (.map([.init(1, 2), .init(3, -35), .init(-1, 2)]), .unsupportedAlgorithm),
            (.map([.init(1, 2), .init(3, -7), .init(-1, 1), .init(-2, .bytes(Array(point[1..<33]))), .init(-3, .bytes(Array(point[1..<33])))]), nil),
            (.map([.init(1, 2), .init(3, -7), .init(-1, 1), .init(-2, .bytes(Array(point[1..<33]))), .init(-3, true)]), nil),
            (.map([.init(1, 1), .init(3, -8), .init(-1, 6), .init(-2, .bytes([1, 2, 3]))]), nil),
            (.map([.init(1, 1), .init(3, -8), .init(-1, 7), .init(-2, .bytes(Array(repeating: 1, count: 57)))]), .unsupportedAlgorithm),
            (.map([.init(1, 3), .init(3, -257), .init(-1, .bytes(Array(n.prefix(128)))), .init(-2, .bytes(e))]), .unsupportedAlgorithm),
            (.map([.init(1, 2), .init(-1, 1)]), nil),
            (.array([1, 2]), nil),
        ]
        for (item, reason) in bad {
            let got = errorReason { try COSEKey(bytes: item.encoded()) }
            if let reason { #expect(got == reason, "\(item)") } else { #expect(isMalformed(got), "\(item)") }
        }
    }

    /// Random bytes and mutated keys never trap the parsers.
    @Test func randomInputsNeverTrap() throws {
        var rng = SeededGenerator(state: 7)
        let v = try #require(Vectors.authentications.first { $0.name == "rs256" })
        for _ in 0..<3000 {
            let count = Int.random(in: 0..<120, using: &rng)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = try? AuthenticatorData(bytes: bytes)
            _ = try? COSEKey(bytes: bytes)
            _ = try? AttestationObject(bytes: bytes)
            _ = try? CollectedClientData(json: bytes)
            _ = try? RegistrationResponse(json: bytes)
            _ = try? AuthenticationResponse(json: bytes)
            var key = v.stored.publicKey
            key[Int.random(in: 0..<key.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            _ = try? COSEKey(bytes: key)
        }
    }
}

/// n and e of a PKCS#1 RSAPublicKey (enough DER for a test).
func rsaNumbers(_ der: [UInt8]) throws -> ([UInt8], [UInt8]) {
    var i = 0
    func length() throws -> Int {
        let first = Int(der[i]); i += 1
        if first < 0x80 { return first }
        var n = 0
        for _ in 0..<(first & 0x7f) { n = n << 8 | Int(der[i]); i += 1 }
        return n
    }
    func integer() throws -> [UInt8] {
        try #require(der[i] == 0x02); i += 1
        let n = try length()
        var bytes = Array(der[i..<(i + n)]); i += n
        while bytes.first == 0, bytes.count > 1 { bytes.removeFirst() }
        return bytes
    }
    try #require(der[i] == 0x30); i += 1
    _ = try length()
    return (try integer(), try integer())
}
