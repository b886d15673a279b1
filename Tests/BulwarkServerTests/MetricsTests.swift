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

/// `GET /metrics` (Prometheus text), who may read it, request ids and structured logs.
@Suite struct MetricsTests {
    static let metricsToken = "metrics-token-0123456789abcdef"

    /// Log records, kept for inspection.
    final class LogCapture: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
    }

    struct CapturingHandler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
            let all = metadata.merging(extra ?? [:]) { _, new in new }
            let rendered = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            capture.lines.withLock { $0.append("\(level) \(message) \(rendered)") }
        }
    }

    /// Parses `name{labels} value` lines into a dictionary.
    static func parse(_ text: String) -> [String: Double] {
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            values[String(line[..<space])] = value
        }
        return values
    }

    @Test func metricsCountRequestsPublishesSignInsAndTokens() async throws {
        let registry = try await TestRegistry(configure: {
            $0.metricsToken = Self.metricsToken
            $0.tokenCacheSeconds = 10
            $0.security.passwordCost = 4
            $0.limits.requestsPerSecondPerToken = 0
        })
        let capture = LogCapture()
        let logger = Logger(label: "bulwark-test") { _ in CapturingHandler(capture: capture) }
        let app = try buildApplication(configuration: registry.configuration, storage: registry.storage, logger: logger, now: registry.now)
        let archive = try Archives.package()
        try await app.test(.router) { client in
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            let missing = try await client.execute(uri: "/test/pkg", method: .get, headers: [HTTPField.Name("X-Request-Id")!: "client-chosen-id.1"])
            #expect(missing.status == .notFound)
            #expect(missing.headers[HTTPField.Name("X-Request-Id")!] == "client-chosen-id.1", "a safe client id is echoed")
            let generated = try await client.execute(uri: "/healthz", method: .get, headers: [HTTPField.Name("X-Request-Id")!: "bad id with spaces"])
            let id = try #require(generated.headers[HTTPField.Name("X-Request-Id")!])
            #expect(id != "bad id with spaces" && !id.isEmpty, "an unsafe id is replaced")
            #expect(try await client.publish("/test/pkg/1.0.0", PublishBody(archive: archive), token: registry.token).status == .created)
            #expect(try await client.publish("/test/pkg/1.0.0", PublishBody(archive: archive), token: registry.token).status == .conflict)
            #expect(try await client.publish("/test/pkg/1.0.1", PublishBody(archive: archive), token: nil).status == .unauthorized)
            #expect(try await client.execute(uri: "/test/pkg/1.0.0", method: .get).status == .ok)
            let signIn = try await client.execute(
                uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"username":"alice","password":"wrong password 123"}"#)
            )
            #expect(signIn.status == .unauthorized)
            let totp = try await client.execute(
                uri: "/api/v1/session/totp", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: #"{"code":"123456"}"#)
            )
            #expect(totp.status.code >= 400)

            let response = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(Self.metricsToken)"])
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = response.text
            let m = Self.parse(text)
            #expect(m[#"bulwark_http_requests_total{route="/healthz",method="GET",status="200"}"#] == 2)
            #expect(m[#"bulwark_http_requests_total{route="/{scope}/{name}",method="GET",status="404"}"#] == 1, "route template, not the path")
            #expect(m[#"bulwark_http_requests_total{route="/{scope}/{name}/{version}",method="PUT",status="201"}"#] == 1)
            #expect(m[#"bulwark_http_request_duration_seconds_count{route="/{scope}/{name}/{version}",method="PUT",status="201"}"#] == 1)
            #expect(m[#"bulwark_http_request_duration_seconds_bucket{route="/healthz",method="GET",status="200",le="+Inf"}"#] == 2)
            #expect(!text.contains("/test/pkg"), "raw paths never become labels")
            #expect(m[#"bulwark_publishes_total{outcome="accepted",reason="published"}"#] == 1)
            #expect(m[#"bulwark_publishes_total{outcome="rejected",reason="conflict"}"#] == 1)
            #expect(m[#"bulwark_publishes_total{outcome="rejected",reason="unauthenticated"}"#] == 1)
            #expect(m[#"bulwark_sign_in_attempts_total{method="password",result="failure"}"#] == 1)
            #expect(m[#"bulwark_second_factor_failures_total{method="totp"}"#] == 1)
            // The first publish looked the token up; the second found it in the cache.
            #expect(m[#"bulwark_token_verifications_total{result="valid",cache="miss"}"#] == 1)
            #expect(m[#"bulwark_token_verifications_total{result="valid",cache="hit"}"#] == 1)
            #expect(m["bulwark_token_cache_hit_ratio"] == 0.5)
            #expect((m[#"bulwark_storage_duration_seconds_count{store="releases",operation="insert"}"#] ?? 0) >= 1)
            #expect((m[#"bulwark_storage_duration_seconds_count{store="tokens",operation="token"}"#] ?? 0) == 1)
        }
        // Structured logs carry the request id, and no secret.
        let lines = capture.all
        #expect(lines.contains { $0.contains("request_id=client-chosen-id.1") && $0.contains("route=/{scope}/{name}") && $0.contains("status=404") })
        #expect(!lines.contains { $0.contains(registry.token) || $0.contains("wrong password") || $0.contains(Self.metricsToken) })
    }

    @Test func metricsNeedTheTokenWhenOneIsConfigured() async throws {
        let registry = try await TestRegistry(configure: { $0.metricsToken = Self.metricsToken })
        try await registry.test { client in
            let none = try await client.execute(uri: "/metrics", method: .get)
            #expect(none.status == .unauthorized)
            #expect(none.headers[.contentType] == "application/problem+json")
            #expect(try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer wrong-token-0123456789"]).status == .unauthorized)
            #expect(try await client.execute(uri: "/metrics", method: .get, headers: registry.bearer).status == .unauthorized, "a publish token is not a metrics token")
            #expect(try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(Self.metricsToken)"]).status == .ok)
        }
    }

    /// Without a token: loopback clients only. Over the router there is no client address (denied);
    /// over a real socket from 127.0.0.1 it is allowed.
    @Test func withoutATokenOnlyLoopbackClientsReadMetrics() async throws {
        let registry = try await TestRegistry()
        try await registry.test { client in
            let denied = try await client.execute(uri: "/metrics", method: .get)
            #expect(denied.status == .forbidden)
            #expect(denied.problemDetail?.contains("loopback") == true)
        }
        try await registry.testLive { port in
            try await onThread {
                let connection = try RawConnection(port: port)
                let response = try #require(connection.request("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"))
                #expect(response.status == 200)
                #expect(response.text.contains("bulwark_http_requests_total") || response.text.contains("# TYPE"))
            }
        }
        #expect(MetricsRoute<BulwarkRequestContext>.isLoopback("127.0.0.1") && MetricsRoute<BulwarkRequestContext>.isLoopback("::1") && !MetricsRoute<BulwarkRequestContext>.isLoopback("10.0.0.1"))
    }
}
