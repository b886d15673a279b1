// End-to-end test: Bulwark's web pages in a real browser (headless Chromium with a virtual
// passkey authenticator), then a publish through the Swift registry API with the token the
// browser created.
//
// The scenario:
//  1. Start `bulwark serve` on 127.0.0.1 with `--base-url http://localhost:PORT` (Chromium refuses
//     WebAuthn with an IP address as rpId, so the browser opens http://localhost:PORT).
//  2. Run browser/passkey_flow.py (selenium + pyotp from the venv scripts/test makes): sign up,
//     add a passkey, sign in with the passkey alone, add an authenticator app from the secret on
//     the enrolment page, sign in with password + TOTP, then with a recovery code, claim a scope
//     and create an API token. It saves screenshots in the work directory.
//  3. Decode the QR code of the enrolment page's screenshot with `zbarimg` (an independent
//     decoder, as a phone would) and compare it with the page's otpauth:// URI.
//  4. Publish a small package with the token: `PUT /{scope}/{name}/{version}` multipart (curl:
//     the swift client only publishes over HTTPS), expect 201, and find the release listed.
//
// A second test drives a package's policy on its page (browser/package_policy_flow.py, two
// browsers with their own virtual authenticators): `secondFactor: passkey` is refused while the
// maintainer hubot has only TOTP, and the page names him; accepted once he adds a passkey; then
// under `publishing: approval` a token's publish is staged (202) and mona approves it on the page
// with a passkey step-up, after which the registry API lists the version.
//
// Environment knobs:
//   BULWARK_E2E_PYTHON=path     the Python with selenium and pyotp (default: <package>/.venv-e2e/bin/python).
//   BULWARK_E2E_REQUIRED=1      fail, rather than skip, when Chromium, the venv or a tool is missing.
//   BULWARK_E2E_KEEP=1          keep the work directory even when everything passes.
//   BULWARK_BIN=path            the `bulwark` executable, or the directory that contains it.

import BulwarkTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Tag {
    /// Tests that drive a real browser against a running `bulwark serve`.
    @Tag static var browserEndToEnd: Self
}

@Suite("BrowserEndToEnd", .serialized, .tags(.browserEndToEnd))
struct BrowserEndToEndTests {
    @Test(
        "Sign up, passkey, passkey-only sign-in, TOTP, recovery code and a token in Chromium; publish with the token",
        BrowserPrerequisites.enabled,
        .timeLimit(.minutes(10))
    )
    func passkeyTOTPRecoveryAndPublish() async throws {
        try await runScenario { try await $0.run() }
    }

    @Test(
        "Package policy on the package page in Chromium: passkeys only refused while a maintainer has only TOTP, accepted once they add a passkey; a staged release approved with a passkey",
        BrowserPrerequisites.enabled,
        .timeLimit(.minutes(5))
    )
    func packagePolicyAndPasskeyApproval() async throws {
        try await runScenario { try await $0.runPackagePolicy() }
    }

    /// Runs one flow in a fresh scenario: a failure is recorded with the scenario's diagnostics,
    /// and the scenario is finished (work directory kept on failure) either way.
    private func runScenario(
        _ flow: (BrowserScenario) async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        if let reason = BrowserPrerequisites.missingReason {
            Issue.record("BULWARK_E2E_REQUIRED=1, but the browser end-to-end test cannot run: \(reason)", sourceLocation: sourceLocation)
            return
        }
        let scenario = try BrowserScenario()
        print("BrowserEndToEnd: work directory \(scenario.workDirectory.path)")
        do {
            try await flow(scenario)
        } catch {
            scenario.failed = true
            Issue.record(Comment(rawValue: "\(error)\n\n\(scenario.diagnostics())"), sourceLocation: sourceLocation)
        }
        scenario.finish()
    }
}

// MARK: - Prerequisites

enum BrowserPrerequisites {
    static let isRequired = ProcessInfo.processInfo.environment["BULWARK_E2E_REQUIRED"] == "1"

    /// The tests' trait: skipped (saying why) when something is missing, unless required.
    static let enabled: ConditionTrait = .enabled(
        if: shouldRun,
        "needs /usr/bin/chromium, /usr/bin/chromedriver, the .venv-e2e venv (selenium, pyotp), zbarimg, curl and zip; set BULWARK_E2E_REQUIRED=1 to fail instead of skipping"
    )

    /// Tests/BulwarkEndToEndTests/<this file> -> package root.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var python: URL {
        if let configured = ProcessInfo.processInfo.environment["BULWARK_E2E_PYTHON"], !configured.isEmpty {
            return URL(fileURLWithPath: configured)
        }
        return packageRoot.appendingPathComponent(".venv-e2e/bin/python")
    }

    static let missingReason: String? = findMissing()

    static var shouldRun: Bool {
        guard let reason = missingReason else { return true }
        if isRequired { return true }  // Run it, so that it fails with the reason.
        print("BrowserEndToEnd skipped: \(reason). Run scripts/test (it installs them) or set BULWARK_E2E_REQUIRED=1 to turn this into a failure.")
        return false
    }

    private static func findMissing() -> String? {
        var problems: [String] = []
        for path in ["/usr/bin/chromium", "/usr/bin/chromedriver"] where !isExecutableFile(URL(fileURLWithPath: path)) {
            problems.append("\(path) is missing (Debian: apt-get install chromium chromium-driver)")
        }
        if !isExecutableFile(python) {
            problems.append("no Python at \(python.path) (scripts/test makes the venv; or set BULWARK_E2E_PYTHON)")
        } else if !pythonHasModules() {
            problems.append("\(python.path) lacks selenium or pyotp (pip install selenium pyotp)")
        }
        let missingTools = ["zbarimg", "curl", "zip"].filter { findExecutable(named: $0) == nil }
        if !missingTools.isEmpty { problems.append("missing on PATH: \(missingTools.joined(separator: ", "))") }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }

    private static func pythonHasModules() -> Bool {
        let outcome = try? ChildProcess.runBlocking(
            python.path, ["-c", "import selenium, pyotp"], stdout: .discard, stderr: .discard, timeout: .seconds(120)
        )
        return outcome?.succeeded ?? false
    }
}

// MARK: - The scenario

final class BrowserScenario {
    let workDirectory: URL
    let logsDirectory: URL
    let screenshots: URL
    let runner: CommandRunner
    var failed = false
    private var server: ChildProcess?
    private var serverLog: URL?

    init() throws {
        let base = FileManager.default.temporaryDirectory
        workDirectory = base.appendingPathComponent("bulwark-browser-e2e-\(UUID().uuidString.prefix(8))")
        logsDirectory = workDirectory.appendingPathComponent("logs")
        screenshots = workDirectory.appendingPathComponent("screenshots")
        for directory in [logsDirectory, screenshots] {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        runner = CommandRunner(logsDirectory: logsDirectory)
    }

    func run() async throws {
        let bulwark = try locateBulwarkExecutable(packageRoot: BrowserPrerequisites.packageRoot)
        let port = try Self.freePort()
        let baseURL = "http://localhost:\(port)"
        try await startServer(bulwark, port: port, baseURL: baseURL)

        // 2. The browser flow.
        let script = BrowserPrerequisites.packageRoot.appendingPathComponent("Tests/BulwarkEndToEndTests/browser/passkey_flow.py")
        let flow = try await runner.run(
            BrowserPrerequisites.python, [script.path, "--base-url", baseURL, "--out", screenshots.path],
            in: workDirectory, timeout: 300, label: "passkey-flow"
        )
        print(flow.stdout.split(separator: "\n").filter { $0.hasPrefix("[passkey_flow]") }.joined(separator: "\n"))
        let results = try readJSONObject(screenshots.appendingPathComponent("results.json"))
        guard flow.succeeded, results["ok"] as? Bool == true else {
            throw E2EFailure("the browser flow failed: \(results["error"] ?? "no error recorded")\n\(flow.report)")
        }
        for name in ["sign-in.png", "second-step.png", "totp-enrolment.png", "account.png"] {
            #expect(FileManager.default.fileExists(atPath: screenshots.appendingPathComponent(name).path), "no screenshot \(name)")
        }

        // 3. The QR code in the browser's rendering decodes to the page's otpauth:// URI.
        let uri = try #require(results["otpauthURI"] as? String)
        #expect(uri.hasPrefix("otpauth://totp/Bulwark:mona?secret="))
        for image in ["totp-qr.png", "totp-enrolment.png"] {
            let decoded = try await runner.run(
                try requireExecutable("zbarimg"), ["--raw", "-q", screenshots.appendingPathComponent(image).path],
                in: workDirectory, timeout: 60, label: "zbarimg-\(image)"
            )
            #expect(decoded.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == uri, "zbarimg \(image): \(decoded.report)")
        }

        // 4. Publish with the token the browser created.
        let token = try #require(results["token"] as? String)
        let scope = try #require(results["scope"] as? String)
        let archive = try await makeArchive()
        let apiBase = "http://127.0.0.1:\(port)"
        let published = try await curl([
            "-X", "PUT", "\(apiBase)/\(scope)/hello/1.0.0",
            "-H", "Authorization: Bearer \(token)",
            "-H", "Accept: application/vnd.swift.registry.v1+json",
            "-F", "source-archive=@\(archive.path);type=application/zip",
            "-F", "metadata={\"description\":\"Published with a token made in the browser\"};type=application/json",
        ], label: "publish")
        #expect(published.status == 201, "publish: \(published.status) \(published.body)")
        let releases = try await curl(
            ["\(apiBase)/\(scope)/hello", "-H", "Accept: application/vnd.swift.registry.v1+json"], label: "releases"
        )
        #expect(releases.status == 200 && releases.body.contains("1.0.0"), "releases: \(releases.status) \(releases.body)")
        // Without the token, no publish.
        let anonymous = try await curl([
            "-X", "PUT", "\(apiBase)/\(scope)/hello/1.0.1", "-H", "Accept: application/vnd.swift.registry.v1+json",
            "-F", "source-archive=@\(archive.path);type=application/zip",
        ], label: "publish-anonymous")
        #expect(anonymous.status == 401, "anonymous publish: \(anonymous.status) \(anonymous.body)")
    }

    // MARK: Steps

    /// Starts `bulwark serve` over plain HTTP and waits for its "listening on http://…" line.
    func startServer(_ bulwark: URL, port: Int, baseURL: String) async throws {
        let data = workDirectory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let stdout = logsDirectory.appendingPathComponent("server.stdout")
        let stderr = logsDirectory.appendingPathComponent("server.stderr")
        serverLog = stdout
        let process = try ChildProcess.start(
            bulwark.path, ["serve", "--data-dir", data.path, "--host", "127.0.0.1", "--port", String(port), "--base-url", baseURL],
            stdin: .null, stdout: .file(stdout.path), stderr: .file(stderr.path)
        )
        server = process
        let deadline = Date().addingTimeInterval(60)
        while !readText(stdout).contains("listening on http://") {
            if let termination = process.termination {
                throw E2EFailure("bulwark serve exited (\(termination))\n\(readText(stdout))\n\(readText(stderr))")
            }
            guard Date() < deadline else { throw E2EFailure("bulwark serve did not start within 60 s\n\(readText(stdout))\n\(readText(stderr))") }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
    }

    /// A small package, zipped the way `swift package-registry publish` does (`zip -ry` of one
    /// directory, named `root`).
    func makeArchive(root: String = "mona.hello", name: String = "Hello") async throws -> URL {
        let source = workDirectory.appendingPathComponent("package-\(root)")
        try writeFiles([
            "\(root)/Package.swift": "// swift-tools-version:5.9\nimport PackageDescription\nlet package = Package(name: \"\(name)\", targets: [.target(name: \"\(name)\")])\n",
            "\(root)/Sources/\(name)/\(name).swift": "public func hello() -> String { \"Hello from a browser-made token\" }\n",
        ], to: source)
        let archive = workDirectory.appendingPathComponent("\(root).zip")
        try await runner.checked(try requireExecutable("zip"), ["-qry", archive.path, root], in: source, timeout: 60, label: "zip-\(root)")
        return archive
    }

    /// Runs curl and returns the HTTP status and body.
    func curl(_ arguments: [String], label: String) async throws -> (status: Int, body: String) {
        let body = logsDirectory.appendingPathComponent("\(label).body")
        let result = try await runner.checked(
            try requireExecutable("curl"), ["-sS", "-o", body.path, "-w", "%{http_code}", "--max-time", "60"] + arguments,
            in: workDirectory, timeout: 90, label: "curl-\(label)"
        )
        return (Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, readText(body))
    }

    /// A port that was free a moment ago (the base URL must name it before the server starts).
    static func freePort() throws -> Int {
        #if canImport(Glibc) || canImport(Musl)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw E2EFailure("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw E2EFailure("bind() failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw E2EFailure("getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    // MARK: The package-policy flow

    /// browser/package_policy_flow.py, then the registry's own answers checked with curl.
    func runPackagePolicy() async throws {
        let bulwark = try locateBulwarkExecutable(packageRoot: BrowserPrerequisites.packageRoot)
        let port = try Self.freePort()
        let baseURL = "http://localhost:\(port)"
        let apiBase = "http://127.0.0.1:\(port)"
        try await startServer(bulwark, port: port, baseURL: baseURL)
        let archive = try await makeArchive(root: "mona.pkg", name: "Pkg")

        let script = BrowserPrerequisites.packageRoot.appendingPathComponent("Tests/BulwarkEndToEndTests/browser/package_policy_flow.py")
        let flow = try await runner.run(
            BrowserPrerequisites.python,
            [script.path, "--base-url", baseURL, "--api-url", apiBase, "--archive", archive.path, "--out", screenshots.path],
            in: workDirectory, timeout: 240, label: "package-policy-flow"
        )
        print(flow.stdout.split(separator: "\n").filter { $0.hasPrefix("[package_policy_flow]") }.joined(separator: "\n"))
        let results = try readJSONObject(screenshots.appendingPathComponent("results.json"))
        guard flow.succeeded, results["ok"] as? Bool == true else {
            throw E2EFailure("the package-policy browser flow failed: \(results["error"] ?? "no error recorded")\n\(flow.report)")
        }
        for name in ["policy-form.png", "policy-refused.png", "hubot-passkey.png", "policy-passkey.png", "approve-step-up.png", "approved.png"] {
            #expect(FileManager.default.fileExists(atPath: screenshots.appendingPathComponent(name).path), "no screenshot \(name)")
        }
        // What the page showed for the refusal: hubot, and what he had instead of a passkey.
        #expect((results["refusal"] as? String)?.contains("hubot") == true, "refusal: \(results["refusal"] ?? "none")")
        #expect((results["missing"] as? String)?.contains("authenticator app") == true, "missing: \(results["missing"] ?? "none")")

        // The registry's own answers, independently of the script.
        let security = try await curl(["\(apiBase)/api/v1/packages/mona/pkg/security"], label: "security")
        let posture = try #require(try JSONSerialization.jsonObject(with: Data(security.body.utf8)) as? [String: Any], "security: \(security.body)")
        let policy = posture["policy"] as? [String: Any]
        #expect(policy?["secondFactor"] as? String == "passkey", "security: \(security.body)")
        #expect(policy?["publishing"] as? String == "approval", "security: \(security.body)")
        #expect(posture["maintainersWithPasskeys"] as? Int == 1, "security: \(security.body)")

        let listed = try await curl(["\(apiBase)/mona/pkg", "-H", "Accept: application/vnd.swift.registry.v1+json"], label: "policy-releases")
        let releases = (try JSONSerialization.jsonObject(with: Data(listed.body.utf8)) as? [String: Any])?["releases"] as? [String: Any]
        #expect(listed.status == 200 && Set(releases.map { Array($0.keys) } ?? []) == ["1.0.0", "1.1.0"], "releases: \(listed.status) \(listed.body)")

        let package = try await curl(["\(apiBase)/api/v1/packages/mona/pkg"], label: "package")
        let rows = (try JSONSerialization.jsonObject(with: Data(package.body.utf8)) as? [String: Any])?["releases"] as? [[String: Any]] ?? []
        let approved = rows.first { $0["version"] as? String == "1.1.0" }?["approvedBy"] as? [String: Any]
        #expect(approved?["account"] as? String == "mona", "package: \(package.body)")
        #expect((approved?["credential"] as? [String: Any])?["kind"] as? String == "passkey", "package: \(package.body)")
        let first = rows.first { $0["version"] as? String == "1.0.0" }
        #expect(first?["approvedBy"] is NSNull, "1.0.0 was published before the approval policy: \(package.body)")
    }

    // MARK: Teardown

    func diagnostics() -> String {
        var text = "work directory (kept): \(workDirectory.path)\nscreenshots: \(screenshots.path)"
        if let serverLog { text += "\n--- server stdout ---\n\(readText(serverLog).tail(6_000))" }
        return text
    }

    func finish() {
        if let server, server.isRunning {
            server.terminate()
            if server.waitBlocking(timeout: .seconds(15)) == nil {
                server.kill()
                server.waitBlocking()
            }
        }
        let keep = failed || ProcessInfo.processInfo.environment["BULWARK_E2E_KEEP"] == "1"
        if keep {
            print("BrowserEndToEnd: kept \(workDirectory.path)")
        } else {
            try? FileManager.default.removeItem(at: workDirectory)
        }
    }
}
