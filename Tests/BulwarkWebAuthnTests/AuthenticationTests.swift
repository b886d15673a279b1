import BulwarkWebAuthn
import Foundation
import Testing

@Suite struct AuthenticationTests {
    @Test func vectorsAreLoaded() {
        #expect(Vectors.authentications.count >= 25)
    }

    @Test(arguments: Vectors.authentications)
    func vector(_ v: Vectors.Authentication) {
        let rp = Vectors.relyingParty
        let result = Result { () throws(WebAuthnError) -> VerifiedAuthentication in
            try rp.verifyAuthentication(
                json: v.credentialJSON, expectedChallenge: v.challenge, credential: v.stored,
                requireUserVerification: v.requireUserVerification)
        }
        switch (result, v.expected) {
        case (.success(let verified), let expected?):
            #expect(verified.credentialId == v.stored.id)
            #expect(verified.signCount == expected.signCount)
            #expect(verified.userHandle == expected.userHandle)
            #expect(verified.backedUp == expected.backedUp)
            #expect(verified.userVerified == expected.userVerified)
            #expect(verified.authenticatorAttachment == "platform")
        case (.failure(let error), nil):
            #expect(error.reason == Vectors.reason(v.expect), "\(error.detail)")
        case (.success, nil):
            Issue.record("accepted, expected \(v.expect)")
        case (.failure(let error), _?):
            Issue.record("refused: \(error.reason) \(error.detail)")
        }
    }

    /// Registration then sign-in, with the record the registration returned.
    @Test(arguments: ["es256", "ed25519", "rs256"])
    func registerThenSignIn(_ label: String) throws {
        let rp = Vectors.relyingParty
        let registration = try #require(Vectors.registrations.first { $0.name == "\(label)-none" })
        let credential = try rp.verifyRegistration(json: registration.credentialJSON, expectedChallenge: registration.challenge)
        var stored = credential.stored
        #expect(stored.backupEligible == false)

        let first = try #require(Vectors.authentications.first { $0.name == label })
        let verified = try rp.verifyAuthentication(json: first.credentialJSON, expectedChallenge: first.challenge, credential: stored)
        #expect(verified.signCount == 1)
        stored.signCount = verified.signCount

        // The same assertion again: its counter no longer increases.
        #expect(errorReason {
            try rp.verifyAuthentication(json: first.credentialJSON, expectedChallenge: first.challenge, credential: stored)
        } == .counterRegression)

        let next = try #require(Vectors.authentications.first { $0.name == "\(label)-next" })
        #expect(try rp.verifyAuthentication(json: next.credentialJSON, expectedChallenge: next.challenge, credential: stored).signCount == 7)
        // A fresh challenge for the same response is refused.
        #expect(errorReason {
            try rp.verifyAuthentication(json: next.credentialJSON, expectedChallenge: first.challenge, credential: stored)
        } == .challengeMismatch)
    }

    @Test func everyFlippedSignatureBitIsRefused() throws {
        let rp = Vectors.relyingParty
        for name in ["es256", "ed25519", "rs256"] {
            let v = try #require(Vectors.authentications.first { $0.name == name })
            let response = try AuthenticationResponse(json: v.credentialJSON)
            for i in stride(from: 0, to: response.signature.count, by: 7) {
                var signature = response.signature
                signature[i] ^= 0x10
                let tampered = AuthenticationResponse(
                    rawId: response.rawId, clientDataJSON: response.clientDataJSON,
                    authenticatorData: response.authenticatorData, signature: signature, userHandle: response.userHandle)
                let reason = errorReason { try rp.verifyAuthentication(tampered, expectedChallenge: v.challenge, credential: v.stored) }
                #expect(reason == .badSignature, "\(name) byte \(i)")
            }
        }
    }

    @Test func signedDataIsCovered() throws {
        let rp = Vectors.relyingParty
        let v = try #require(Vectors.authentications.first { $0.name == "ed25519" })
        let response = try AuthenticationResponse(json: v.credentialJSON)
        // Raising the counter by hand breaks the signature.
        var authData = response.authenticatorData
        authData[36] &+= 1
        let tampered = AuthenticationResponse(
            rawId: response.rawId, clientDataJSON: response.clientDataJSON, authenticatorData: authData,
            signature: response.signature, userHandle: response.userHandle)
        #expect(errorReason { try rp.verifyAuthentication(tampered, expectedChallenge: v.challenge, credential: v.stored) } == .badSignature)
        // Client data re-serialised with the same meaning is different bytes: the signature no longer matches.
        let reordered = try JSONSerialization.data(
            withJSONObject: try Vectors.object(Data(response.clientDataJSON)), options: [.sortedKeys])
        let reserialised = AuthenticationResponse(
            rawId: response.rawId, clientDataJSON: Array(reordered), authenticatorData: response.authenticatorData,
            signature: response.signature, userHandle: response.userHandle)
        #expect(errorReason { try rp.verifyAuthentication(reserialised, expectedChallenge: v.challenge, credential: v.stored) } == .badSignature)
    }

    @Test func storedRecordMustBeConsistent() throws {
        let rp = Vectors.relyingParty
        let v = try #require(Vectors.authentications.first { $0.name == "es256" })
        var stored = v.stored
        stored.algorithm = .edDSA
        #expect(errorReason { try rp.verifyAuthentication(json: v.credentialJSON, expectedChallenge: v.challenge, credential: stored) } == .unsupportedAlgorithm)
        stored = v.stored
        stored.publicKey = [0xa0]
        #expect(isMalformed(errorReason { try rp.verifyAuthentication(json: v.credentialJSON, expectedChallenge: v.challenge, credential: stored) }))
    }

    @Test func mutatedAuthenticatorDataNeverTraps() throws {
        var rng = SeededGenerator(state: 42)
        let rp = Vectors.relyingParty
        let v = try #require(Vectors.authentications.first { $0.name == "es256" })
        let response = try AuthenticationResponse(json: v.credentialJSON)
        for _ in 0..<2000 {
            var authData = response.authenticatorData
            if Bool.random(using: &rng) {
                authData[Int.random(in: 0..<authData.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            } else {
                authData += (0..<Int.random(in: 1...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                authData[32] |= [0x40, 0x80, 0xc0][Int.random(in: 0..<3, using: &rng)]
            }
            let mutated = AuthenticationResponse(
                rawId: response.rawId, clientDataJSON: response.clientDataJSON, authenticatorData: authData,
                signature: response.signature, userHandle: response.userHandle)
            #expect(errorReason { try rp.verifyAuthentication(mutated, expectedChallenge: v.challenge, credential: v.stored) } != nil)
        }
    }
}
