import Foundation

/// Runs independent command-line tools (oathtool, rsvg-convert, zbarimg) for cross-checks.
///
/// The process is awaited through its `terminationHandler` and a checked continuation, so no thread
/// of Swift concurrency's cooperative pool blocks on it; its output goes to temporary files rather
/// than pipes, so a chatty tool can never fill a pipe buffer and stall.
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
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("bulwark-tool-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let stdoutURL = directory.appendingPathComponent("stdout")
        let stderrURL = directory.appendingPathComponent("stderr")
        try Data().write(to: stdoutURL)
        try Data().write(to: stderrURL)
        let stdoutHandle = try FileHandle(forWritingTo: stdoutURL)
        defer { try? stdoutHandle.close() }
        let stderrHandle = try FileHandle(forWritingTo: stderrURL)
        defer { try? stderrHandle.close() }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdoutHandle
        process.standardError = stderrHandle

        // Ends a hung tool; its value tells whether it had to.
        let watchdog = Task { () -> Bool in
            do { try await Task.sleep(for: timeout) } catch { return false }
            guard process.isRunning else { return false }
            process.terminate()
            return true
        }

        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { finished in
                continuation.resume(returning: finished.terminationStatus)
            }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                watchdog.cancel()
                continuation.resume(throwing: error)
            }
        }
        watchdog.cancel()
        if await watchdog.value {
            throw TimedOut(command: ([executable] + arguments).joined(separator: " "))
        }
        return Output(
            status: status,
            stdout: String(decoding: (try? Data(contentsOf: stdoutURL)) ?? Data(), as: UTF8.self),
            stderr: String(decoding: (try? Data(contentsOf: stderrURL)) ?? Data(), as: UTF8.self)
        )
    }
}
