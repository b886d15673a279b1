import BulwarkServer
import BulwarkTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// `Expect: 100-continue` over a real socket, driven by curl (libcurl is what SwiftPM uses on Linux).
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), "needs /usr/bin/curl"))
struct ExpectContinueTests {
    /// Runs curl without blocking a thread of the cooperative pool (the server's handlers need them).
    func curl(_ arguments: [String]) async throws -> (status: Int32, stderr: String) {
        let outcome = try await ChildProcess.run("/usr/bin/curl", ["--max-time", "30"] + arguments, stdout: .discard, timeout: .seconds(60))
        return (outcome.termination.shellStatus, outcome.stderrText)
    }

    func live<T>(_ registry: TestRegistry, _ body: @Sendable (Int) async throws -> T) async throws -> T {
        var logger = Logger(label: "bulwark-test")
        logger.logLevel = .error
        let app = try buildApplication(configuration: registry.configuration, storage: registry.storage, logger: logger)
        return try await app.test(.live) { client in try await body(client.port!) }
    }

    @Test func aPublishWithCredentialsIsInvitedToSendItsBody() async throws {
        let registry = try await TestRegistry()
        let body = PublishBody(archive: try Archives.package())
        let file = registry.directory.appendingPathComponent("body.bin")
        try Data(body.bytes).write(to: file)
        let result = try await live(registry) { port in
            try await curl(["-sv", "-X", "PUT", "--data-binary", "@\(file.path)", "-H", "Expect: 100-continue",
                      "-H", "Content-Type: \(body.contentType)", "-H", "Authorization: Bearer \(registry.token)",
                      "-H", "Prefer: respond-async", "http://127.0.0.1:\(port)/test/pkg/1.0.0"])
        }
        #expect(result.status == 0)
        #expect(result.stderr.contains("HTTP/1.1 100 Continue"))
        #expect(result.stderr.contains("HTTP/1.1 201"))
    }

    @Test func aPublishWithoutCredentialsGetsA401BeforeSendingItsBody() async throws {
        let registry = try await TestRegistry()
        let body = PublishBody(archive: try Archives.package())
        let file = registry.directory.appendingPathComponent("body.bin")
        try Data(body.bytes).write(to: file)
        let result = try await live(registry) { port in
            try await curl(["-sv", "-X", "PUT", "--data-binary", "@\(file.path)", "-H", "Expect: 100-continue",
                      "-H", "Content-Type: \(body.contentType)", "http://127.0.0.1:\(port)/test/pkg/1.0.0"])
        }
        #expect(!result.stderr.contains("100 Continue"))
        #expect(result.stderr.contains("HTTP/1.1 401"))
    }
}
