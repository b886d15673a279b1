import BulwarkCBOR
import BulwarkCore
import BulwarkWebAuthn
import Foundation
import Testing

@Suite struct RegistrationTests {
    @Test func vectorsAreLoaded() throws {
        _ = try Vectors.load()
        #expect(Vectors.registrations.count >= 30)
        #expect(Vectors.registrations.contains { $0.expect == "ok" })
    }

    @Test(arguments: Vectors.registrations)
    func vector(_ v: Vectors.Registration) throws {
        let rp = Vectors.relyingParty
        let result = Result { () throws(WebAuthnError) -> RegisteredCredential in
            try rp.verifyRegistration(
                json: v.credentialJSON, expectedChallenge: v.challenge, requireUserVerification: v.requireUserVerification)
        }
        switch (result, v.expected) {
        case (.success(let credential), let expected?):
            #expect(credential.id == expected.id)
            #expect(credential.publicKey == expected.publicKey)
            #expect(credential.algorithm.rawValue == expected.alg)
            #expect(credential.signCount == expected.signCount)
            #expect(credential.aaguid == expected.aaguid)
            #expect(credential.attestationFormat == expected.attestationFormat)
            #expect(credential.attestationType.rawValue == expected.attestationType)
            #expect(credential.attestationCertificates.count == expected.attestationCertificates)
            #expect(credential.backupEligible == expected.backupEligible)
            #expect(credential.backedUp == expected.backedUp)
            #expect(credential.userVerified == expected.userVerified)
            #expect(credential.transports == expected.transports)
            #expect(credential.authenticatorAttachment == "platform")
            // The stored key parses back to the same algorithm.
            #expect(try COSEKey(bytes: credential.publicKey).algorithm == credential.algorithm)
        case (.failure(let error), nil):
            #expect(error.reason == Vectors.reason(v.expect), "\(error.detail)")
        case (.success, nil):
            Issue.record("accepted, expected \(v.expect)")
        case (.failure(let error), _?):
            Issue.record("refused: \(error.reason) \(error.detail)")
        }
    }

    @Test func challengeIsCompared() throws {
        let v = try #require(Vectors.registrations.first { $0.name == "es256-none" })
        let rp = Vectors.relyingParty
        for challenge in [[], Array(v.challenge.dropLast()), v.challenge + [0], v.challenge.map { $0 ^ 0x80 }] {
            #expect(throws: WebAuthnError.self) {
                try rp.verifyRegistration(json: v.credentialJSON, expectedChallenge: challenge)
            }
        }
        #expect((try? rp.verifyRegistration(json: v.credentialJSON, expectedChallenge: v.challenge)) != nil)
    }

    @Test func originAndRpIdComeFromTheRelyingParty() throws {
        let v = try #require(Vectors.registrations.first { $0.name == "ed25519-none" })
        let otherOrigin = RelyingParty(id: "localhost", name: "x", origins: ["https://localhost:8080"])
        #expect(throws: WebAuthnError(.wrongOrigin, "the passkey was used on a page of another origin")) {
            try otherOrigin.verifyRegistration(json: v.credentialJSON, expectedChallenge: v.challenge)
        }
        let otherRp = RelyingParty(id: "registry.example.com", name: "x", origins: ["http://localhost:8080"])
        #expect(errorReason { try otherRp.verifyRegistration(json: v.credentialJSON, expectedChallenge: v.challenge) } == .wrongRpId)
        let several = RelyingParty(id: "localhost", name: "x", origins: ["https://a.example", "http://localhost:8080"])
        #expect((try? several.verifyRegistration(json: v.credentialJSON, expectedChallenge: v.challenge)) != nil)
    }

    @Test func algorithmsCanBeRestricted() throws {
        let v = try #require(Vectors.registrations.first { $0.name == "rs256-none" })
        let rp = RelyingParty(id: "localhost", name: "x", origins: ["http://localhost:8080"], allowedAlgorithms: [.es256, .edDSA])
        #expect(errorReason { try rp.verifyRegistration(json: v.credentialJSON, expectedChallenge: v.challenge) } == .unsupportedAlgorithm)
    }

    @Test func crossOriginNeedsAnAllowedTopOrigin() throws {
        let v = try #require(Vectors.registrations.first { $0.name == "cross-origin" })
        let rp = RelyingParty(
            id: "localhost", name: "x", origins: ["http://localhost:8080"], allowedTopOrigins: ["https://portal.example"])
        #expect((try? rp.verifyRegistration(json: v.credentialJSON, expectedChallenge: v.challenge)) != nil)
    }

    @Test func malformedJSONIsRefusedAsMalformed() throws {
        let v = try #require(Vectors.registrations.first { $0.name == "es256-none" })
        var object = try Vectors.object(v.credentialJSON)
        let rp = Vectors.relyingParty
        func reason(_ o: [String: Any]) -> WebAuthnError.Reason? {
            guard let data = try? JSONSerialization.data(withJSONObject: o) else { return nil }
            return errorReason { try rp.verifyRegistration(json: data, expectedChallenge: v.challenge) }
        }
        var o = object
        o["type"] = "password"
        #expect(isMalformed(reason(o)))
        o = object
        o["id"] = "AAAA"
        #expect(isMalformed(reason(o)))
        o = object
        o["rawId"] = "not base64url!"
        #expect(isMalformed(reason(o)))
        o = object
        o.removeValue(forKey: "response")
        #expect(isMalformed(reason(o)))
        var response = try #require(object["response"] as? [String: Any])
        response["attestationObject"] = Base64URL.encode([0xa0])
        object["response"] = response
        #expect(isMalformed(reason(object)))
        response["attestationObject"] = "@@@"
        object["response"] = response
        #expect(isMalformed(reason(object)))
        #expect(isMalformed(errorReason { try rp.verifyRegistration(json: Array("[]".utf8), expectedChallenge: v.challenge) }))
        #expect(isMalformed(errorReason { try rp.verifyRegistration(json: [UInt8](), expectedChallenge: v.challenge) }))
    }

    @Test func truncatedOrExtendedAttestationObjectsAreMalformed() throws {
        let v = try #require(Vectors.registrations.first { $0.name == "es256-with-extensions" })
        let response = try RegistrationResponse(json: v.credentialJSON)
        let rp = Vectors.relyingParty
        for cut in [1, 10, 50, response.attestationObject.count - 1] {
            let shorter = RegistrationResponse(
                rawId: response.rawId, clientDataJSON: response.clientDataJSON,
                attestationObject: Array(response.attestationObject.dropLast(cut)))
            #expect(isMalformed(errorReason { try rp.verifyRegistration(shorter, expectedChallenge: v.challenge) }))
        }
        let longer = RegistrationResponse(
            rawId: response.rawId, clientDataJSON: response.clientDataJSON, attestationObject: response.attestationObject + [0])
        #expect(isMalformed(errorReason { try rp.verifyRegistration(longer, expectedChallenge: v.challenge) }))
    }

    /// Random byte mutations of real attestation objects must be refused (or, rarely, accepted) but never trap.
    @Test func mutatedAttestationObjectsNeverTrap() throws {
        var rng = SeededGenerator(state: 0x5EED)
        let rp = Vectors.relyingParty
        var refused = 0
        for v in Vectors.registrations where v.expect == "ok" {
            let response = try RegistrationResponse(json: v.credentialJSON)
            for _ in 0..<300 {
                var bytes = response.attestationObject
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let i = Int.random(in: 0..<bytes.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: bytes[i] = UInt8.random(in: 0...255, using: &rng)
                    case 1: bytes[i] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
                    default: bytes.removeSubrange(i..<min(bytes.count, i + Int.random(in: 1...8, using: &rng)))
                    }
                    if bytes.isEmpty { bytes = [0] }
                }
                let mutated = RegistrationResponse(
                    rawId: response.rawId, clientDataJSON: response.clientDataJSON, attestationObject: bytes)
                if (try? rp.verifyRegistration(
                    mutated, expectedChallenge: v.challenge, requireUserVerification: v.requireUserVerification)) == nil
                {
                    refused += 1
                }
            }
        }
        #expect(refused > 0)
    }

    @Test func errorsMapToBulwarkErrors() {
        #expect(WebAuthnError.init(.counterRegression, "x").bulwarkError.httpStatus == 403)
        #expect(WebAuthnError.init(.malformed("x"), "x").bulwarkError.httpStatus == 400)
        #expect(WebAuthnError.init(.badSignature, "x").bulwarkError.httpStatus == 401)
    }
}

/// The reason `body` failed with, or `nil` if it succeeded.
/// (Any other error is reported as `.malformed("not a WebAuthnError")`.)
func errorReason<T>(_ body: () throws -> T) -> WebAuthnError.Reason? {
    do {
        _ = try body()
        return nil
    } catch let error as WebAuthnError {
        return error.reason
    } catch {
        return .malformed("not a WebAuthnError")
    }
}

func isMalformed(_ reason: WebAuthnError.Reason?) -> Bool {
    if case .malformed = reason { return true }
    return false
}
