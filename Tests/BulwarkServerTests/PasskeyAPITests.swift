import BulwarkCore
import BulwarkServer
import BulwarkStorage
import BulwarkTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite struct PasskeyAPITests {
    let clock = TestClock()

    func registry() async throws -> TestRegistry {
        try await TestRegistry(configure: { $0.security.passwordCost = 4 }, now: { [clock] in clock.now })
    }

    /// Signs up `mona` and registers a passkey as her first factor.
    func withPasskey(_ browser: Browser) async throws -> SoftPasskey {
        _ = try await browser.send(.post, "/api/v1/accounts", json: ["username": "mona", "email": "mona@example.com", "password": "correct horse battery"])
        _ = try await browser.send(.post, "/api/v1/session", json: ["username": "mona", "password": "correct horse battery"])
        let options = try await browser.send(.post, "/api/v1/account/passkeys/options")
        #expect(options.status == .ok)
        let passkey = SoftPasskey()
        let registered = try await browser.send(.post, "/api/v1/account/passkeys", json: ["credential": passkey.register(options: options.json), "name": "Laptop"])
        #expect(registered.status == .created, "\(registered.text)")
        #expect((registered.json["recoveryCodes"] as? [String])?.count == 10)
        #expect(try await browser.send(.post, "/api/v1/scopes", json: ["name": "mona"]).status == .created)
        return passkey
    }

    @Test func aPasskeyAloneSignsInWithoutAUsername() async throws {
        let registry = try await registry()
        try await registry.test { client async throws in
            let browser = Browser(client)
            let passkey = try await withPasskey(browser)
            _ = try await browser.send(.delete, "/api/v1/session")

            let options = try await browser.send(.post, "/api/v1/session/webauthn/options", json: [:])
            #expect((options.json["allowCredentials"] as? [Any])?.isEmpty ?? true)
            #expect(options.json["userVerification"] as? String == "required")
            let signIn = try await browser.send(.post, "/api/v1/session/webauthn", json: try passkey.assert(options: options.json))
            #expect(signIn.status == .ok, "\(signIn.text)")
            #expect(signIn.json["state"] as? String == "authenticated")
            let account = try await browser.send(.get, "/api/v1/account")
            let passkeys = (account.json["secondFactors"] as? [String: Any])?["passkeys"] as? [[String: Any]]
            #expect(passkeys?.first?["name"] as? String == "Laptop")
            #expect(passkeys?.first?["lastUsedAt"] is String)
        }
    }

    @Test func aChallengeWorksOnce() async throws {
        let registry = try await registry()
        try await registry.test { client async throws in
            let browser = Browser(client)
            let passkey = try await withPasskey(browser)
            _ = try await browser.send(.delete, "/api/v1/session")
            let options = try await browser.send(.post, "/api/v1/session/webauthn/options", json: [:])
            #expect(try await browser.send(.post, "/api/v1/session/webauthn", json: try passkey.assert(options: options.json)).status == .ok)
            _ = try await browser.send(.delete, "/api/v1/session")
            let replay = try await browser.send(.post, "/api/v1/session/webauthn", json: try passkey.assert(options: options.json))
            #expect(replay.status == .unauthorized)
        }
    }

    @Test func anExpiredChallengeIsRefused() async throws {
        let registry = try await registry()
        try await registry.test { client async throws in
            let browser = Browser(client)
            let passkey = try await withPasskey(browser)
            let options = try await browser.send(.post, "/api/v1/session/webauthn/options", json: [:])
            clock.advance(301)
            #expect(try await browser.send(.post, "/api/v1/session/webauthn", json: try passkey.assert(options: options.json)).status == .unauthorized)
        }
    }

    @Test func aWrongOriginMissingVerificationOrRegressedCounterIsRefused() async throws {
        let registry = try await registry()
        try await registry.test { client async throws in
            let browser = Browser(client)
            let passkey = try await withPasskey(browser)
            _ = try await browser.send(.delete, "/api/v1/session")
            var options = try await browser.send(.post, "/api/v1/session/webauthn/options", json: [:])
            #expect(try await browser.send(.post, "/api/v1/session/webauthn", json: try passkey.assert(options: options.json, origin: "https://evil.example")).status == .unauthorized)
            options = try await browser.send(.post, "/api/v1/session/webauthn/options", json: [:])
            #expect(try await browser.send(.post, "/api/v1/session/webauthn", json: try passkey.assert(options: options.json, userVerified: false)).status == .unauthorized)
            options = try await browser.send(.post, "/api/v1/session/webauthn/options", json: [:])
            #expect(try await browser.send(.post, "/api/v1/session/webauthn", json: try passkey.assert(options: options.json, counter: 10)).status == .ok)
            _ = try await browser.send(.delete, "/api/v1/session")
            options = try await browser.send(.post, "/api/v1/session/webauthn/options", json: [:])
            let cloned = try await browser.send(.post, "/api/v1/session/webauthn", json: try passkey.assert(options: options.json, counter: 5))
            #expect(cloned.status == .forbidden)
            let events = try await registry.storage.security.events(account: "mona", limit: 20)
            #expect(events.contains { $0.detail.contains("possibly cloned") })
        }
    }

    @Test func aPasskeyIsAStepUpForCreatingATokenAndTheLastOneCantBeRemoved() async throws {
        let registry = try await registry()
        try await registry.test { client async throws in
            let browser = Browser(client)
            let passkey = try await withPasskey(browser)
            clock.advance(11 * 60)
            #expect(try await browser.send(.post, "/api/v1/tokens", json: ["scopes": ["publish"], "packages": ["mona.*"]]).status == .forbidden)
            let options = try await browser.send(.post, "/api/v1/session/webauthn/options", json: ["username": "mona"])
            #expect((options.json["allowCredentials"] as? [[String: Any]])?.count == 1)
            #expect(try await browser.send(.post, "/api/v1/session/webauthn", json: try passkey.assert(options: options.json)).status == .ok)
            #expect(try await browser.send(.post, "/api/v1/tokens", json: ["scopes": ["publish"], "packages": ["mona.*"]]).status == .created)
            let id = SoftPasskey.b64url(passkey.credentialId)
            #expect(try await browser.send(.delete, "/api/v1/account/passkeys/\(id)").status == .conflict)
        }
    }
}
