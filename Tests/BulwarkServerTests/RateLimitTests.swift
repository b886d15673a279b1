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
import Synchronization
import Testing

@testable import BulwarkServer

/// Request rates per IP and per token (429 + Retry-After), and sessions per account.
@Suite struct RateLimitTests {
    /// A clock for the token buckets, moved by hand.
    final class ManualClock: Sendable {
        private let value = Mutex<Double>(1000)
        func advance(_ seconds: Double) { value.withLock { $0 += seconds } }
        var read: @Sendable () -> Double { { self.value.withLock { $0 } } }
    }

    @Test func bucketAllowsABurstThenTheSustainedRate() {
        let clock = ManualClock()
        let limiter = RateLimiter(rate: 2, burst: 3, clock: clock.read)
        #expect((0..<3).map { _ in limiter.take("a") } == [.allowed, .allowed, .allowed])
        guard case .limited(let wait) = limiter.take("a") else { Issue.record("the 4th request was allowed"); return }
        #expect(abs(wait - 0.5) < 0.001)
        #expect(limiter.take("b") == .allowed, "another key has its own bucket")
        clock.advance(0.5)
        #expect(limiter.take("a") == .allowed)
        #expect(limiter.take("a") != .allowed)
        clock.advance(100)
        #expect((0..<3).map { _ in limiter.take("a") } == [.allowed, .allowed, .allowed], "refills up to the burst, not beyond")
        #expect(limiter.take("a") != .allowed)
    }

    /// A token's bucket key: the first 16 bytes of its SHA-256 in lower-case hex (the token itself is
    /// never kept); only `Bearer` credentials have one.
    @Test func aTokensBucketKeyIsItsHashedPrefix() {
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
        #expect(RateLimitMiddleware<BulwarkRequestContext>.tokenKey("Bearer abc") == "ba7816bf8f01cfea414140de5dae2223")
        #expect(RateLimitMiddleware<BulwarkRequestContext>.tokenKey("bearer abc") == "ba7816bf8f01cfea414140de5dae2223")
        #expect(RateLimitMiddleware<BulwarkRequestContext>.tokenKey("Basic abc") == nil)
        #expect(RateLimitMiddleware<BulwarkRequestContext>.tokenKey("Bearer ") == nil)
        #expect(RateLimitMiddleware<BulwarkRequestContext>.tokenKey(nil) == nil)
    }

    @Test func zeroRateTurnsTheLimitOff() {
        let limiter = RateLimiter(rate: 0, burst: 1)
        #expect(!limiter.isEnabled)
        #expect((0..<1000).allSatisfy { _ in limiter.take("a") == .allowed })
        #expect(limiter.count == 0)
    }

    @Test func memoryIsBounded() {
        let clock = ManualClock()
        let limiter = RateLimiter(rate: 1, burst: 5, maxKeys: 64, shards: 4, clock: clock.read)
        for i in 0..<10_000 { _ = limiter.take("client-\(i)") }
        #expect(limiter.count <= 64)
    }

    @Test func ratesParse() {
        #expect(TrafficLimits.parseRate("100") == 100)
        #expect(TrafficLimits.parseRate("20/s") == 20)
        #expect(TrafficLimits.parseRate("120/min") == 2)
        #expect(TrafficLimits.parseRate("3600/h") == 1)
        #expect(TrafficLimits.parseRate("0") == 0)
        #expect(TrafficLimits.parseRate("ten") == nil)
        #expect(TrafficLimits.parseRate("5/fortnight") == nil)
        #expect(TrafficLimits.parseRate("-1") == nil)
    }

    /// Over real HTTP, from 127.0.0.1 and 127.0.0.2: the limited IP gets 429 with Retry-After and a
    /// problem detail; the other address is unaffected.
    @Test func perIPLimitAnswers429WithRetryAfterAndSparesOtherIPs() async throws {
        let registry = try await TestRegistry(configure: {
            $0.limits.requestsPerSecondPerIP = 0.01
            $0.limits.burstPerIP = 3
            $0.limits.requestsPerSecondPerToken = 0
        })
        try await registry.testLive { port in try await onThread {
            let first = try RawConnection(port: port)
            for _ in 0..<3 {
                #expect(first.request("GET /availability HTTP/1.1\r\nHost: x\r\n\r\n")?.status == 200)
            }
            let limited = try #require(first.request("GET /availability HTTP/1.1\r\nHost: x\r\n\r\n"))
            #expect(limited.status == 429)
            #expect(limited.headers["content-type"] == "application/problem+json")
            #expect(limited.text.contains("too many requests from your address"))
            let retryAfter = try #require(limited.headers["retry-after"].flatMap(Int.init))
            #expect(retryAfter >= 1 && retryAfter <= 100)
            // A new connection from the same address is limited too; health checks are not counted.
            let again = try RawConnection(port: port)
            #expect(again.request("GET /api/v1/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n")?.status == 429)
            #expect(again.request("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")?.status == 200)
            // Another client address is unaffected.
            let other = try RawConnection(port: port, from: "127.0.0.2")
            for _ in 0..<3 {
                #expect(other.request("GET /availability HTTP/1.1\r\nHost: x\r\n\r\n")?.status == 200)
            }
        } }
    }

    /// Per token, separately from per IP: one token's limit doesn't touch another token or
    /// anonymous requests.
    @Test func perTokenLimitIsSeparate() async throws {
        let registry = try await TestRegistry(configure: {
            $0.limits.requestsPerSecondPerIP = 0
            // One request per ~17 minutes after the burst: nothing refills during the test, however
            // slowly a loaded machine runs it.
            $0.limits.requestsPerSecondPerToken = 0.001
            $0.limits.burstPerToken = 2
        })
        let other = try await TestRegistry.makeToken(registry.storage, packages: ["test.*"])
        try await registry.test { client in
            for _ in 0..<2 {
                #expect(try await client.execute(uri: "/availability", method: .get, headers: registry.bearer).status == .ok)
            }
            let limited = try await client.execute(uri: "/availability", method: .get, headers: registry.bearer)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter].flatMap(Int.init).map { $0 >= 1 } == true)
            #expect(limited.problemDetail?.contains("too many requests with this token") == true)
            // A publish with the limited token is refused before anything is read or stored.
            let publish = try await client.publish("/test/pkg/1.0.0", PublishBody(archive: try Archives.package()), token: registry.token)
            #expect(publish.status == .tooManyRequests)
            #expect(try await registry.storage.releases.releases(of: PackageIdentifier("test.pkg")).isEmpty)
            #expect(try await client.execute(uri: "/availability", method: .get, headers: [.authorization: "Bearer \(other)"]).status == .ok)
            #expect(try await client.execute(uri: "/availability", method: .get).status == .ok)
        }
    }

    @Test func defaultsAreOnAndConfigurable() {
        let limits = TrafficLimits()
        #expect(limits.requestsPerSecondPerIP > 0 && limits.burstPerIP >= limits.requestsPerSecondPerIP)
        #expect(limits.requestsPerSecondPerToken > 0)
        #expect(limits.maxConnectionsPerIP > 0 && limits.requestHeaderTimeout > 0 && limits.requestBodyTimeout > 0)
    }

    /// Beyond `maxSessionsPerAccount`, a new sign-in ends the least recently used session.
    @Test(arguments: [2, 0])
    func sessionsPerAccountAreBounded(limit: Int) async throws {
        let registry = try await TestRegistry(configure: {
            $0.security.passwordCost = 4
            $0.security.require2FA = false
            $0.security.maxSessionsPerAccount = limit
        })
        try await registry.test { client in
            let browsers = (0..<3).map { _ in Browser(client) }
            #expect(try await browsers[0].send(.post, "/api/v1/accounts", json: ["username": "mona", "email": "m@example.com", "password": "correct horse battery"]).status == .created)
            for browser in browsers {
                let signIn = try await browser.send(.post, "/api/v1/session", json: ["username": "mona", "password": "correct horse battery"])
                #expect(signIn.status == .ok, "\(signIn.text)")
            }
            let statuses = try await browsers.asyncMap { try await $0.send(.get, "/api/v1/account").status }
            if limit == 2 {
                #expect(statuses == [.unauthorized, .ok, .ok], "the oldest session was ended")
            } else {
                #expect(statuses == [.ok, .ok, .ok], "0 turns the limit off")
            }
        }
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}

extension TestRegistry {
    /// Runs the application on a loopback port and passes the port to `body`.
    func testLive<T: Sendable>(_ body: @Sendable @escaping (Int) async throws -> T) async throws -> T {
        var logger = Logger(label: "bulwark-test")
        logger.logLevel = .error
        let app = try buildApplication(configuration: configuration, storage: storage, logger: logger, now: now)
        return try await app.test(.live) { client in
            let port = try #require(client.port)
            return try await body(port)
        }
    }
}
