// End-to-end test: the real `swift` client (SwiftPM) against a real `bulwark serve` over TLS.
//
// The scenario, step by step:
//  1. Generate a throwaway PKI with `openssl`: a test CA, a TLS server certificate for
//     127.0.0.1/localhost and a code-signing certificate, all issued by that CA.
//  2. Create a user and a publish token with `bulwark admin`, then start `bulwark serve` with TLS.
//  3. `swift package-registry login` (only allowed over HTTPS).
//  4. Publish four packages: one with a Swift 6 alternate manifest and repository URLs, one
//     signed, one with a pre-release version plus build metadata, and one with a mixed-case
//     identifier.
//  5. A consumer depends on all four by registry identity. It resolves, builds and runs, with
//     signature checking strict enough that an untrusted signature would fail the resolve.
//  6. A second consumer depends on a GitHub URL. `--replace-scm-with-registry` must map it to
//     the registry through /identifiers; with no network, a git fallback fails.
//
// Every `swift` command runs through scripts/swiftpm-isolated.sh. It gives the client a
// temporary home directory and trusts the test CA, without changing the machine's own state.
// The script header explains why that needs a mount namespace and root.
//
// Environment knobs:
//   BULWARK_BIN=path            the `bulwark` executable, or the directory that contains it.
//   BULWARK_E2E_REQUIRED=1      fail, rather than skip, when root, Linux or tools are missing.
//   BULWARK_E2E_KEEP=1          keep the work directory even when everything passes.
//   BULWARK_E2E_WORKDIR=dir     where the work directory is created (default: the temporary
//                               directory). It must not be inside the home directory, which
//                               the isolation hides.

import Dispatch
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
    /// Slow tests that drive the real `swift` client against a running `bulwark serve`.
    @Tag static var swiftPMEndToEnd: Self
}

@Suite("SwiftPMEndToEnd", .serialized, .tags(.swiftPMEndToEnd))
struct SwiftPMEndToEndTests {
    @Test(
        "The real swift client logs in, publishes, resolves, builds and maps SCM URLs through bulwark over TLS",
        .enabled(
            if: E2EPrerequisites.shouldRun,
            "needs Linux, root, unshare, openssl, zip and unzip; set BULWARK_E2E_REQUIRED=1 to fail instead of skipping"
        ),
        .timeLimit(.minutes(60))
    )
    func realSwiftClientRoundTrip() async throws {
        if let reason = E2EPrerequisites.missingReason {
            // Only reachable with BULWARK_E2E_REQUIRED=1: without it, the trait skipped the test.
            Issue.record("BULWARK_E2E_REQUIRED=1, but the SwiftPM end-to-end test cannot run: \(reason)")
            return
        }

        let scenario = try EndToEndScenario()
        print("SwiftPMEndToEnd: work directory \(scenario.workDirectory.path)")
        do {
            try await scenario.run()
        } catch {
            scenario.failed = true
            Issue.record(Comment(rawValue: "\(error)\n\n\(scenario.diagnosticContext())"))
        }
        scenario.finish()
    }
}

// MARK: - Prerequisites

/// Decides, once per test process, whether this machine can run the scenario.
enum E2EPrerequisites {
    static let isRequired = ProcessInfo.processInfo.environment["BULWARK_E2E_REQUIRED"] == "1"

    /// `nil` when everything is available, otherwise why the test cannot run.
    static let missingReason: String? = findMissingPrerequisites()

    /// Evaluated lazily by the `.enabled(if:)` trait, so only when the test is selected.
    static var shouldRun: Bool {
        guard let reason = missingReason else { return true }
        if isRequired { return true }  // Run it, so that it fails with the reason.
        print("SwiftPMEndToEnd skipped: \(reason). Set BULWARK_E2E_REQUIRED=1 to turn this into a failure.")
        return false
    }

    /// The client's CA bundle, which the isolation script overlays. The script reads the same variable.
    static var systemCABundle: String {
        ProcessInfo.processInfo.environment["SWIFTPM_SYSTEM_CA_BUNDLE"] ?? "/etc/ssl/certs/ca-certificates.crt"
    }

    private static func findMissingPrerequisites() -> String? {
        #if os(Linux)
        var problems: [String] = []
        if geteuid() != 0 {
            problems.append("not running as root (euid \(geteuid())); the client isolation needs `unshare --mount` and bind mounts")
        }
        let tools = ["bash", "swift", "openssl", "zip", "unzip", "unshare", "mount", "getent", "timeout"]
        let missingTools = tools.filter { findExecutable(named: $0) == nil }
        if !missingTools.isEmpty {
            problems.append("missing on PATH: \(missingTools.joined(separator: ", "))")
        }
        if !FileManager.default.fileExists(atPath: systemCABundle) {
            problems.append("no system CA bundle at \(systemCABundle) (set SWIFTPM_SYSTEM_CA_BUNDLE)")
        }
        if problems.isEmpty, let failure = probeMountNamespace() {
            problems.append(failure)
        }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
        #else
        return "the SwiftPM end-to-end test runs on Linux only (it isolates the client with a mount namespace)"
        #endif
    }

    /// Root inside an unprivileged container may still be refused a mount namespace.
    private static func probeMountNamespace() -> String? {
        guard let unshare = findExecutable(named: "unshare") else { return "unshare is missing" }
        let process = Process()
        process.executableURL = unshare
        process.arguments = ["--mount", "--propagation", "private", "true"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return "cannot launch unshare: \(error)"
        }
        process.waitUntilExit()
        return process.terminationStatus == 0
            ? nil
            : "`unshare --mount` is not permitted here (exit status \(process.terminationStatus))"
    }
}

// MARK: - The scenario

/// Runs the whole client/server round trip. Not `Sendable`: it is used from a single task only.
final class EndToEndScenario {
    static let registryHost = "127.0.0.1"
    /// Generous: the first `swift build` in a fresh home has no caches at all.
    static let swiftCommandTimeout: TimeInterval = 600
    static let swiftBuildTimeout: TimeInterval = 1200

    let packageRoot: URL
    let workDirectory: URL
    let logsDirectory: URL
    /// Stands in for the user's home directory in every isolated `swift` call.
    let swiftPMHome: URL
    let runner: CommandRunner
    /// Set when any step or check fails, so that the work directory is kept.
    var failed = false
    private var server: ServerProcess?

    init(filePath: String = #filePath) throws {
        // Tests/BulwarkEndToEndTests/<this file> -> package root.
        packageRoot = URL(fileURLWithPath: filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let work = try Self.makeWorkDirectory()
        let logs = work.appendingPathComponent("logs")
        let home = work.appendingPathComponent("home")
        for directory in [logs, home] {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        workDirectory = work
        logsDirectory = logs
        swiftPMHome = home
        runner = CommandRunner(logsDirectory: logs)
    }

    func run() async throws {
        let bulwark = try locateBulwark()
        let pki = try await TestPKI.generate(in: workDirectory.appendingPathComponent("pki"), runner: runner)
        let swift = IsolatedSwift(
            runner: runner,
            script: packageRoot.appendingPathComponent("scripts/swiftpm-isolated.sh"),
            home: swiftPMHome,
            testCA: pki.caCertificatePEM
        )
        guard FileManager.default.fileExists(atPath: swift.script.path) else {
            throw E2EFailure("isolation script missing at \(swift.script.path)")
        }

        // 2. Server side: a user, a token restricted to e2e.*, and the TLS server.
        let dataDirectory = workDirectory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        let token = try await createPublisher(bulwark: bulwark, dataDirectory: dataDirectory)
        let server = try await ServerProcess.start(
            executable: bulwark,
            arguments: [
                "serve", "--data-dir", dataDirectory.path,
                "--host", Self.registryHost, "--port", "0",
                "--tls-cert", pki.serverCertificatePEM.path,
                "--tls-key", pki.serverPrivateKeyPEM.path,
                "--trust-roots", pki.trustRootsDirectory.path,
            ],
            logPrefix: logsDirectory.appendingPathComponent("bulwark-serve"),
            readinessTimeout: 60
        )
        self.server = server
        defer { server.stop() }
        let registryURL = "https://\(Self.registryHost):\(server.port)"

        // 3. Login, then tighten the signing policy in the user-level configuration.
        try await login(swift: swift, registryURL: registryURL, port: server.port, token: token)
        try installSigningPolicy(trustedRootsDirectory: pki.trustRootsDirectory)

        // 4. Publish the fixtures.
        var archiveChecksums: [String: String] = [:]
        for fixture in FixturePackage.all {
            archiveChecksums[fixture.identifier] = try await publish(
                fixture, swift: swift, registryURL: registryURL, pki: pki
            )
        }

        // 5. Consume them by registry identity, build and run.
        try await consumeByRegistryIdentity(
            swift: swift, registryURL: registryURL, archiveChecksums: archiveChecksums
        )

        // 6. SCM URL -> registry identity through /identifiers.
        try await resolveThroughSCMReplacement(swift: swift, registryURL: registryURL)
    }

    /// Keeps the work directory on failure (or with BULWARK_E2E_KEEP=1), deletes it otherwise.
    func finish() {
        server?.stop()
        if failed || ProcessInfo.processInfo.environment["BULWARK_E2E_KEEP"] == "1" {
            print("SwiftPMEndToEnd: kept work directory \(workDirectory.path) (logs in \(logsDirectory.path))")
        } else {
            try? FileManager.default.removeItem(at: workDirectory)
        }
    }

    /// Appended to a failure: where to look, and what the server said last.
    func diagnosticContext() -> String {
        var context = "Work directory (kept): \(workDirectory.path)\nCommand logs: \(logsDirectory.path)"
        if let server {
            context += "\n\n--- bulwark serve stdout (tail) ---\n\(readText(server.stdoutLog).tail(8_000))"
            context += "\n--- bulwark serve stderr (tail) ---\n\(readText(server.stderrLog).tail(8_000))"
        }
        return context
    }

    // MARK: Steps

    private func createPublisher(bulwark: URL, dataDirectory: URL) async throws -> String {
        try await runner.checked(
            bulwark,
            ["admin", "create-user", "alice", "--email", "alice@example.com", "--data-dir", dataDirectory.path],
            in: workDirectory, label: "bulwark-create-user"
        )
        let result = try await runner.checked(
            bulwark,
            [
                "admin", "create-token", "--user", "alice", "--scope", "publish",
                "--package", "e2e.*", "--expires", "1d", "--data-dir", dataDirectory.path,
            ],
            in: workDirectory, label: "bulwark-create-token"
        )
        // The token is alone on the last non-empty line of stdout.
        let lastLine = result.stdout
            .split(whereSeparator: \.isNewline)
            .last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard lastLine.hasPrefix("bwk_"), !lastLine.contains(" ") else {
            throw E2EFailure("create-token did not print a bwk_ token on its last line\n\(result.report)")
        }
        return lastLine
    }

    private func login(swift: IsolatedSwift, registryURL: String, port: Int, token: String) async throws {
        // --no-confirm: the client would otherwise ask before writing the netrc file.
        let result = try await swift.run(
            ["package-registry", "login", registryURL, "--token", token, "--no-confirm"],
            in: workDirectory, label: "swift-login"
        )
        check(result.output.contains("Login successful"), "login did not report success\n\(result.report)")

        // The credentials must land in the isolated home only.
        let netrc = readText(swiftPMHome.appendingPathComponent(".netrc"))
        check(
            netrc.contains("machine \(Self.registryHost)") && netrc.contains("password \(token)"),
            "login did not write the token to the isolated ~/.netrc; its content is:\n\(netrc)"
        )
        if let realHome = passwordDatabaseHome() {
            let realNetrc = readText(URL(fileURLWithPath: realHome).appendingPathComponent(".netrc"))
            check(!realNetrc.contains(token), "the token leaked into the real \(realHome)/.netrc: isolation is broken")
        }
        let configuration = try readJSONObject(userRegistriesConfiguration)
        let authentication = configuration["authentication"] as? [String: Any] ?? [:]
        check(
            authentication["\(Self.registryHost):\(port)"] != nil,
            "login did not add \(Self.registryHost):\(port) to the authentication section of \(userRegistriesConfiguration.path): \(authentication)"
        )
    }

    /// Adds a `security` section to the user-level registries.json that `login` just wrote,
    /// keeping everything else in place. Unsigned packages only warn. A signature whose chain
    /// does not end at the test CA is an error, so a resolve that passes proves that the
    /// client verified the signature and trusted it.
    private func installSigningPolicy(trustedRootsDirectory: URL) throws {
        let file = userRegistriesConfiguration
        var configuration: [String: Any] = [:]
        if FileManager.default.fileExists(atPath: file.path) {
            configuration = try readJSONObject(file)
        }
        // SwiftPM's decoder requires "version" and "registries".
        configuration["version"] = configuration["version"] ?? 1
        configuration["registries"] = configuration["registries"] ?? [String: Any]()
        let signing: [String: Any] = [
            "onUnsigned": "warn",
            "onUntrustedCertificate": "error",
            // A directory of DER certificates, each file read as one root.
            "trustedRootCertificatesPath": trustedRootsDirectory.path,
            "includeDefaultTrustedRootCertificates": true,
        ]
        configuration["security"] = ["default": ["signing": signing]]
        try FileManager.default.createDirectory(
            at: file.deletingLastPathComponent(), withIntermediateDirectories: true
        )
        let data = try JSONSerialization.data(withJSONObject: configuration, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: file, options: .atomic)
    }

    /// Publishes one fixture from its own fresh directory. Returns the SHA-256 of the archive
    /// that the client built and uploaded.
    private func publish(
        _ fixture: FixturePackage, swift: IsolatedSwift, registryURL: String, pki: TestPKI
    ) async throws -> String {
        let directory = workDirectory.appendingPathComponent("packages/\(fixture.identifier)")
        try fixture.write(to: directory)
        // The client copies the package directory into the archive, leaving out only a
        // top-level .build. Its working files go to a separate scratch directory, which must
        // already exist, so nothing extra appears in the package directory.
        let scratch = workDirectory.appendingPathComponent("publish-scratch/\(fixture.identifier)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)

        var arguments = [
            "package-registry", "publish", fixture.identifier, fixture.version,
            "--url", registryURL, "--scratch-directory", scratch.path,
        ]
        if fixture.signed {
            arguments += [
                "--private-key-path", pki.signingPrivateKeyDER.path,
                "--cert-chain-paths", pki.signingCertificateDER.path, pki.caCertificateDER.path,
            ]
        }
        let result = try await swift.run(arguments, in: directory, label: "swift-publish-\(fixture.identifier)")
        check(
            result.output.contains("successfully"),
            "publish of \(fixture.identifier) \(fixture.version) exited 0 but did not report success\n\(result.report)"
        )

        let archives = try FileManager.default.contentsOfDirectory(atPath: scratch.path).filter { $0.hasSuffix(".zip") }
        guard archives.count == 1 else {
            throw E2EFailure("expected one archive in \(scratch.path) after publishing \(fixture.identifier), found \(archives)")
        }
        return try await sha256(of: scratch.appendingPathComponent(archives[0]))
    }

    private func consumeByRegistryIdentity(
        swift: IsolatedSwift, registryURL: String, archiveChecksums: [String: String]
    ) async throws {
        let consumer = workDirectory.appendingPathComponent("consumers/Consumer")
        try writeFiles(ConsumerFixtures.registryConsumer, to: consumer)
        try await swift.run(["package-registry", "set", registryURL], in: consumer, label: "swift-registry-set-consumer")

        // -v makes the client report signature validation ("… is signed with a valid entity").
        let resolve = try await swift.run(["package", "resolve", "-v"], in: consumer, label: "swift-resolve-consumer")
        check(
            resolve.output.split(whereSeparator: \.isNewline).contains {
                $0.contains("e2e.signed") && $0.contains("is signed with a valid entity")
            },
            "resolve did not report a valid signature for e2e.signed: the signature was not served or not verified\n\(resolve.report)"
        )

        let pins = try registryPins(in: consumer)
        for (identity, version) in [
            ("e2e.greeter", "1.0.0"), ("e2e.signed", "1.0.0"),
            ("e2e.pre", "2.0.0-beta.1+build.5"), ("e2e.mixedcase", "1.0.0"),
        ] {
            let pinned = pins[identity]
            check(pinned != nil, "Package.resolved has no registry pin for \(identity); registry pins: \(pins)")
            if let pinned {
                // Build metadata has no precedence in SemVer, so accept a pin without it.
                check(
                    pinned == version || pinned == version.split(separator: "+").first.map(String.init),
                    "\(identity) is pinned at \(pinned), expected \(version)"
                )
            }
        }

        // The client pins what it downloads in ~/.swiftpm/security/fingerprints. Compare that
        // with what it uploaded: the archives must come back byte for byte. For e2e.greeter,
        // both manifests must have been fetched, which shows that the Link header advertised
        // Package@swift-6.0.swift and that ?swift-version=6.0.0 served it.
        let fingerprints = fingerprintText()
        for (identifier, checksum) in archiveChecksums.sorted(by: { $0.key < $1.key }) {
            check(
                fingerprints.contains(checksum),
                "the archive served for \(identifier) differs from the one published (sha256 \(checksum) not among the client's fingerprints)"
            )
        }
        let greeterDirectory = workDirectory.appendingPathComponent("packages/e2e.greeter")
        for manifest in ["Package.swift", "Package@swift-6.0.swift"] {
            let checksum = try await sha256(of: greeterDirectory.appendingPathComponent(manifest))
            check(
                fingerprints.contains(checksum),
                "the client never received e2e.greeter's \(manifest) unchanged (sha256 \(checksum) not among its fingerprints)"
            )
        }

        try await swift.run(["build"], in: consumer, timeout: Self.swiftBuildTimeout, label: "swift-build-consumer")

        let executable = consumer.appendingPathComponent(".build/debug/Consumer")
        let output = try await runner.checked(executable, [], in: consumer, label: "consumer-run")
        let lines = output.stdout.split(whereSeparator: \.isNewline).map(String.init)
        check(
            lines == ConsumerFixtures.expectedOutput,
            "the consumer printed\n\(lines.joined(separator: "\n"))\nexpected\n\(ConsumerFixtures.expectedOutput.joined(separator: "\n"))"
        )
    }

    private func resolveThroughSCMReplacement(swift: IsolatedSwift, registryURL: String) async throws {
        let consumer = workDirectory.appendingPathComponent("consumers/ScmConsumer")
        try writeFiles(ConsumerFixtures.scmConsumer, to: consumer)
        try await swift.run(["package-registry", "set", registryURL], in: consumer, label: "swift-registry-set-scm")
        // There is no network: if /identifiers does not map the URL, the client falls back
        // to cloning from GitHub, and that fails.
        try await swift.run(
            ["package", "resolve", "--replace-scm-with-registry"],
            in: consumer, label: "swift-resolve-scm"
        )
        let pins = try allPins(in: consumer)
        let greeter = pins.first { ($0["identity"] as? String)?.lowercased() == "e2e.greeter" }
        check(greeter != nil, "Package.resolved has no pin for e2e.greeter after --replace-scm-with-registry: \(pins)")
        check(
            greeter?["kind"] as? String == "registry",
            "e2e.greeter was not resolved from the registry: \(String(describing: greeter))"
        )
        check(
            !pins.contains { $0["kind"] as? String == "remoteSourceControl" },
            "a source-control pin is left after --replace-scm-with-registry: \(pins)"
        )
    }

    // MARK: Helpers

    private var userRegistriesConfiguration: URL {
        swiftPMHome.appendingPathComponent(".swiftpm/configuration/registries.json")
    }

    /// Records a failed check without stopping the scenario, and remembers it so that the
    /// work directory is kept.
    private func check(
        _ condition: Bool, _ message: @autoclosure () -> String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard !condition else { return }
        failed = true
        Issue.record(Comment(rawValue: message()), sourceLocation: sourceLocation)
    }

    /// The fixtures' Package.resolved pins of kind "registry": identity (lowercased) -> version.
    private func registryPins(in package: URL) throws -> [String: String] {
        var pins: [String: String] = [:]
        for pin in try allPins(in: package) where pin["kind"] as? String == "registry" {
            guard let identity = pin["identity"] as? String else { continue }
            let state = pin["state"] as? [String: Any]
            pins[identity.lowercased()] = state?["version"] as? String ?? "<no version>"
        }
        return pins
    }

    private func allPins(in package: URL) throws -> [[String: Any]] {
        let resolved = package.appendingPathComponent("Package.resolved")
        guard FileManager.default.fileExists(atPath: resolved.path) else {
            throw E2EFailure("no Package.resolved in \(package.path) after resolving")
        }
        // Formats 2 and 3 keep the pins at the top level. Spacing varies, so parse it.
        guard let pins = try readJSONObject(resolved)["pins"] as? [[String: Any]] else {
            throw E2EFailure("Package.resolved has no pins array:\n\(readText(resolved))")
        }
        return pins
    }

    /// All TOFU fingerprint files of the isolated home, lowercased and joined.
    private func fingerprintText() -> String {
        guard let enumerator = FileManager.default.enumerator(at: swiftPMHome, includingPropertiesForKeys: nil) else {
            return ""
        }
        var text = ""
        for case let url as URL in enumerator where url.path.contains("/fingerprints/") && url.pathExtension == "json" {
            text += readText(url).lowercased() + "\n"
        }
        return text
    }

    private func sha256(of file: URL) async throws -> String {
        let result = try await runner.checked(
            try requireExecutable("openssl"), ["dgst", "-sha256", "-r", file.path],
            in: workDirectory, label: "sha256"
        )
        // Output: "<hex> *<path>"
        let digest = result.stdout.split(separator: " ").first.map { String($0).lowercased() } ?? ""
        guard digest.count == 64, digest.allSatisfy(\.isHexDigit) else {
            throw E2EFailure("unexpected openssl dgst output\n\(result.report)")
        }
        return digest
    }

    /// Finds the server executable: BULWARK_BIN, then a `bulwark` next to the test bundle
    /// (for example .build/debug/bulwark beside .build/debug/bulwarkPackageTests.xctest), then
    /// <package root>/.build/debug/bulwark.
    private func locateBulwark() throws -> URL {
        if let configured = ProcessInfo.processInfo.environment["BULWARK_BIN"], !configured.isEmpty {
            var url = URL(fileURLWithPath: configured)
            if isDirectory(url) { url = url.appendingPathComponent("bulwark") }
            guard isExecutableFile(url) else { throw E2EFailure("BULWARK_BIN=\(configured) is not an executable") }
            return url
        }
        var starts = [Bundle.main.bundleURL]
        starts += Bundle.allBundles.map(\.bundleURL).filter { $0.pathExtension == "xctest" }
        if let executable = Bundle.main.executableURL { starts.append(executable.deletingLastPathComponent()) }
        if let argument0 = CommandLine.arguments.first {
            starts.append(URL(fileURLWithPath: argument0).deletingLastPathComponent())
        }
        for start in starts {
            var directory = start.standardizedFileURL
            // Up to .build/<config> from e.g. X.xctest/Contents/MacOS.
            for _ in 0..<4 {
                let candidate = directory.appendingPathComponent("bulwark")
                if isExecutableFile(candidate) { return candidate }
                directory = directory.deletingLastPathComponent()
            }
        }
        let fallback = packageRoot.appendingPathComponent(".build/debug/bulwark")
        guard isExecutableFile(fallback) else {
            throw E2EFailure(
                "cannot find the bulwark executable (looked next to the test bundle and at \(fallback.path)); build it with `swift build` or set BULWARK_BIN"
            )
        }
        return fallback
    }

    /// The isolation hides the real home directory, so the work directory must be elsewhere.
    private static func makeWorkDirectory() throws -> URL {
        let environment = ProcessInfo.processInfo.environment
        var base = environment["BULWARK_E2E_WORKDIR"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory
        base = base.resolvingSymlinksInPath()
        if let home = passwordDatabaseHome(), base.path == home || base.path.hasPrefix(home + "/") {
            base = URL(fileURLWithPath: "/tmp")
        }
        let directory = base.appendingPathComponent("bulwark-e2e-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }
}

// MARK: - The client, isolated

/// Runs `swift …` through scripts/swiftpm-isolated.sh, with a shared fake home so that the
/// credentials from `login` are there for later commands.
struct IsolatedSwift {
    let runner: CommandRunner
    let script: URL
    let home: URL
    let testCA: URL

    /// Fails (throws) unless the command exits 0.
    @discardableResult
    func run(
        _ arguments: [String], in directory: URL,
        timeout: TimeInterval = EndToEndScenario.swiftCommandTimeout, label: String
    ) async throws -> CommandResult {
        try await runner.checked(
            try requireExecutable("bash"), [script.path, "swift"] + arguments,
            in: directory,
            environment: [
                "SWIFTPM_HOME": home.path,
                "TEST_CA": testCA.path,
                // The script kills the whole process tree after this long.
                "SWIFTPM_ISOLATED_TIMEOUT": String(Int(timeout)),
            ],
            // A backstop in case the script itself hangs.
            timeout: timeout + 60,
            label: label
        )
    }
}

// MARK: - Test PKI

/// A test CA, a TLS server certificate and a code-signing certificate, all made with `openssl`.
struct TestPKI {
    let caCertificatePEM: URL
    let caCertificateDER: URL
    let serverCertificatePEM: URL
    let serverPrivateKeyPEM: URL
    /// PKCS#8 DER, which is what `publish --private-key-path` takes.
    let signingPrivateKeyDER: URL
    /// DER; `--cert-chain-paths` takes the leaf first, then the CA.
    let signingCertificateDER: URL
    /// Holds only ca.der. Passed to `serve --trust-roots` and used as the client's
    /// trustedRootCertificatesPath, which reads every file in it as one DER certificate.
    let trustRootsDirectory: URL

    /// Our own openssl configuration, so that the machine's openssl.cnf adds nothing. SwiftPM
    /// checks the certificates with RFC 5280 rules plus a code-signing policy: the CA needs
    /// CA:TRUE and keyCertSign, and the signing leaf needs the codeSigning extended key usage.
    static let opensslConfiguration = """
        [ req ]
        distinguished_name = req_distinguished_name
        prompt = no

        [ req_distinguished_name ]
        CN = overridden by -subj

        [ ca_ext ]
        basicConstraints = critical, CA:TRUE
        keyUsage = critical, keyCertSign, cRLSign
        subjectKeyIdentifier = hash

        [ server_ext ]
        basicConstraints = critical, CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = serverAuth
        subjectAltName = IP:127.0.0.1, DNS:localhost
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid

        [ signing_ext ]
        basicConstraints = critical, CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = codeSigning
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid

        """

    static func generate(in directory: URL, runner: CommandRunner) async throws -> TestPKI {
        let trustRoots = directory.appendingPathComponent("trust-roots")
        try FileManager.default.createDirectory(at: trustRoots, withIntermediateDirectories: true)
        let opensslExecutable = try requireExecutable("openssl")
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        func openssl(_ arguments: [String], _ label: String) async throws {
            try await runner.checked(opensslExecutable, arguments, in: directory, label: "openssl-\(label)")
        }

        let configuration = path("openssl.cnf")
        try opensslConfiguration.write(toFile: configuration, atomically: true, encoding: .utf8)
        let newP256Key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]

        // The CA: self-signed, EC P-256.
        try await openssl(
            ["req", "-x509", "-config", configuration, "-extensions", "ca_ext"] + newP256Key + [
                "-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "30",
                "-subj", "/O=Bulwark Tests/CN=Bulwark E2E Test CA",
            ],
            "ca"
        )

        // A leaf certificate issued by the CA, with the given extension section.
        func issue(_ name: String, subject: String, extensions: String, serial: String) async throws {
            try await openssl(
                ["req", "-new", "-config", configuration] + newP256Key + [
                    "-keyout", path("\(name).key"), "-out", path("\(name).csr"), "-subj", subject,
                ],
                "\(name)-csr"
            )
            try await openssl(
                [
                    "x509", "-req", "-in", path("\(name).csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
                    "-set_serial", serial, "-days", "30",
                    "-extfile", configuration, "-extensions", extensions, "-out", path("\(name).pem"),
                ],
                "\(name)-sign"
            )
        }
        try await issue("server", subject: "/CN=localhost", extensions: "server_ext", serial: "0x1001")
        try await issue(
            "signing", subject: "/O=Bulwark Tests/OU=E2E/CN=Bulwark E2E Publisher",
            extensions: "signing_ext", serial: "0x1002"
        )

        // DER forms for the client's publish options and for trust roots.
        try await openssl(
            ["pkcs8", "-topk8", "-nocrypt", "-in", path("signing.key"), "-outform", "DER", "-out", path("signing-key.der")],
            "signing-pkcs8"
        )
        try await openssl(["x509", "-in", path("signing.pem"), "-outform", "DER", "-out", path("signing.der")], "signing-der")
        try await openssl(["x509", "-in", path("ca.pem"), "-outform", "DER", "-out", path("ca.der")], "ca-der")
        try FileManager.default.copyItem(
            atPath: path("ca.der"), toPath: trustRoots.appendingPathComponent("ca.der").path
        )

        // Sanity check of our own making, so a PKI problem is not blamed on the server.
        try await openssl(["verify", "-CAfile", path("ca.pem"), path("server.pem"), path("signing.pem")], "verify")

        return TestPKI(
            caCertificatePEM: directory.appendingPathComponent("ca.pem"),
            caCertificateDER: directory.appendingPathComponent("ca.der"),
            serverCertificatePEM: directory.appendingPathComponent("server.pem"),
            serverPrivateKeyPEM: directory.appendingPathComponent("server.key"),
            signingPrivateKeyDER: directory.appendingPathComponent("signing-key.der"),
            signingCertificateDER: directory.appendingPathComponent("signing.der"),
            trustRootsDirectory: trustRoots
        )
    }
}

// MARK: - Fixture packages

/// A tiny library package to publish: one target, one public function.
struct FixturePackage {
    /// Exactly as given to `publish`; the case is kept on purpose.
    let identifier: String
    let version: String
    let signed: Bool
    /// Relative path -> content.
    let files: [String: String]

    func write(to directory: URL) throws {
        try writeFiles(files, to: directory)
    }

    static let all: [FixturePackage] = [greeter, signed, prerelease, mixedCase]

    /// Two manifests: the 6.0 one adds a define, so the consumer's output shows which manifest
    /// the build used. It also has package-metadata.json with repositoryURLs for /identifiers.
    static let greeter = FixturePackage(
        identifier: "e2e.greeter", version: "1.0.0", signed: false,
        files: [
            "Package.swift": """
                // swift-tools-version:5.9
                import PackageDescription

                let package = Package(
                    name: "Greeter",
                    products: [.library(name: "Greeter", targets: ["Greeter"])],
                    targets: [.target(name: "Greeter")]
                )

                """,
            "Package@swift-6.0.swift": """
                // swift-tools-version:6.0
                import PackageDescription

                let package = Package(
                    name: "Greeter",
                    products: [.library(name: "Greeter", targets: ["Greeter"])],
                    targets: [
                        .target(name: "Greeter", swiftSettings: [.define("GREETER_SWIFT6_MANIFEST")])
                    ]
                )

                """,
            "Sources/Greeter/Greeter.swift": """
                public func greet(_ name: String) -> String {
                    #if GREETER_SWIFT6_MANIFEST
                    return "Hello, \\(name)! (Package@swift-6.0.swift)"
                    #else
                    return "Hello, \\(name)! (Package.swift)"
                    #endif
                }

                """,
            "package-metadata.json": """
                {"description":"Greeter package for the Bulwark end-to-end test","repositoryURLs":["https://github.com/example/greeter.git"]}

                """,
        ]
    )

    /// Signed at publish time; it has metadata, so the client signs that too.
    static let signed = FixturePackage(
        identifier: "e2e.signed", version: "1.0.0", signed: true,
        files: [
            "Package.swift": libraryManifest(name: "Signed"),
            "Sources/Signed/Signed.swift": """
                public func signedGreeting() -> String { "signed package says hi" }

                """,
            "package-metadata.json": """
                {"description":"Signed package for the Bulwark end-to-end test"}

                """,
        ]
    )

    /// Pre-release plus build metadata: the client sends the "+" literally in paths.
    static let prerelease = FixturePackage(
        identifier: "e2e.pre", version: "2.0.0-beta.1+build.5", signed: false,
        files: [
            "Package.swift": libraryManifest(name: "Pre"),
            "Sources/Pre/Pre.swift": """
                public func prereleaseGreeting() -> String { "prerelease 2.0.0-beta.1+build.5 says hi" }

                """,
        ]
    )

    /// Published as E2E.MixedCase and consumed as e2e.mixedcase: lookups must ignore case.
    static let mixedCase = FixturePackage(
        identifier: "E2E.MixedCase", version: "1.0.0", signed: false,
        files: [
            "Package.swift": libraryManifest(name: "MixedCase"),
            "Sources/MixedCase/MixedCase.swift": """
                public func mixedCaseGreeting() -> String { "E2E.MixedCase says hi" }

                """,
        ]
    )

    static func libraryManifest(name: String) -> String {
        """
        // swift-tools-version:5.9
        import PackageDescription

        let package = Package(
            name: "\(name)",
            products: [.library(name: "\(name)", targets: ["\(name)"])],
            targets: [.target(name: "\(name)")]
        )

        """
    }
}

enum ConsumerFixtures {
    /// Depends on every fixture by registry identity. The mixed-case package is requested
    /// in lowercase.
    static let registryConsumer: [String: String] = [
        "Package.swift": """
            // swift-tools-version:5.9
            import PackageDescription

            let package = Package(
                name: "Consumer",
                dependencies: [
                    .package(id: "e2e.greeter", from: "1.0.0"),
                    .package(id: "e2e.signed", from: "1.0.0"),
                    .package(id: "e2e.pre", exact: "2.0.0-beta.1+build.5"),
                    .package(id: "e2e.mixedcase", from: "1.0.0"),
                ],
                targets: [
                    .executableTarget(
                        name: "Consumer",
                        dependencies: [
                            .product(name: "Greeter", package: "e2e.greeter"),
                            .product(name: "Signed", package: "e2e.signed"),
                            .product(name: "Pre", package: "e2e.pre"),
                            .product(name: "MixedCase", package: "e2e.mixedcase"),
                        ]
                    )
                ]
            )

            """,
        "Sources/Consumer/main.swift": """
            import Greeter
            import MixedCase
            import Pre
            import Signed

            print("greeter: \\(greet("registry"))")
            print("signed: \\(signedGreeting())")
            print("pre: \\(prereleaseGreeting())")
            print("mixed: \\(mixedCaseGreeting())")

            """,
    ]

    /// The 6.0 manifest wins with a 6.x toolchain, so the define it sets is in effect.
    static let expectedOutput = [
        "greeter: Hello, registry! (Package@swift-6.0.swift)",
        "signed: signed package says hi",
        "pre: prerelease 2.0.0-beta.1+build.5 says hi",
        "mixed: E2E.MixedCase says hi",
    ]

    /// Depends on the greeter by its repository URL, which only the registry's
    /// /identifiers endpoint can map to e2e.greeter.
    static let scmConsumer: [String: String] = [
        "Package.swift": """
            // swift-tools-version:5.9
            import PackageDescription

            let package = Package(
                name: "ScmConsumer",
                dependencies: [
                    .package(url: "https://github.com/example/greeter.git", from: "1.0.0"),
                ],
                targets: [
                    .executableTarget(
                        name: "ScmConsumer",
                        dependencies: [.product(name: "Greeter", package: "greeter")]
                    )
                ]
            )

            """,
        "Sources/ScmConsumer/main.swift": """
            import Greeter

            print(greet("scm"))

            """,
    ]
}

// MARK: - Running commands

struct E2EFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A finished command and everything it printed.
struct CommandResult: Sendable {
    let commandLine: String
    let directory: String
    let exitStatus: Int32
    let killedBySignal: Bool
    let timedOut: Bool
    let stdout: String
    let stderr: String

    var succeeded: Bool { exitStatus == 0 && !killedBySignal && !timedOut }
    var output: String { stdout + "\n" + stderr }

    var report: String {
        let outcome: String
        if timedOut {
            outcome = "timed out and was killed"
        } else if killedBySignal {
            outcome = "killed by signal \(exitStatus)"
        } else if exitStatus == 124 {
            outcome = "exit status 124 (the isolation script's timeout)"
        } else {
            outcome = "exit status \(exitStatus)"
        }
        return """
            $ \(commandLine)
            (in \(directory)): \(outcome)
            --- stdout ---
            \(stdout.tail(20_000))
            --- stderr ---
            \(stderr.tail(20_000))
            """
    }
}

/// Runs commands with output captured to files in the logs directory (numbered in order), a
/// closed stdin so that nothing can wait for input, and a hard timeout.
final class CommandRunner {
    let logsDirectory: URL
    private var counter = 0

    init(logsDirectory: URL) {
        self.logsDirectory = logsDirectory
    }

    /// Runs a command and throws, with its whole output, unless it exits 0.
    @discardableResult
    func checked(
        _ executable: URL, _ arguments: [String], in directory: URL,
        environment: [String: String] = [:], timeout: TimeInterval = 300, label: String
    ) async throws -> CommandResult {
        let result = try await run(
            executable, arguments, in: directory, environment: environment, timeout: timeout, label: label
        )
        guard result.succeeded else {
            throw E2EFailure("command failed: \(label)\n\(result.report)")
        }
        return result
    }

    func run(
        _ executable: URL, _ arguments: [String], in directory: URL,
        environment: [String: String] = [:], timeout: TimeInterval, label: String
    ) async throws -> CommandResult {
        counter += 1
        let number = String(counter)
        let prefix = logsDirectory.appendingPathComponent(String(repeating: "0", count: max(0, 3 - number.count)) + number + "-" + label)
        let stdoutURL = prefix.appendingPathExtension("stdout")
        let stderrURL = prefix.appendingPathExtension("stderr")
        let stdoutHandle = try createLogFile(stdoutURL)
        let stderrHandle = try createLogFile(stderrURL)
        defer {
            try? stdoutHandle.close()
            try? stderrHandle.close()
        }

        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdoutHandle
        process.standardError = stderrHandle

        let watchdog = Watchdog()
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { finished in
                watchdog.markFinished()
                continuation.resume(returning: finished.terminationStatus)
            }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: E2EFailure("cannot launch \(executable.path): \(error)"))
                return
            }
            watchdog.arm(pid: process.processIdentifier, after: timeout)
        }

        return CommandResult(
            commandLine: ([executable.path] + arguments).map(shellQuoted).joined(separator: " "),
            directory: directory.path,
            exitStatus: status,
            killedBySignal: process.terminationReason == .uncaughtSignal,
            timedOut: watchdog.fired,
            stdout: readText(stdoutURL),
            stderr: readText(stderrURL)
        )
    }
}

/// Kills a process that outlives its timeout: SIGTERM first, then SIGKILL 10 s later.
final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var finished = false
    private var didFire = false

    var fired: Bool { locked { didFire } }

    func markFinished() { locked { finished = true } }

    func arm(pid: pid_t, after seconds: TimeInterval) {
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
            // Checking under the lock means a finished process (whose pid may be reused) is never signalled.
            let shouldKill = locked { () -> Bool in
                guard !finished else { return false }
                didFire = true
                return true
            }
            guard shouldKill else { return }
            kill(pid, SIGTERM)
            DispatchQueue.global().asyncAfter(deadline: .now() + 10) { [self] in
                if !locked({ finished }) { kill(pid, SIGKILL) }
            }
        }
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}

/// `bulwark serve`, started in the background and stopped with SIGTERM.
final class ServerProcess {
    let process: Process
    let port: Int
    let stdoutLog: URL
    let stderrLog: URL

    private init(process: Process, port: Int, stdoutLog: URL, stderrLog: URL) {
        self.process = process
        self.port = port
        self.stdoutLog = stdoutLog
        self.stderrLog = stderrLog
    }

    /// Starts the server, then waits for its "listening on https://127.0.0.1:PORT" line.
    static func start(
        executable: URL, arguments: [String], logPrefix: URL, readinessTimeout: TimeInterval
    ) async throws -> ServerProcess {
        let stdoutLog = logPrefix.appendingPathExtension("stdout")
        let stderrLog = logPrefix.appendingPathExtension("stderr")
        // Output goes to files rather than pipes: a pipe nobody drains would block the server.
        let stdoutHandle = try createLogFile(stdoutLog)
        let stderrHandle = try createLogFile(stderrLog)
        defer {
            try? stdoutHandle.close()
            try? stderrHandle.close()
        }

        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdoutHandle
        process.standardError = stderrHandle
        do {
            try process.run()
        } catch {
            throw E2EFailure("cannot launch \(executable.path): \(error)")
        }
        let commandLine = ([executable.path] + arguments).map(shellQuoted).joined(separator: " ")

        let deadline = Date().addingTimeInterval(readinessTimeout)
        while true {
            if let port = listeningPort(in: readText(stdoutLog)) {
                return ServerProcess(process: process, port: port, stdoutLog: stdoutLog, stderrLog: stderrLog)
            }
            let logs = "--- stdout ---\n\(readText(stdoutLog).tail(8_000))\n--- stderr ---\n\(readText(stderrLog).tail(8_000))"
            if !process.isRunning {
                throw E2EFailure(
                    "bulwark serve exited (status \(process.terminationStatus)) before printing 'listening on https://…'\n$ \(commandLine)\n\(logs)"
                )
            }
            if Date() > deadline {
                ServerProcess(process: process, port: 0, stdoutLog: stdoutLog, stderrLog: stderrLog).stop()
                throw E2EFailure(
                    "bulwark serve did not print 'listening on https://…' within \(Int(readinessTimeout)) s\n$ \(commandLine)\n\(logs)"
                )
            }
            try await Task.sleep(nanoseconds: 200_000_000)
        }
    }

    /// Parses the port from a line like "listening on https://127.0.0.1:8443".
    static func listeningPort(in output: String) -> Int? {
        for line in output.split(whereSeparator: \.isNewline) {
            guard let marker = line.range(of: "listening on https://") else { continue }
            let authority = line[marker.upperBound...].prefix { !$0.isWhitespace && $0 != "/" }
            if let colon = authority.lastIndex(of: ":"), let port = Int(authority[authority.index(after: colon)...]),
                port > 0
            {
                return port
            }
        }
        return nil
    }

    /// SIGTERM, up to 15 s to exit, then SIGKILL. Safe to call more than once.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning, Date() < deadline {
            usleep(100_000)
        }
        if process.isRunning {
            print("SwiftPMEndToEnd: bulwark serve ignored SIGTERM for 15 s; sending SIGKILL")
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

// MARK: - Small utilities

func findExecutable(named name: String) -> URL? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for directory in path.split(separator: ":") where !directory.isEmpty {
        let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
        if isExecutableFile(candidate) { return candidate }
    }
    return nil
}

func requireExecutable(_ name: String) throws -> URL {
    guard let url = findExecutable(named: name) else { throw E2EFailure("\(name) not found on PATH") }
    return url
}

func isDirectory(_ url: URL) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
}

/// An executable regular file (directories are "executable" too, hence the extra check).
func isExecutableFile(_ url: URL) -> Bool {
    !isDirectory(url) && FileManager.default.isExecutableFile(atPath: url.path)
}

/// The home directory from the password database: the one SwiftPM uses, and the one the
/// isolation replaces.
func passwordDatabaseHome() -> String? {
    guard let entry = getpwuid(getuid()), let directory = entry.pointee.pw_dir else { return nil }
    return URL(fileURLWithPath: String(cString: directory)).resolvingSymlinksInPath().path
}

func createLogFile(_ url: URL) throws -> FileHandle {
    guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
        throw E2EFailure("cannot create \(url.path)")
    }
    return try FileHandle(forWritingTo: url)
}

func readText(_ url: URL) -> String {
    guard let data = FileManager.default.contents(atPath: url.path) else { return "" }
    return String(decoding: data, as: UTF8.self)
}

func readJSONObject(_ url: URL) throws -> [String: Any] {
    guard let data = FileManager.default.contents(atPath: url.path) else {
        throw E2EFailure("cannot read \(url.path)")
    }
    guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw E2EFailure("\(url.path) is not a JSON object:\n\(String(decoding: data, as: UTF8.self))")
    }
    return object
}

/// Writes files (relative path -> content) under a directory, creating parents.
func writeFiles(_ files: [String: String], to directory: URL) throws {
    for (relativePath, content) in files {
        let file = directory.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(
            at: file.deletingLastPathComponent(), withIntermediateDirectories: true
        )
        try content.write(to: file, atomically: true, encoding: .utf8)
    }
}

func shellQuoted(_ argument: String) -> String {
    let safe = argument.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=@+,%".contains($0) }
    return safe && !argument.isEmpty ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

extension String {
    /// The last `maxCharacters` characters, marked when something was cut.
    func tail(_ maxCharacters: Int) -> String {
        count <= maxCharacters ? self : "[… \(count - maxCharacters) characters cut …]\n" + suffix(maxCharacters)
    }
}
