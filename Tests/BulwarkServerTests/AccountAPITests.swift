import BulwarkAuth
import BulwarkCore
import BulwarkServer
import BulwarkStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// A clock the test moves by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = start }
    var now: Date { lock.withLock { current } }
    func advance(_ seconds: TimeInterval) { lock.withLock { current = current.addingTimeInterval(seconds) } }
}

/// A browser-like client over the router: keeps the session cookie and sends the page's Origin.
final class Browser: @unchecked Sendable {
    let client: any TestClientProtocol
    var cookie: String?
    var origin: String? = "https://registry.test"

    init(_ client: any TestClientProtocol) { self.client = client }

    @discardableResult
    func send(_ method: HTTPRequest.Method, _ uri: String, json: [String: Any]? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let cookie { headers[.cookie] = "bulwark_session=\(cookie)" }
        if let origin { headers[HTTPField.Name("Origin")!] = origin }
        var body: ByteBuffer?
        if let json {
            headers[.contentType] = "application/json"
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
        }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: body)
        for setCookie in response.headers[values: .setCookie] where setCookie.hasPrefix("bulwark_session=") {
            let value = setCookie.dropFirst("bulwark_session=".count).prefix { $0 != ";" }
            cookie = value.isEmpty ? nil : String(value)
        }
        return response
    }
}

@Suite struct AccountAPITests {
    let clock = TestClock()

    func registry(_ configure: @escaping (inout ServerConfiguration) -> Void = { _ in }) async throws -> TestRegistry {
        try await TestRegistry(configure: {
            $0.security.passwordCost = 4
            configure(&$0)
        }, now: { [clock] in clock.now })
    }

    /// Signs up `mona`, signs in, enrols TOTP; returns the TOTP generator and the recovery codes.
    func enrolled(_ browser: Browser) async throws -> (TOTP, [String]) {
        #expect(try await browser.send(.post, "/api/v1/accounts", json: ["username": "mona", "email": "mona@example.com", "password": "correct horse battery"]).status == .created)
        let signIn = try await browser.send(.post, "/api/v1/session", json: ["username": "mona", "password": "correct horse battery"])
        #expect(signIn.json["state"] as? String == "enrolment-required")
        let start = try await browser.send(.post, "/api/v1/account/totp")
        let secret = try Base32.decode(try #require(start.json["secret"] as? String))
        #expect((start.json["otpauthURI"] as? String)?.hasPrefix("otpauth://totp/") == true)
        let totp = TOTP(secret: secret)
        let confirm = try await browser.send(.post, "/api/v1/account/totp/confirm", json: ["code": totp.code(at: clock.now)])
        #expect(confirm.status == .ok, "\(confirm.text)")
        let codes = try #require(confirm.json["recoveryCodes"] as? [String])
        #expect(codes.count == 10)
        #expect(try await browser.send(.post, "/api/v1/scopes", json: ["name": "mona"]).status == .created)
        return (totp, codes)
    }

    @Test func signUpEnrolTOTPThenSignInWithACode() async throws {
        let registry = try await registry()
        try await registry.test { client async throws in
            let browser = Browser(client)
            let (totp, _) = try await enrolled(browser)
            #expect(try await browser.send(.delete, "/api/v1/session").status == .noContent)
            #expect(try await browser.send(.get, "/api/v1/account").status == .unauthorized)

            let signIn = try await browser.send(.post, "/api/v1/session", json: ["username": "mona", "password": "correct horse battery"])
            #expect(signIn.json["state"] as? String == "second-factor-required")
            #expect(signIn.json["methods"] as? [String] == ["totp", "recovery-code"])
            // Half-signed-in sessions can't see the account's tokens.
            #expect(try await browser.send(.get, "/api/v1/tokens").status == .unauthorized)
            clock.advance(30)
            let second = try await browser.send(.post, "/api/v1/session/totp", json: ["code": totp.code(at: clock.now)])
            #expect(second.json["state"] as? String == "authenticated")
            let account = try await browser.send(.get, "/api/v1/account")
            #expect(account.json["username"] as? String == "mona")
            #expect((account.json["secondFactors"] as? [String: Any])?["totp"] as? Bool == true)
        }
    }

    @Test func aTOTPCodeCannotBeReplayed() async throws {
        let registry = try await registry()
        try await registry.test { client async throws in
            let browser = Browser(client)
            let (totp, _) = try await enrolled(browser)
            _ = try await browser.send(.delete, "/api/v1/session")
            clock.advance(30)
            let code = totp.code(at: clock.now)
            _ = try await browser.send(.post, "/api/v1/session", json: ["username": "mona", "password": "correct horse battery"])
            #expect(try await browser.send(.post, "/api/v1/session/totp", json: ["code": code]).status == .ok)
            _ = try await browser.send(.delete, "/api/v1/session")
            _ = try await browser.send(.post, "/api/v1/session", json: ["username": "mona", "password": "correct horse battery"])
            let replay = try await browser.send(.post, "/api/v1/session/totp", json: ["code": code])
            #expect(replay.status == .unauthorized)
        }
    }

    @Test func aWrongPasswordIsRefusedAndThrottled() async throws {
        let registry = try await registry()
        try await registry.test { client async throws in
            let browser = Browser(client)
            _ = try await enrolled(browser)
            _ = try await browser.send(.delete, "/api/v1/session")
            for _ in 0..<5 {
                let wrong = try await browser.send(.post, "/api/v1/session", json: ["username": "mona", "password": "wrong password!!"])
                #expect(wrong.status == .unauthorized)
            }
            let locked = try await browser.send(.post, "/api/v1/session", json: ["username": "mona", "password": "correct horse battery"])
            #expect(locked.status == .tooManyRequests)
            clock.advance(16 * 60)
            let later = try await browser.send(.post, "/api/v1/session", json: ["username": "mona", "password": "correct horse battery"])
            #expect(later.status == .ok)
        }
    }

    @Test func wrongTOTPCodesLockTheFactorAfterFiveFailures() async throws {
        let registry = try await registry()
        try await registry.test { client async throws in
            let browser = Browser(client)
            let (totp, _) = try await enrolled(browser)
            _ = try await browser.send(.delete, "/api/v1/session")
            _ = try await browser.send(.post, "/api/v1/session", json: ["username": "mona", "password": "correct horse battery"])
            for _ in 0..<5 { #expect(try await browser.send(.post, "/api/v1/session/totp", json: ["code": "000000"]).status == .unauthorized) }
            clock.advance(30)
            let locked = try await browser.send(.post, "/api/v1/session/totp", json: ["code": totp.code(at: clock.now)])
            #expect(locked.status == .tooManyRequests)
            let events = try await registry.storage.security.events(account: "mona", limit: 50)
            #expect(events.filter { $0.kind == .secondFactorFailed }.count == 5)
        }
    }

    @Test func aRecoveryCodeWorksOnce() async throws {
        let registry = try await registry()
        try await registry.test { client async throws in
            let browser = Browser(client)
            let (_, codes) = try await enrolled(browser)
            for attempt in 0..<2 {
                _ = try await browser.send(.delete, "/api/v1/session")
                _ = try await browser.send(.post, "/api/v1/session", json: ["username": "mona", "password": "correct horse battery"])
                let response = try await browser.send(.post, "/api/v1/session/recovery-code", json: ["code": codes[0].uppercased()])
                #expect(response.status == (attempt == 0 ? .ok : .unauthorized))
            }
            let events = try await registry.storage.security.events(account: "mona", limit: 50)
            #expect(events.contains { $0.kind == .recoveryCodeUsed })
        }
    }

    @Test func creatingATokenNeedsARecentSecondFactor() async throws {
        let registry = try await registry()
        try await registry.test { client async throws in
            let browser = Browser(client)
            let (totp, _) = try await enrolled(browser)
            let fresh = try await browser.send(.post, "/api/v1/tokens", json: ["name": "ci", "scopes": ["publish"], "packages": ["mona.*"], "expiresInDays": 30])
            #expect(fresh.status == .created, "\(fresh.text)")
            let token = try #require(fresh.json["token"] as? String)
            #expect(token.hasPrefix("bwk_"))

            clock.advance(11 * 60)
            let stale = try await browser.send(.post, "/api/v1/tokens", json: ["scopes": ["publish"], "packages": ["mona.*"]])
            #expect(stale.status == .forbidden)
            #expect(stale.json["type"] as? String == "https://bulwark.dev/problems/step-up-required")
            #expect(try await browser.send(.post, "/api/v1/session/totp", json: ["code": totp.code(at: clock.now)]).status == .ok)
            #expect(try await browser.send(.post, "/api/v1/tokens", json: ["scopes": ["publish"], "packages": ["mona.*"]]).status == .created)

            // The token publishes through the Swift registry API.
            let archive = try Archives.package(root: "mona.pkg")
            let publish = try await client.publish("/mona/pkg/1.0.0", PublishBody(archive: archive), token: token)
            #expect(publish.status == .created)

            let list = try await browser.send(.get, "/api/v1/tokens")
            let tokens = try #require(list.json["tokens"] as? [[String: Any]])
            #expect(tokens.count == 2)
            let id = try #require(fresh.json["id"] as? String)
            #expect(try await browser.send(.delete, "/api/v1/tokens/\(id)").status == .noContent)
            #expect(try await client.publish("/mona/pkg/1.0.1", PublishBody(archive: archive), token: token).status == .unauthorized)
            let events = try await browser.send(.get, "/api/v1/account/events")
            let kinds = (events.json["events"] as? [[String: Any]])?.compactMap { $0["kind"] as? String } ?? []
            #expect(kinds.contains("token-created") && kinds.contains("token-revoked") && kinds.contains("factor-added"))
        }
    }

    @Test func stateChangingCookieRequestsNeedTheRegistrysOrigin() async throws {
        let registry = try await registry()
        try await registry.test { client async throws in
            let browser = Browser(client)
            _ = try await enrolled(browser)
            browser.origin = nil
            #expect(try await browser.send(.post, "/api/v1/tokens", json: ["scopes": ["publish"], "packages": ["mona.*"]]).status == .forbidden)
            browser.origin = "https://evil.example"
            #expect(try await browser.send(.post, "/api/v1/tokens", json: ["scopes": ["publish"], "packages": ["mona.*"]]).status == .forbidden)
            browser.origin = "https://registry.test"
            #expect(try await browser.send(.post, "/api/v1/tokens", json: ["scopes": ["publish"], "packages": ["mona.*"]]).status == .created)
        }
    }

    @Test func theLastSecondFactorCannotBeRemovedWhile2FAIsRequired() async throws {
        let registry = try await registry()
        try await registry.test { client async throws in
            let browser = Browser(client)
            _ = try await enrolled(browser)
            let response = try await browser.send(.delete, "/api/v1/account/totp")
            #expect(response.status == .conflict)
        }
    }

    @Test func anAccountWithoutASecondFactorCanOnlyEnrol() async throws {
        let registry = try await registry()
        try await registry.test { client async throws in
            let browser = Browser(client)
            _ = try await browser.send(.post, "/api/v1/accounts", json: ["username": "mona", "email": "mona@example.com", "password": "correct horse battery"])
            _ = try await browser.send(.post, "/api/v1/session", json: ["username": "mona", "password": "correct horse battery"])
            #expect(try await browser.send(.post, "/api/v1/tokens", json: ["scopes": ["publish"], "packages": ["mona.*"]]).status == .unauthorized)
            #expect(try await browser.send(.post, "/api/v1/account/totp").status == .ok)
        }
    }

    @Test func signUpCanBeSwitchedOffAndValidatesItsInput() async throws {
        let closed = try await registry { $0.security.allowSignUp = false }
        try await closed.test { client async throws in
            let response = try await Browser(client).send(.post, "/api/v1/accounts", json: ["username": "mona", "email": "m@example.com", "password": "correct horse battery"])
            #expect(response.status == .forbidden)
        }
        let open = try await registry()
        try await open.test { client async throws in
            let browser = Browser(client)
            #expect(try await browser.send(.post, "/api/v1/accounts", json: ["username": "mona", "email": "m@example.com", "password": "short"]).status == .unprocessableContent)
            #expect(try await browser.send(.post, "/api/v1/accounts", json: ["username": "bad name", "email": "m@example.com", "password": "correct horse battery"]).status == .unprocessableContent)
            #expect(try await browser.send(.post, "/api/v1/accounts", json: ["username": "alice", "email": "m@example.com", "password": "correct horse battery"]).status == .conflict)
            #expect(try await browser.send(.post, "/api/v1/accounts", json: ["nonsense": true]).status == .badRequest)
        }
    }
}
