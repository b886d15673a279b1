import BulwarkTestSupport
import Foundation

/// Runs independent command-line tools (oathtool, rsvg-convert, zbarimg) for cross-checks.
///
/// The process (a ``ChildProcess``) is awaited without blocking a thread of Swift concurrency's
/// cooperative pool; its output is drained on background threads, so a chatty tool can never fill
/// a pipe buffer and stall.
enum ExternalTool {
    /// What a finished process left behind.
    struct Output: Sendable {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    struct TimedOut: Error, CustomStringConvertible {
        let command: String
        var description: String { "\(command) did not finish in time and was terminated" }
    }

    /// Set in `scripts/test` and CI: a missing tool fails the test instead of skipping it.
    static var endToEndRequired: Bool {
        ProcessInfo.processInfo.environment["BULWARK_E2E_REQUIRED"] == "1"
    }

    /// The absolute path of `name` on `PATH`, if it is installed.
    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Whether a test needing `tools` should run: when they are all installed, or when end-to-end
    /// tests are required (the test then fails, naming what is missing). Otherwise the test is
    /// skipped and Swift Testing prints the trait's comment as the reason.
    static func shouldRun(_ tools: String...) -> Bool {
        endToEndRequired || tools.allSatisfy { find($0) != nil }
    }

    /// The path of `name`, or an error naming the Debian package to install.
    static func require(_ name: String, package: String) throws -> String {
        guard let path = find(name) else {
            throw MissingTool(name: name, package: package)
        }
        return path
    }

    struct MissingTool: Error, CustomStringConvertible {
        let name: String
        let package: String
        var description: String {
            "\(name) is not installed and BULWARK_E2E_REQUIRED=1: apt-get install \(package) (scripts/test does)"
        }
    }

    /// Runs `executable` with `arguments` and waits for it without blocking a thread.
    static func run(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(60)) async throws -> Output {
        let outcome = try await ChildProcess.run(executable, arguments, timeout: timeout)
        if outcome.timedOut {
            throw TimedOut(command: ([executable] + arguments).joined(separator: " "))
        }
        return Output(status: outcome.termination.shellStatus, stdout: outcome.stdoutText, stderr: outcome.stderrText)
    }
}
