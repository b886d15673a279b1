import BulwarkAuth
import BulwarkCore
import BulwarkServer
import BulwarkStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

@testable import BulwarkServer

/// `--trusted-proxy`: behind a trusted proxy every per-IP limit, lock and record uses the address
/// `X-Forwarded-For` names; from any other peer the header is ignored. Over real HTTP from 127.0.0.1.
@Suite struct TrustedProxyTests {
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let password = "correct horse battery"

    func registry(trusting proxies: [String]) async throws -> TestRegistry {
        let registry = try await TestRegistry(configure: {
            $0.trustedProxies = try! TrustedProxies.parse(proxies).get()
            $0.security.passwordCost = 4
            $0.security.maxFailures = 2
            $0.limits.requestsPerSecondPerIP = 0.01
            $0.limits.burstPerIP = 6
            $0.limits.requestsPerSecondPerToken = 0
        })
        try await registry.storage.accounts.createAccount(Account(
            name: "mona", email: "mona@example.com", passwordHash: PasswordHasher(cost: 4).hash(Self.password), createdAt: Date()
        ))
        return registry
    }

    func signIn(_ client: some TestClientProtocol, _ username: String, _ password: String, from forwarded: String?) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let forwarded { headers[Self.forwardedFor] = forwarded }
        let body = try JSONSerialization.data(withJSONObject: ["username": username, "password": password])
        return try await client.execute(uri: "/api/v1/session", method: .post, headers: headers, body: ByteBuffer(bytes: body))
    }

    func get(_ client: some TestClientProtocol, _ uri: String, from forwarded: String?, headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        if let forwarded { headers[Self.forwardedFor] = forwarded }
        return try await client.execute(uri: uri, method: .get, headers: headers)
    }

    /// The peer (127.0.0.1) is trusted: two clients behind it have their own sign-in locks and rate
    /// limits, and the security log and the token's last use record the client, not the proxy.
    @Test func behindATrustedProxyEachForwardedClientIsItsOwn() async throws {
        let registry = try await registry(trusting: ["127.0.0.1", "10.0.0.0/8"])
        try await registry.liveClient { client async throws in
                // Client A fails twice (other usernames, so no account lock): A's address is locked.
                for user in ["nobody1", "nobody2"] {
                    #expect(try await signIn(client, user, "wrong", from: "203.0.113.1").status == .unauthorized)
                }
                #expect(try await signIn(client, "mona", Self.password, from: "203.0.113.1").status == .tooManyRequests)
                // ... through a second proxy hop, and with a spoofed entry on the left: still A.
                #expect(try await signIn(client, "mona", Self.password, from: "203.0.113.1, 10.0.0.7").status == .tooManyRequests)
                #expect(try await signIn(client, "mona", Self.password, from: "203.0.113.2, 203.0.113.1").status == .tooManyRequests)
                // Client B, behind the same proxy, signs in.
                let b = try await signIn(client, "mona", Self.password, from: "203.0.113.2")
                #expect(b.status == .ok, "\(b.text)")
                // The security log has the client's address.
                #expect(try await signIn(client, "mona", "wrong", from: "2001:DB8::B").status == .unauthorized)
                let events = try await registry.storage.security.events(account: "mona", limit: 10)
                #expect(events.contains { $0.kind == .signInFailed && $0.ip == "2001:db8::b" }, "\(events)")
                #expect(!events.contains { $0.ip == "127.0.0.1" })

                // A token's last use records the client.
                #expect(try await client.execute(uri: "/login", method: .post, headers: [.authorization: "Bearer \(registry.token)", Self.forwardedFor: "198.51.100.4"]).status == .ok)
                let tokens = try await registry.storage.tokens.tokens(ofAccount: "alice")
                #expect(tokens.map(\.lastUsedIP) == ["198.51.100.4"])

                // Rate limits: C uses up its burst; D is unaffected.
                var statuses: [HTTPResponse.Status] = []
                for _ in 0..<8 { statuses.append(try await get(client, "/availability", from: "198.51.100.30").status) }
                #expect(statuses.contains(.tooManyRequests))
                #expect(try await get(client, "/availability", from: "198.51.100.31").status == .ok)
                // /metrics is for loopback clients: a forwarded outside client is not one.
                #expect(try await get(client, "/metrics", from: "198.51.100.31").status == .forbidden)
                #expect(try await get(client, "/metrics", from: nil).status == .ok, "the proxy host itself")
        }
    }

    /// The peer is not a trusted proxy: whatever X-Forwarded-For it sends, the client is the peer,
    /// so "different" clients share one lock.
    @Test func fromAnUntrustedPeerTheHeaderIsIgnored() async throws {
        let registry = try await registry(trusting: ["10.0.0.0/8", "::1"])
        try await registry.liveClient { client async throws in
                #expect(try await signIn(client, "nobody1", "wrong", from: "203.0.113.1").status == .unauthorized)
                #expect(try await signIn(client, "nobody2", "wrong", from: "203.0.113.2").status == .unauthorized)
                #expect(try await signIn(client, "mona", Self.password, from: "203.0.113.3").status == .tooManyRequests)
                #expect(try await get(client, "/metrics", from: "203.0.113.3").status == .ok, "the loopback peer, not the header")
        }
        let failures = try await registry.storage.security.failures(key: "password-ip:127.0.0.1", since: Date().addingTimeInterval(-60))
        #expect(failures == 2)
    }

    /// The default (no trusted proxy) is today's behaviour: the header changes nothing.
    @Test func withoutTrustedProxiesNothingChanges() async throws {
        let registry = try await registry(trusting: [])
        try await registry.liveClient { client async throws in
                #expect(try await signIn(client, "mona", "wrong", from: "203.0.113.1").status == .unauthorized)
        }
        let events = try await registry.storage.security.events(account: "mona", limit: 10)
        #expect(events.map(\.ip) == ["127.0.0.1"])
    }
}

/// The session cookie is `Secure` when the instance serves TLS or when its public URL is https
/// (TLS ends at a proxy in front); not over plain http.
@Suite struct SecureCookieTests {
    @Test(arguments: [
        ("https://registry.test", true), ("HTTPS://registry.test:8443/", true), ("http://localhost:8080", false), (nil, false),
    ] as [(String?, Bool)])
    func cookieIsSecureBehindAnHTTPSBaseURL(baseURL: String?, secure: Bool) async throws {
        let registry = try await TestRegistry(configure: {
            $0.baseURL = baseURL
            $0.security.passwordCost = 4
        })
        #expect(registry.configuration.secureCookies == secure)
        try await registry.storage.accounts.createAccount(Account(
            name: "mona", email: "mona@example.com", passwordHash: PasswordHasher(cost: 4).hash("correct horse battery"), createdAt: Date()
        ))
        try await registry.test { client in
            let body = try JSONSerialization.data(withJSONObject: ["username": "mona", "password": "correct horse battery"])
            let response = try await client.execute(
                uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: body)
            )
            #expect(response.status == .ok)
            let cookie = try #require(response.headers[values: .setCookie].first { $0.hasPrefix("bulwark_session=") })
            let attributes = cookie.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            #expect(attributes.contains("secure") == secure, "\(cookie)")
            #expect(attributes.contains("httponly") && attributes.contains("samesite=strict"))
        }
    }

    @Test func tlsAloneMakesItSecure() {
        var configuration = ServerConfiguration()
        configuration.baseURL = nil
        #expect(!configuration.secureCookies)
        configuration.tlsCertificatePath = "cert.pem"
        configuration.tlsKeyPath = "key.pem"
        #expect(configuration.secureCookies)
    }
}

extension TestRegistry {
    /// Runs the application on a loopback port and passes HummingbirdTesting's live client.
    func liveClient<T: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        var logger = Logger(label: "bulwark-test")
        logger.logLevel = .error
        let app = try buildApplication(configuration: configuration, storage: storage, logger: logger, now: now)
        return try await app.test(.live, body)
    }
}
