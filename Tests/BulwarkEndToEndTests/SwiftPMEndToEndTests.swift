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
// Files: this one holds the suite and the scenario. ProcessSupport.swift runs commands and
// the server, TestPKI.swift makes the certificates, and Fixtures.swift holds the packages.
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
        await runScenario(scenario, suite: "SwiftPMEndToEnd")
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
        let outcome: ChildProcess.Outcome
        do {
            outcome = try ChildProcess.runBlocking(
                unshare.path, ["--mount", "--propagation", "private", "true"], stdout: .discard, stderr: .discard, timeout: .seconds(60)
            )
        } catch {
            return "cannot launch unshare: \(error)"
        }
        return outcome.succeeded
            ? nil
            : "`unshare --mount` is not permitted here (\(outcome.termination))"
    }
}

// MARK: - The scenario

/// Runs the whole client/server round trip. Not `Sendable`: it is used from a single task only.
final class EndToEndScenario: E2EScenario {
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
        // The isolation hides the real home directory, so the work directory must be elsewhere.
        let work = try makeScenarioWorkDirectory(prefix: "bulwark-e2e-")
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
        var archiveChecksums: [String: [String]] = [:]
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
        finishScenario("SwiftPMEndToEnd", workDirectory: workDirectory, logsDirectory: logsDirectory, server: server, failed: failed)
    }

    /// Appended to a failure: where to look, and what the server said last.
    func diagnosticContext() -> String {
        scenarioDiagnosticContext(workDirectory: workDirectory, logsDirectory: logsDirectory, server: server)
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
    /// that the client built and uploaded. If a client crash leaves it unclear which attempt's
    /// archive the server kept, it returns every candidate.
    ///
    /// Publishing is not idempotent, so a crash is handled here rather than by a plain retry.
    /// SwiftPM 6.3.1 sometimes dies with SIGSEGV on exit after the upload; this was seen in
    /// a few percent of runs on a busy machine. Its stdout can then be lost, and a retry gets
    /// 409 from the server because the first upload went through.
    private func publish(
        _ fixture: FixturePackage, swift: IsolatedSwift, registryURL: String, pki: TestPKI
    ) async throws -> [String] {
        let directory = workDirectory.appendingPathComponent("packages/\(fixture.identifier)")
        try fixture.write(to: directory)

        var crashedAttemptArchives: [URL] = []
        for attempt in 1...IsolatedSwift.maximumAttempts {
            // The client copies the package directory into the archive, leaving out only a
            // top-level .build. Its working files go to a separate scratch directory, which
            // must already exist, so nothing extra appears in the package directory. Each
            // attempt gets its own, because every run builds a new zip with new timestamps.
            let scratch = workDirectory.appendingPathComponent("publish-scratch/\(fixture.identifier)/attempt-\(attempt)")
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
            let result = try await swift.attempt(
                arguments, in: directory, label: "swift-publish-\(fixture.identifier)-\(attempt)"
            )
            let archive = publishedArchive(inScratch: scratch)

            if result.succeeded {
                check(
                    result.output.contains("successfully"),
                    "publish of \(fixture.identifier) \(fixture.version) exited 0 but did not report success\n\(result.report)"
                )
                guard let archive else {
                    throw E2EFailure("publish of \(fixture.identifier) left no archive in \(scratch.path)\n\(result.report)")
                }
                return [try await sha256(of: archive)]
            }
            if result.crashed {
                print("SwiftPMEndToEnd: publish of \(fixture.identifier) crashed (\(result.outcome)), a client bug; attempt \(attempt) of \(IsolatedSwift.maximumAttempts)")
                if let archive {
                    // The crash came after the server's answer, and the client said so.
                    if result.output.contains("successfully published") { return [try await sha256(of: archive)] }
                    crashedAttemptArchives.append(archive)
                }
                continue
            }
            if !crashedAttemptArchives.isEmpty, result.output.contains("error 409") {
                // An earlier attempt crashed after its upload was stored.
                var checksums: [String] = []
                for archive in crashedAttemptArchives { checksums.append(try await sha256(of: archive)) }
                return checksums
            }
            throw E2EFailure("command failed: publish of \(fixture.identifier) \(fixture.version)\n\(result.report)")
        }
        throw E2EFailure(
            "swift package-registry publish of \(fixture.identifier) crashed \(IsolatedSwift.maximumAttempts) times; see \(logsDirectory.path)"
        )
    }

    private func consumeByRegistryIdentity(
        swift: IsolatedSwift, registryURL: String, archiveChecksums: [String: [String]]
    ) async throws {
        let consumer = workDirectory.appendingPathComponent("consumers/Consumer")
        try writeFiles(ConsumerFixtures.registryConsumer, to: consumer)
        try await swift.run(["package-registry", "set", registryURL], in: consumer, label: "swift-registry-set-consumer")

        // With -v the client reports each signature it validated, for the archive ("e2e.signed
        // 1.0.0 from <registry> is signed with a valid entity …") and for the manifest
        // ("e2e.signed 1.0.0 Package.swift from …"). These are the 6.3.1 wordings.
        let resolve = try await swift.run(["package", "resolve", "-v"], in: consumer, label: "swift-resolve-consumer")
        let resolveLines = resolve.output.split(whereSeparator: \.isNewline)
        for (subject, marker) in [("source archive", "e2e.signed 1.0.0 from"), ("manifest", "e2e.signed 1.0.0 Package.swift from")] {
            check(
                resolveLines.contains { $0.contains(marker) && $0.contains("is signed with a valid entity") },
                "resolve did not report a valid \(subject) signature for e2e.signed (no line with '\(marker) … is signed with a valid entity'): the signature was not served or not verified\n\(resolve.report)"
            )
        }

        // Durable evidence, whatever the log says: the client stores each release's metadata
        // next to the download. The signed release must carry its signature there. With
        // onUntrustedCertificate=error, a signature that did not chain to the test CA would
        // have failed the resolve. The metadata must also come back as it was published.
        let signedMetadata = try downloadedReleaseMetadata(in: consumer, scope: "e2e", name: "signed", version: "1.0.0")
        let signature = signedMetadata["signature"] as? [String: Any]
        check(
            (signature?["base64"] as? String)?.isEmpty == false,
            "the client recorded no signature for e2e.signed 1.0.0, so the server did not serve resources[].signing: \(signedMetadata)"
        )
        let greeterMetadata = try downloadedReleaseMetadata(in: consumer, scope: "e2e", name: "greeter", version: "1.0.0")
        check(
            greeterMetadata["description"] as? String == "Greeter package for the Bulwark end-to-end test",
            "e2e.greeter's metadata did not come back as published: \(greeterMetadata)"
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
        for (identifier, checksums) in archiveChecksums.sorted(by: { $0.key < $1.key }) {
            check(
                checksums.contains { fingerprints.contains($0) },
                "the archive served for \(identifier) differs from the one published (sha256 \(checksums.joined(separator: " or ")) not among the client's fingerprints)"
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

    /// The pins of kind "registry" in Package.resolved: identity (lowercased) -> version.
    private func registryPins(in package: URL) throws -> [String: String] {
        var pins: [String: String] = [:]
        for pin in try allPins(in: package) where pin["kind"] as? String == "registry" {
            guard let identity = pin["identity"] as? String else { continue }
            let state = pin["state"] as? [String: Any]
            pins[identity.lowercased()] = state?["version"] as? String ?? "<no version>"
        }
        return pins
    }

    /// The `.registry-metadata` file the client writes next to a downloaded release.
    private func downloadedReleaseMetadata(in package: URL, scope: String, name: String, version: String) throws -> [String: Any] {
        let downloads = package.appendingPathComponent(".build/registry/downloads")
        let suffix = "/\(scope)/\(name)/\(version)/.registry-metadata".lowercased()
        let enumerator = FileManager.default.enumerator(at: downloads, includingPropertiesForKeys: nil)
        while let url = enumerator?.nextObject() as? URL {
            if url.path.lowercased().hasSuffix(suffix) { return try readJSONObject(url) }
        }
        throw E2EFailure("no .registry-metadata for \(scope).\(name) \(version) under \(downloads.path)")
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
        try await sha256Hex(of: file, runner: runner, in: workDirectory)
    }

    /// Finds the server executable: BULWARK_BIN, then a `bulwark` next to the test bundle
    /// (for example .build/debug/bulwark beside .build/debug/bulwarkPackageTests.xctest), then
    /// <package root>/.build/debug/bulwark.
    private func locateBulwark() throws -> URL { try locateBulwarkExecutable(packageRoot: packageRoot) }
}
