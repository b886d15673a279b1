import BulwarkAuth
import BulwarkCore
import BulwarkServer
import BulwarkStorage
import BulwarkTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// Concurrency at the security boundary: whatever arrives at the same time, a version is published
/// once, a second factor is used once, and a revoked token stops working within the documented bound.
@Suite struct RaceTests {
    let clock = TestClock()

    /// Files under `blobs/<sub>` of a registry's data directory (recursively).
    func files(_ registry: TestRegistry, under sub: String) -> [String] {
        let root = registry.directory.appendingPathComponent("blobs").appendingPathComponent(sub)
        guard let enumerator = FileManager.default.enumerator(atPath: root.path) else { return [] }
        return enumerator.compactMap { $0 as? String }.filter { $0.hasSuffix(".zip") || sub == "tmp" }
    }

    /// Runs `body` against the registry over real HTTP on a loopback port (`.live`) or straight
    /// through the router (`.router`).
    func test<T>(_ registry: TestRegistry, live: Bool, _ body: @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        guard live else { return try await registry.test(body) }
        var logger = Logger(label: "bulwark-race-test")
        logger.logLevel = .error
        var configuration = registry.configuration
        configuration.port = 0
        let app = try buildApplication(configuration: configuration, storage: registry.storage, logger: logger, now: registry.now)
        return try await app.test(.live, body)
    }

    // MARK: Publishing

    @Test(arguments: [false, true])
    func fiftyConcurrentPublishesOfTheSameVersionStoreExactlyOne(live: Bool) async throws {
        let registry = try await TestRegistry()
        // Fifty different archives, so the stored one can be matched to the request that won.
        let archives: [[UInt8]] = try (0..<50).map { index in
            try Archives.package(files: [
                "Package.swift": "// swift-tools-version:5.9\nimport PackageDescription\nlet package = Package(name: \"Pkg\") // \(index)\n",
                "Sources/Pkg/Pkg.swift": "public let answer = \(index)\n",
            ])
        }
        let token = registry.token
        let results: [(Int, HTTPResponse.Status)] = try await test(registry, live: live) { client async throws in
            try await withThrowingTaskGroup(of: (Int, HTTPResponse.Status).self) { group in
                for (index, archive) in archives.enumerated() {
                    group.addTask {
                        (index, try await client.publish("/test/pkg/1.0.0", PublishBody(archive: archive), token: token).status)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        let winners = results.filter { $0.1 == .created }
        #expect(winners.count == 1, "\(results.map(\.1.code))")
        #expect(results.filter { $0.1 == .conflict }.count == 49, "\(results.map(\.1.code))")
        let winner = try #require(winners.first).0

        let release = try #require(try await registry.storage.releases.release(try PackageIdentifier("test.pkg"), version: try SemanticVersion("1.0.0")))
        #expect(release.checksum == sha256Hex(archives[winner]))
        #expect(try await registry.storage.releases.releases(of: try PackageIdentifier("test.pkg")).count == 1)
        try await registry.test { client async throws in
            let info = try await client.execute(uri: "/test/pkg/1.0.0", method: .get)
            let resources = info.json["resources"] as? [[String: Any]]
            #expect(resources?.first?["checksum"] as? String == sha256Hex(archives[winner]))
            let zip = try await client.execute(uri: "/test/pkg/1.0.0.zip", method: .get)
            #expect(zip.status == .ok)
            #expect(sha256Hex(Array(zip.body.readableBytesView)) == sha256Hex(archives[winner]))
        }
        // Losers that got as far as the blob store remove their archive again: only the winner's is
        // left, and no temporary file.
        #expect(files(registry, under: "tmp").isEmpty, "\(files(registry, under: "tmp"))")
        #expect(try await registry.storage.blobs.exists(checksum: release.checksum))
        #expect(files(registry, under: "sha256").count == 1, "\(files(registry, under: "sha256"))")
    }

    @Test func concurrentPublishesOfDifferentVersionsAllSucceed() async throws {
        let registry = try await TestRegistry()
        let archive = try Archives.package()
        let token = registry.token
        let statuses: [HTTPResponse.Status] = try await registry.test { client async throws in
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for minor in 0..<20 {
                    group.addTask { try await client.publish("/test/pkg/1.\(minor).0", PublishBody(archive: archive), token: token).status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        #expect(statuses.allSatisfy { $0 == .created }, "\(statuses.map(\.code))")
        let versions = try await registry.storage.releases.releases(of: try PackageIdentifier("test.pkg")).map(\.version.description)
        #expect(Set(versions) == Set((0..<20).map { "1.\($0).0" }))
        #expect(files(registry, under: "tmp").isEmpty)
    }

    // MARK: Token revocation

    /// `PUT` without a body: 401 when the token is refused, 415 (missing multipart) when it is accepted.
    func tokenAccepted(_ client: any TestClientProtocol, _ token: String) async throws -> Bool {
        let response = try await client.execute(uri: "/test/pkg/9.9.9", method: .put, headers: [.authorization: "Bearer \(token)"], body: nil)
        #expect(response.status == .unauthorized || response.status == .unsupportedMediaType, "\(response.status)")
        return response.status != .unauthorized
    }

    func revoke(_ registry: TestRegistry, _ token: String, at date: Date) async throws {
        let hash = APIToken.hash(token)
        let record = try #require(try await registry.storage.tokens.tokens(ofAccount: "alice").first { $0.hash == hash })
        try await registry.storage.tokens.revokeToken(id: record.id, at: date)
    }

    @Test func withoutACacheRevocationTakesEffectForTheNextRequest() async throws {
        let clock = TestClock(Date())  // the token expires an hour from the real now
        let registry = try await TestRegistry(configure: { $0.tokenCacheSeconds = 0 }, now: { [clock] in clock.now })
        try await registry.test { client async throws in
            #expect(try await tokenAccepted(client, registry.token))
            try await revoke(registry, registry.token, at: clock.now)
            #expect(try await !tokenAccepted(client, registry.token))
            // A publish racing the revocation: everything after it is refused.
            let archive = try Archives.package()
            let publish = try await client.publish("/test/pkg/1.0.0", PublishBody(archive: archive), token: registry.token)
            #expect(publish.status == .unauthorized)
        }
    }

    /// With `tokenCacheSeconds = 10` (the default), a token verified just before it is revoked keeps
    /// working for less than 10 s of the server's clock, and never from then on.
    @Test func withACacheRevocationTakesEffectWithinTheCacheTime() async throws {
        let clock = TestClock(Date())  // the token expires an hour from the real now
        let registry = try await TestRegistry(configure: { $0.tokenCacheSeconds = 10 }, now: { [clock] in clock.now })
        try await registry.test { client async throws in
            #expect(try await tokenAccepted(client, registry.token))  // cached at t0
            try await revoke(registry, registry.token, at: clock.now)
            #expect(try await tokenAccepted(client, registry.token))  // still cached: the documented bound
            clock.advance(9.9)
            #expect(try await tokenAccepted(client, registry.token))
            clock.advance(0.1)  // t0 + 10 s
            #expect(try await !tokenAccepted(client, registry.token))
            clock.advance(3600)
            #expect(try await !tokenAccepted(client, registry.token))
        }
    }

    @Test func aTokenRevokedBeforeItWasEverCachedIsRefusedImmediately() async throws {
        let clock = TestClock(Date())  // the token expires an hour from the real now
        let registry = try await TestRegistry(configure: { $0.tokenCacheSeconds = 10 }, now: { [clock] in clock.now })
        try await registry.test { client async throws in
            try await revoke(registry, registry.token, at: clock.now)
            #expect(try await !tokenAccepted(client, registry.token))
        }
    }

    // MARK: Second factors

    static let password = "correct horse battery"

    func accountRegistry() async throws -> TestRegistry {
        try await TestRegistry(configure: { $0.security.passwordCost = 4 }, now: { [clock] in clock.now })
    }

    /// Signs up `mona` and enrols TOTP; returns the generator. The browser is left signed in.
    func enrolTOTP(_ browser: Browser) async throws -> TOTP {
        #expect(try await browser.send(.post, "/api/v1/accounts", json: ["username": "mona", "email": "mona@example.com", "password": Self.password]).status == .created)
        _ = try await browser.send(.post, "/api/v1/session", json: ["username": "mona", "password": Self.password])
        let start = try await browser.send(.post, "/api/v1/account/totp")
        let totp = TOTP(secret: try Base32.decode(try #require(start.json["secret"] as? String)))
        let confirm = try await browser.send(.post, "/api/v1/account/totp/confirm", json: ["code": totp.code(at: clock.now)])
        #expect(confirm.status == .ok, "\(confirm.text)")
        return totp
    }

    /// `count` browsers, each with its own session that has passed the password step.
    func halfSignedIn(_ client: any TestClientProtocol, count: Int) async throws -> [Browser] {
        var browsers: [Browser] = []
        for _ in 0..<count {
            let browser = Browser(client)
            let signIn = try await browser.send(.post, "/api/v1/session", json: ["username": "mona", "password": Self.password])
            #expect(signIn.json["state"] as? String == "second-factor-required", "\(signIn.text)")
            browsers.append(browser)
        }
        return browsers
    }

    func concurrently(_ browsers: [Browser], _ path: String, json: @escaping @Sendable (Int) throws -> [String: Any]) async throws -> [HTTPResponse.Status] {
        let bodies = try browsers.indices.map { try json($0) }
        return try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
            for (browser, body) in zip(browsers, bodies) {
                nonisolated(unsafe) let body = body
                group.addTask { try await browser.send(.post, path, json: body).status }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test func theSameTOTPCodeSubmittedConcurrentlyTwentyTimesWorksAtMostOnce() async throws {
        let registry = try await accountRegistry()
        try await registry.test { client async throws in
            let totp = try await enrolTOTP(Browser(client))
            clock.advance(30)
            let code = totp.code(at: clock.now)
            let browsers = try await halfSignedIn(client, count: 20)
            let statuses = try await concurrently(browsers, "/api/v1/session/totp") { _ in ["code": code] }
            #expect(statuses.filter { $0 == .ok }.count <= 1, "\(statuses.map(\.code))")
            #expect(statuses.allSatisfy { [.ok, .unauthorized, .tooManyRequests].contains($0) }, "\(statuses.map(\.code))")
            // Only a session that got 200 is signed in (half-signed-in sessions can't list tokens).
            var authenticated = 0
            for browser in browsers where try await browser.send(.get, "/api/v1/tokens").status == .ok { authenticated += 1 }
            #expect(authenticated == statuses.filter { $0 == .ok }.count)
        }
    }

    @Test func concurrentWrongCodesCannotBypassTheFailureLimit() async throws {
        let registry = try await accountRegistry()
        try await registry.test { client async throws in
            let totp = try await enrolTOTP(Browser(client))
            let browsers = try await halfSignedIn(client, count: 20)
            // Twenty codes that are wrong for every time step the verifier accepts (±1).
            let accepted = Set([-30.0, 0, 30].map { totp.code(at: clock.now.addingTimeInterval($0)) })
            let wrong = (1...40).map { String(format: "%06d", (Int(totp.code(at: clock.now))! + $0 * 7919) % 1_000_000) }
                .filter { !accepted.contains($0) }.prefix(20).map { $0 }
            let statuses = try await concurrently(browsers, "/api/v1/session/totp") { index in ["code": wrong[index]] }
            #expect(!statuses.contains(.ok), "\(statuses.map(\.code))")
            // At most five failures are counted before the lock; the right code is refused afterwards.
            clock.advance(30)
            let late = try await halfSignedIn(client, count: 1)[0]
            let locked = try await late.send(.post, "/api/v1/session/totp", json: ["code": totp.code(at: clock.now)])
            #expect(locked.status == .tooManyRequests, "\(locked.status) \(locked.text)")
        }
    }

    @Test func theSameWebAuthnAssertionPostedConcurrentlyTenTimesWorksAtMostOnce() async throws {
        let registry = try await accountRegistry()
        try await registry.test { client async throws in
            let owner = Browser(client)
            _ = try await owner.send(.post, "/api/v1/accounts", json: ["username": "mona", "email": "mona@example.com", "password": Self.password])
            _ = try await owner.send(.post, "/api/v1/session", json: ["username": "mona", "password": Self.password])
            let creation = try await owner.send(.post, "/api/v1/account/passkeys/options")
            let passkey = SoftPasskey()
            let registered = try await owner.send(.post, "/api/v1/account/passkeys", json: ["credential": passkey.register(options: creation.json), "name": "Laptop"])
            #expect(registered.status == .created, "\(registered.text)")

            // One challenge, one signed assertion, posted by ten sessionless browsers at once.
            let browsers = (0..<10).map { _ in Browser(client) }
            let options = try await browsers[0].send(.post, "/api/v1/session/webauthn/options", json: [:])
            #expect(options.status == .ok)
            let assertion = try passkey.assert(options: options.json)
            let payload = try JSONSerialization.data(withJSONObject: assertion)
            let statuses = try await concurrently(browsers, "/api/v1/session/webauthn") { _ in
                try JSONSerialization.jsonObject(with: payload) as! [String: Any]
            }
            #expect(statuses.filter { $0 == .ok }.count <= 1, "\(statuses.map(\.code))")
            #expect(!statuses.contains { $0.code >= 500 }, "\(statuses.map(\.code))")
        }
    }
}
