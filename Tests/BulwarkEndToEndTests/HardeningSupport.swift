import BulwarkTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Shared plumbing of the hardening end-to-end tests: a real `bulwark serve` on a fresh data
/// directory, admin commands, publishes over a raw socket.
struct HardeningHarness {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let isRequired = ProcessInfo.processInfo.environment["BULWARK_E2E_REQUIRED"] == "1"

    /// Why these tests cannot run here, or nil.
    static func missingReason(tools: [String] = []) -> String? {
        var reasons: [String] = []
        let missing = tools.filter { findExecutable(named: $0) == nil }
        if !missing.isEmpty { reasons.append("missing tool(s): \(missing.joined(separator: ", "))") }
        if (try? locateBulwarkExecutable(packageRoot: packageRoot)) == nil { reasons.append("no built bulwark executable (swift build, or set BULWARK_BIN)") }
        return reasons.isEmpty ? nil : reasons.joined(separator: "; ")
    }

    /// Whether to run: skips with a message when something is missing, unless BULWARK_E2E_REQUIRED=1
    /// (then the test runs and fails naming what is missing).
    static func shouldRun(_ suite: String, tools: [String] = []) -> Bool {
        guard let reason = missingReason(tools: tools) else { return true }
        if isRequired { return true }
        print("\(suite) skipped: \(reason). Set BULWARK_E2E_REQUIRED=1 to turn this into a failure.")
        return false
    }

    let executable: URL
    let work: URL
    let runner: CommandRunner

    init(tools: [String] = []) throws {
        if let reason = Self.missingReason(tools: tools) { throw E2EFailure("cannot run: \(reason)") }
        executable = try locateBulwarkExecutable(packageRoot: Self.packageRoot)
        work = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-hardening-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        runner = CommandRunner(logsDirectory: work)
    }

    func cleanUp() { try? FileManager.default.removeItem(at: work) }

    func dataDirectory(_ name: String) -> URL { work.appendingPathComponent(name) }

    func serve(_ data: URL, _ extra: [String] = [], label: String = "serve") async throws -> ServerProcess {
        try await ServerProcess.start(
            executable: executable,
            arguments: ["serve", "--data-dir", data.path, "--port", "0", "--token-cache-seconds", "0"] + extra,
            logPrefix: work.appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))"), readinessTimeout: 60
        )
    }

    @discardableResult
    func admin(_ arguments: [String], label: String) async throws -> CommandResult {
        try await runner.checked(executable, ["admin"] + arguments, in: work, timeout: 120, label: label)
    }

    /// An account `ops` owning scope `ops`, and a publish token for `ops.*`.
    func makeToken(_ data: URL) async throws -> String {
        try await admin(["create-user", "ops", "--email", "ops@example.com", "--data-dir", data.path], label: "create-user")
        let result = try await admin(
            ["create-token", "--user", "ops", "--scope", "publish", "--package", "ops.*", "--expires", "1d", "--data-dir", data.path], label: "create-token"
        )
        guard let token = result.stdout.split(separator: "\n").last.map(String.init), token.hasPrefix("bwk_") else {
            throw E2EFailure("create-token printed no token:\n\(result.report)")
        }
        return token
    }

    /// A source archive made by `zip` of `ROOT/Package.swift` plus `padding` random bytes.
    func archive(root: String, padding: Int) throws -> [UInt8] {
        let dir = work.appendingPathComponent("zip-\(UUID().uuidString)")
        try writeFiles(["\(root)/Package.swift": "// swift-tools-version:5.9\nimport PackageDescription\nlet package = Package(name: \"P\")\n"], to: dir)
        var random = SystemRandomNumberGenerator()
        let pad = (0..<padding).map { _ in UInt8.random(in: 0...255, using: &random) }
        try Data(pad).write(to: dir.appendingPathComponent("\(root)/pad.bin"))
        let zipped = try ChildProcess.runBlocking(try requireExecutable("zip").path, ["-qry", "out.zip", root], directory: dir.path, stderr: .sameAsStdout)
        guard zipped.succeeded else { throw E2EFailure("zip failed (\(zipped.termination)): \(zipped.stdoutText)") }
        defer { try? FileManager.default.removeItem(at: dir) }
        return try [UInt8](Data(contentsOf: dir.appendingPathComponent("out.zip")))
    }

    /// The request SwiftPM sends to publish `archive` (head and body separately, for slow sending).
    static func publishRequest(path: String, archive: [UInt8], token: String) -> (head: String, body: [UInt8]) {
        let boundary = "80379F53-EC49-4B4B-A21F-3C725205CC06"
        var body = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"source-archive\"\r\nContent-Type: application/zip\r\nContent-Transfer-Encoding: binary\r\n\r\n".utf8)
        body += archive
        body += Array("\r\n--\(boundary)--\r\n".utf8)
        let head = "PUT \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/vnd.swift.registry.v1+json\r\nAuthorization: Bearer \(token)\r\nContent-Type: multipart/form-data;boundary=\"\(boundary)\"\r\nContent-Length: \(body.count)\r\n\r\n"
        return (head, body)
    }

    /// GET over a fresh connection; the response (status, body).
    static func get(_ port: Int, _ path: String, accept: String = "application/vnd.swift.registry.v1+json") throws -> RawResponse {
        let connection = try RawConnection(port: port, receiveTimeout: 30)
        guard let response = connection.request("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: \(accept)\r\nConnection: close\r\n\r\n") else {
            throw E2EFailure("no response to GET \(path)")
        }
        return response
    }

    /// `sqlite3 DB 'PRAGMA integrity_check'` → "ok".
    func integrityCheck(_ data: URL) async throws -> String {
        let result = try await runner.checked(
            try requireExecutable("sqlite3"), [data.appendingPathComponent("bulwark.sqlite3").path, "PRAGMA integrity_check"], in: work, label: "integrity"
        )
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func temporaryFiles(_ data: URL) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: data.appendingPathComponent("blobs/tmp").path)) ?? []
    }
}

extension ServerProcess {
    /// Sends SIGTERM and waits up to `timeout` seconds for the exit; returns the exit status (nil if
    /// it did not exit: then it is killed).
    func terminateAndWait(timeout: TimeInterval) -> Int32? {
        process.terminate()
        guard let termination = process.waitBlocking(timeout: .seconds(timeout)) else {
            process.kill()
            process.waitBlocking()
            return nil
        }
        return termination.shellStatus
    }

    var logs: String { "--- stdout ---\n\(readText(stdoutLog).tail(6000))\n--- stderr ---\n\(readText(stderrLog).tail(6000))" }
}
