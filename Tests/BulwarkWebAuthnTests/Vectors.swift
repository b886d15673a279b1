import BulwarkWebAuthn
import Foundation
import Testing

/// The committed vectors of `Fixtures/make_vectors.py` (an independent Python software authenticator).
enum Vectors {
    struct Registration: Sendable, CustomTestStringConvertible {
        let name: String
        let expect: String
        let challenge: [UInt8]
        let requireUserVerification: Bool
        /// The credential JSON exactly as a browser would post it.
        let credentialJSON: Data
        let expected: Expected?

        struct Expected: Sendable {
            let id: [UInt8]
            let publicKey: [UInt8]
            let alg: Int
            let signCount: UInt32
            let aaguid: [UInt8]
            let attestationFormat: String
            let attestationType: String
            let attestationCertificates: Int
            let backupEligible: Bool
            let backedUp: Bool
            let userVerified: Bool
            let transports: [String]
        }

        var testDescription: String { "registration \(name) → \(expect)" }
    }

    struct Authentication: Sendable, CustomTestStringConvertible {
        let name: String
        let expect: String
        let challenge: [UInt8]
        let requireUserVerification: Bool
        let credentialJSON: Data
        let stored: StoredCredential
        let expected: Expected?

        struct Expected: Sendable {
            let signCount: UInt32
            let userHandle: [UInt8]?
            let backedUp: Bool
            let userVerified: Bool
        }

        var testDescription: String { "authentication \(name) → \(expect)" }
    }

    struct Loaded: Sendable {
        let rpId: String
        let rpName: String
        let origin: String
        let registrations: [Registration]
        let authentications: [Authentication]
    }

    static let loaded: Loaded? = try? load()
    static var registrations: [Registration] { loaded?.registrations ?? [] }
    static var authentications: [Authentication] { loaded?.authentications ?? [] }

    static var relyingParty: RelyingParty {
        RelyingParty(id: loaded?.rpId ?? "localhost", name: loaded?.rpName ?? "Bulwark", origins: [loaded?.origin ?? ""])
    }

    struct FixtureError: Error, CustomStringConvertible {
        let description: String
    }

    static func fixture(_ name: String) throws -> Data {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures") else {
            throw FixtureError(description: "no fixture \(name).json")
        }
        return try Data(contentsOf: url)
    }

    static func object(_ data: Data) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw FixtureError(description: "not a JSON object")
        }
        return object
    }

    static func field<T>(_ object: [String: Any], _ key: String, as: T.Type = T.self) throws -> T {
        guard let value = object[key] as? T else { throw FixtureError(description: "missing or mistyped \(key)") }
        return value
    }

    static func bytes(_ value: Any?) throws -> [UInt8] {
        guard let text = value as? String, let bytes = Base64URL.decode(text) else {
            throw FixtureError(description: "not base64url: \(String(describing: value))")
        }
        return bytes
    }

    static func registration(_ c: [String: Any]) throws -> Registration {
        var expected: Registration.Expected?
        if let e = c["expected"] as? [String: Any] {
            expected = .init(
                id: try bytes(e["id"]), publicKey: try bytes(e["publicKey"]), alg: try field(e, "alg"),
                signCount: UInt32(try field(e, "signCount", as: Int.self)),
                aaguid: hex(try field(e, "aaguid")),
                attestationFormat: try field(e, "attestationFormat"),
                attestationType: try field(e, "attestationType"),
                attestationCertificates: e["attestationCertificates"] as? Int ?? 0,
                backupEligible: try field(e, "backupEligible"),
                backedUp: try field(e, "backedUp"),
                userVerified: try field(e, "userVerified"),
                transports: try field(e, "transports"))
        }
        return Registration(
            name: try field(c, "name"), expect: try field(c, "expect"),
            challenge: try bytes(c["challenge"]),
            requireUserVerification: try field(c, "requireUserVerification"),
            credentialJSON: try JSONSerialization.data(withJSONObject: try field(c, "credential", as: [String: Any].self)),
            expected: expected)
    }

    static func authentication(_ c: [String: Any]) throws -> Authentication {
        let s: [String: Any] = try field(c, "stored")
        guard let algorithm = COSEAlgorithm(rawValue: try field(s, "alg")) else {
            throw FixtureError(description: "unknown algorithm")
        }
        let stored = StoredCredential(
            id: try bytes(s["id"]), publicKey: try bytes(s["publicKey"]), algorithm: algorithm,
            signCount: UInt32(try field(s, "signCount", as: Int.self)),
            backupEligible: s["backupEligible"] as? Bool,
            userHandle: try s["userHandle"].map { try bytes($0) })
        var expected: Authentication.Expected?
        if let e = c["expected"] as? [String: Any] {
            expected = .init(
                signCount: UInt32(try field(e, "signCount", as: Int.self)),
                userHandle: e["userHandle"] is NSNull ? nil : try bytes(e["userHandle"]),
                backedUp: try field(e, "backedUp"),
                userVerified: try field(e, "userVerified"))
        }
        return Authentication(
            name: try field(c, "name"), expect: try field(c, "expect"),
            challenge: try bytes(c["challenge"]),
            requireUserVerification: try field(c, "requireUserVerification"),
            credentialJSON: try JSONSerialization.data(withJSONObject: try field(c, "credential", as: [String: Any].self)),
            stored: stored, expected: expected)
    }

    static func load() throws -> Loaded {
        let root = try object(fixture("vectors"))
        let rp: [String: Any] = try field(root, "rp")
        let regs = try field(root, "registrations", as: [[String: Any]].self).map(registration)
        let auths = try field(root, "authentications", as: [[String: Any]].self).map(authentication)
        return Loaded(
            rpId: try field(rp, "id"), rpName: try field(rp, "name"), origin: try field(rp, "origin"),
            registrations: regs, authentications: auths)
    }

    /// The reason a vector's `expect` names.
    static func reason(_ name: String) -> WebAuthnError.Reason? {
        switch name {
        case "wrongType": .wrongType
        case "wrongOrigin": .wrongOrigin
        case "wrongRpId": .wrongRpId
        case "challengeMismatch": .challengeMismatch
        case "userNotPresent": .userNotPresent
        case "userNotVerified": .userNotVerified
        case "invalidBackupState": .invalidBackupState
        case "badSignature": .badSignature
        case "counterRegression": .counterRegression
        case "unsupportedAlgorithm": .unsupportedAlgorithm
        case "unsupportedAttestation": .unsupportedAttestation
        case "invalidAttestation": .invalidAttestation
        case "credentialMismatch": .credentialMismatch
        default: nil
        }
    }
}

func hex(_ string: String) -> [UInt8] {
    var out: [UInt8] = []
    var chars = Array(string.utf8).makeIterator()
    while let hi = chars.next(), let lo = chars.next() {
        out.append(UInt8(String(decoding: [hi, lo], as: UTF8.self), radix: 16) ?? 0)
    }
    return out
}

/// A deterministic generator for the randomized tests (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
