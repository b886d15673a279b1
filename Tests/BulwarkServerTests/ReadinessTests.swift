import BulwarkServer
import BulwarkStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// `/healthz` and `/readyz`, what a load balancer asks.
@Suite struct ReadinessTests {
    struct Failing: ReadinessCheck {
        let readinessName = "database"
        func checkReadiness() async throws { throw ReadinessFailure("connection refused") }
    }

    struct Hanging: ReadinessCheck {
        let readinessName = "blobs"
        func checkReadiness() async throws { try await Task.sleep(for: .seconds(3600)) }
    }

    func app(_ registry: TestRegistry, checks: [any ReadinessCheck]? = nil) throws -> some ApplicationProtocol {
        var storage = registry.storage
        if let checks { storage.readiness = checks }
        var configuration = registry.configuration
        configuration.readinessTimeout = 0.3
        var logger = Logger(label: "bulwark-test")
        logger.logLevel = .error
        return try buildApplication(configuration: configuration, storage: storage, logger: logger)
    }

    @Test func theEmbeddedStorageIsReady() async throws {
        let registry = try await TestRegistry()
        try await app(registry).test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                let body = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
                #expect(body?["status"] as? String == "ready")
                #expect(body?["checks"] as? [String: String] == ["database": "ok", "blobs": "ok"])
                #expect(response.headers[.cacheControl] == "no-store")
            }
            try await client.execute(uri: "/healthz", method: .get) { response in #expect(response.status == .ok) }
        }
    }

    @Test func aBlobDirectoryThatIsGoneIsNotReady() async throws {
        let registry = try await TestRegistry()
        try FileManager.default.removeItem(at: registry.directory.appendingPathComponent("blobs/tmp"))
        try await app(registry).test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(String(buffer: response.body).contains("blobs: the blob directory is not writable"))
            }
            // The process itself is still up.
            try await client.execute(uri: "/healthz", method: .get) { response in #expect(response.status == .ok) }
        }
    }

    @Test func aFailingOrHangingDependencyIsNamedWithoutSecrets() async throws {
        let registry = try await TestRegistry()
        let started = ContinuousClock.now
        try await app(registry, checks: [Failing(), Hanging()]).test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let text = String(buffer: response.body)
                #expect(text.contains("database: connection refused"))
                #expect(text.contains("blobs: no answer within"))
            }
        }
        // A hung dependency costs the timeout, not the hang.
        #expect(ContinuousClock.now - started < .seconds(30))
    }
}
