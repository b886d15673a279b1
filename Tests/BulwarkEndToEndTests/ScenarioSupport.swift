// What the scenarios that drive the isolated `swift` client share (SwiftPMEndToEndTests,
// StagedReleaseEndToEndTests): their work directory, teardown, failure context, and the
// SHA-256 of the archives the client publishes.

import Foundation
import Testing

/// A scenario a test runs: its steps, and what a failure is reported with.
protocol E2EScenario: AnyObject {
    var workDirectory: URL { get }
    /// Set when any step or check fails, so that the work directory is kept.
    var failed: Bool { get set }
    func run() async throws
    /// Appended to a failure: where to look, and what the server said last.
    func diagnosticContext() -> String
}

/// Says where the scenario works and runs it; an error it throws marks it failed and is recorded
/// with its diagnostic context. The caller finishes the scenario.
func runScenario(_ scenario: some E2EScenario, suite: String, sourceLocation: SourceLocation = #_sourceLocation) async {
    print("\(suite): work directory \(scenario.workDirectory.path)")
    do {
        try await scenario.run()
    } catch {
        scenario.failed = true
        Issue.record(Comment(rawValue: "\(error)\n\n\(scenario.diagnosticContext())"), sourceLocation: sourceLocation)
    }
}

/// A fresh `<base>/<prefix><8 hex>` work directory. The base is BULWARK_E2E_WORKDIR or the
/// temporary directory, but never inside the home directory, which the client isolation hides
/// (then /tmp).
func makeScenarioWorkDirectory(prefix: String) throws -> URL {
    var base = ProcessInfo.processInfo.environment["BULWARK_E2E_WORKDIR"].map { URL(fileURLWithPath: $0) }
        ?? FileManager.default.temporaryDirectory
    base = base.resolvingSymlinksInPath()
    if let home = passwordDatabaseHome(), base.path == home || base.path.hasPrefix(home + "/") {
        base = URL(fileURLWithPath: "/tmp")
    }
    let directory = base.appendingPathComponent("\(prefix)\(UUID().uuidString.prefix(8).lowercased())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}

/// Stops the server, then keeps the work directory on failure (or with BULWARK_E2E_KEEP=1) and
/// deletes it otherwise. `suite` names the scenario in what it prints.
func finishScenario(_ suite: String, workDirectory: URL, logsDirectory: URL, server: ServerProcess?, failed: Bool) {
    server?.stop()
    if failed || ProcessInfo.processInfo.environment["BULWARK_E2E_KEEP"] == "1" {
        print("\(suite): kept work directory \(workDirectory.path) (logs in \(logsDirectory.path))")
    } else {
        try? FileManager.default.removeItem(at: workDirectory)
    }
}

/// Appended to a failure: where to look, and what the server said last.
func scenarioDiagnosticContext(workDirectory: URL, logsDirectory: URL, server: ServerProcess?) -> String {
    var context = "Work directory (kept): \(workDirectory.path)\nCommand logs: \(logsDirectory.path)"
    if let server {
        context += "\n\n--- bulwark serve stdout (tail) ---\n\(readText(server.stdoutLog).tail(8_000))"
        context += "\n--- bulwark serve stderr (tail) ---\n\(readText(server.stderrLog).tail(8_000))"
    }
    return context
}

/// The lowercase hex SHA-256 of a file, from `openssl dgst -sha256 -r`.
func sha256Hex(of file: URL, runner: CommandRunner, in directory: URL) async throws -> String {
    let result = try await runner.checked(
        try requireExecutable("openssl"), ["dgst", "-sha256", "-r", file.path], in: directory, label: "sha256"
    )
    // Output: "<hex> *<path>"
    let digest = result.stdout.split(separator: " ").first.map { String($0).lowercased() } ?? ""
    guard digest.count == 64, digest.allSatisfy(\.isHexDigit) else {
        throw E2EFailure("unexpected openssl dgst output\n\(result.report)")
    }
    return digest
}

/// The archive `swift package-registry publish` left in its scratch directory, if exactly one.
func publishedArchive(inScratch scratch: URL) -> URL? {
    let archives = (try? FileManager.default.contentsOfDirectory(atPath: scratch.path))?.filter { $0.hasSuffix(".zip") }
    guard let archives, archives.count == 1 else { return nil }
    return scratch.appendingPathComponent(archives[0])
}
