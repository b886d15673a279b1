import BulwarkWebAuthn
import Foundation
import Testing

/// The builders must produce what py_webauthn's `options_to_json` produces for the same inputs
/// (`Fixtures/options.json`), which browsers' `parse*OptionsFromJSON` accept.
@Suite struct OptionsTests {
    let rp = RelyingParty(id: "localhost", name: "Bulwark", origins: ["http://localhost:8080"])

    @Test func creationOptionsMatchPyWebAuthn() throws {
        let fixture = try Vectors.object(Vectors.fixture("options"))
        let inputs = try #require(fixture["inputs"] as? [String: Any])
        let options = rp.creationOptions(
            userId: try Vectors.bytes(inputs["userId"]),
            userName: try #require(inputs["userName"] as? String),
            displayName: try #require(inputs["displayName"] as? String),
            challenge: try Vectors.bytes(inputs["challenge"]),
            excludeCredentials: [
                CredentialDescriptor(id: try Vectors.bytes(inputs["exclude"]), transports: try #require(inputs["excludeTransports"] as? [String]))
            ],
            timeoutMilliseconds: try #require(inputs["timeout"] as? Int))
        let ours = try Vectors.object(options.jsonData())
        let theirs = try #require(fixture["creation"] as? [String: Any])
        #expect(NSDictionary(dictionary: ours).isEqual(to: theirs), "\(ours)\n\(theirs)")
        #expect(options.authenticatorSelection.userVerification == "required")
        #expect(options.pubKeyCredParams.map(\.alg) == [-7, -8, -257])
    }

    @Test func requestOptionsMatchPyWebAuthn() throws {
        let fixture = try Vectors.object(Vectors.fixture("options"))
        let inputs = try #require(fixture["inputs"] as? [String: Any])
        let options = rp.requestOptions(
            challenge: try Vectors.bytes(inputs["challenge"]), timeoutMilliseconds: try #require(inputs["timeout"] as? Int))
        let ours = try Vectors.object(options.jsonData())
        let theirs = try #require(fixture["request"] as? [String: Any])
        #expect(NSDictionary(dictionary: ours).isEqual(to: theirs), "\(ours)\n\(theirs)")
    }

    @Test func directAttestationAllowListAndNoTimeout() throws {
        let create = rp.creationOptions(
            userId: [1, 2, 3], userName: "bob", displayName: "Bob", challenge: Array(repeating: 7, count: 32),
            attestation: .direct, timeoutMilliseconds: nil)
        let json = try Vectors.object(create.jsonData())
        #expect(json["attestation"] as? String == "direct")
        #expect(json["timeout"] == nil)
        #expect((json["excludeCredentials"] as? [Any])?.isEmpty == true)
        #expect((json["user"] as? [String: Any])?["id"] as? String == "AQID")

        let get = rp.requestOptions(
            challenge: [0xff, 0xfe], allowCredentials: [CredentialDescriptor(id: [0xfb, 0xff])], timeoutMilliseconds: 1000)
        let request = try Vectors.object(get.jsonData())
        #expect(request["challenge"] as? String == "__4")
        let allowed = try #require(request["allowCredentials"] as? [[String: Any]])
        #expect(allowed.count == 1)
        #expect(allowed[0]["id"] as? String == "-_8")
        #expect(allowed[0]["type"] as? String == "public-key")
        #expect(allowed[0]["transports"] == nil)
    }
}
