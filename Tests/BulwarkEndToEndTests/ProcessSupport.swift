// Subprocess plumbing for the SwiftPM end-to-end test: the isolated `swift` client, a
// command runner with captured output and timeouts, and the background `bulwark serve`. Every
// child is a BulwarkTestSupport `ChildProcess` (posix_spawn with an empty signal mask, waitpid),
// never Foundation's `Process`.

import BulwarkTestSupport
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - The client, isolated

/// Runs `swift …` through scripts/swiftpm-isolated.sh, with a shared fake home so that the
/// credentials from `login` are there for later commands.
struct IsolatedSwift {
    /// How often a command is tried when the client crashes (see `CommandResult.crashed`).
    static let maximumAttempts = 3

    let runner: CommandRunner
    let script: URL
    let home: URL
    let testCA: URL

    /// Runs the command and throws unless it exits 0. A client crash leads to a retry: every
    /// command that goes through here is idempotent (login, set, resolve, build). The result
    /// carries the output of the crashed attempts too. A crash at exit can come after the
    /// real work, and then only the crashed attempt printed about it.
    @discardableResult
    func run(
        _ arguments: [String], in directory: URL,
        timeout: TimeInterval = EndToEndScenario.swiftCommandTimeout, label: String
    ) async throws -> CommandResult {
        var crashedAttempts: [CommandResult] = []
        for attempt in 1...Self.maximumAttempts {
            let result = try await self.attempt(
                arguments, in: directory, timeout: timeout, label: attempt == 1 ? label : "\(label)-\(attempt)"
            ).following(crashedAttempts)
            if result.succeeded { return result }
            guard result.crashed, attempt < Self.maximumAttempts else {
                throw E2EFailure("command failed: \(label)\n\(result.report)")
            }
            print("SwiftPMEndToEnd: \(label) crashed (\(result.outcome)), a client bug; retrying (attempt \(attempt + 1) of \(Self.maximumAttempts))")
            crashedAttempts.append(result)
        }
        throw E2EFailure("unreachable: \(label)")
    }

    /// Runs the command once and returns its result, whatever it is.
    func attempt(
        _ arguments: [String], in directory: URL,
        timeout: TimeInterval = EndToEndScenario.swiftCommandTimeout, label: String
    ) async throws -> CommandResult {
        try await runner.run(
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

    /// Died from a signal that means a crash rather than our timeout. When a shell sits
    /// between us and the crashed process, this shows up as exit status 128 + signal.
    var crashed: Bool {
        let crashSignals: Set<Int32> = [SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV]
        guard !timedOut else { return false }
        return killedBySignal ? crashSignals.contains(exitStatus) : crashSignals.contains(exitStatus - 128)
    }

    /// This result with the output of earlier, crashed attempts in front.
    func following(_ earlierAttempts: [CommandResult]) -> CommandResult {
        guard let previous = earlierAttempts.last else { return self }
        let banner = "\n=== retry after a crash (\(previous.outcome)) ===\n"
        return CommandResult(
            commandLine: commandLine, directory: directory, exitStatus: exitStatus,
            killedBySignal: killedBySignal, timedOut: timedOut,
            stdout: previous.stdout + banner + stdout, stderr: previous.stderr + banner + stderr
        )
    }

    var outcome: String {
        if timedOut { return "stopped by the watchdog (timeout or test cancellation)" }
        if killedBySignal { return "killed by signal \(exitStatus)" }
        if exitStatus == 124 { return "exit status 124 (the isolation script's timeout)" }
        return "exit status \(exitStatus)"
    }

    var report: String {
        """
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
        let prefix = numberedFilePrefix(in: logsDirectory, counter, label)
        let stdoutURL = prefix.appendingPathExtension("stdout")
        let stderrURL = prefix.appendingPathExtension("stderr")

        // Stops the process when it runs too long, and when the test is cancelled (for example by
        // its time limit), so that no `swift` outlives the test: SIGTERM to its process group, then
        // SIGKILL 10 s later. Its end is seen with waitpid, so a daemon it started and that keeps
        // its descriptors does not keep it "running".
        try Task.checkCancellation()
        let outcome: ChildProcess.Outcome
        do {
            outcome = try await ChildProcess.run(
                executable.path, arguments, directory: directory.path, environment: .overriding(environment),
                stdin: .null, stdout: .file(stdoutURL.path), stderr: .file(stderrURL.path),
                timeout: .seconds(timeout), killGrace: .seconds(10)
            )
        } catch {
            throw E2EFailure("cannot launch \(executable.path): \(error)")
        }

        return CommandResult(
            commandLine: ([executable.path] + arguments).map(shellQuoted).joined(separator: " "),
            directory: directory.path,
            exitStatus: outcome.termination.exitStatus ?? outcome.termination.signal ?? -1,
            killedBySignal: outcome.termination.signal != nil,
            timedOut: outcome.timedOut,
            stdout: readText(stdoutURL),
            stderr: readText(stderrURL)
        )
    }
}

/// `bulwark serve`, started in the background and stopped with SIGTERM.
final class ServerProcess {
    let process: ChildProcess
    let port: Int
    let stdoutLog: URL
    let stderrLog: URL

    private init(process: ChildProcess, port: Int, stdoutLog: URL, stderrLog: URL) {
        self.process = process
        self.port = port
        self.stdoutLog = stdoutLog
        self.stderrLog = stderrLog
    }

    /// Starts the server, then waits for its "listening on https://127.0.0.1:PORT" line.
    static func start(
        executable: URL, arguments: [String], logPrefix: URL, readinessTimeout: TimeInterval,
        environment: [String: String] = [:]
    ) async throws -> ServerProcess {
        let stdoutLog = logPrefix.appendingPathExtension("stdout")
        let stderrLog = logPrefix.appendingPathExtension("stderr")
        // Output goes to files rather than pipes: the tests read the logs while the server runs,
        // and after it has gone.
        let process: ChildProcess
        do {
            process = try ChildProcess.start(
                executable.path, arguments, environment: .overriding(environment),
                stdin: .null, stdout: .file(stdoutLog.path), stderr: .file(stderrLog.path)
            )
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
            if let termination = process.termination {
                throw E2EFailure(
                    "bulwark serve exited (\(termination)) before printing 'listening on https://…'\n$ \(commandLine)\n\(logs)"
                )
            }
            if Date() > deadline {
                ServerProcess(process: process, port: 0, stdoutLog: stdoutLog, stderrLog: stderrLog).stop()
                throw E2EFailure(
                    "bulwark serve did not print 'listening on https://…' on stdout within \(Int(readinessTimeout)) s. Its stdout is a file, so it is block-buffered: the server must flush after that line.\n$ \(commandLine)\n\(logs)"
                )
            }
            do {
                try await Task.sleep(nanoseconds: 200_000_000)
            } catch {
                // Cancelled (for example by the test's time limit): do not leave the server behind.
                ServerProcess(process: process, port: 0, stdoutLog: stdoutLog, stderrLog: stderrLog).stop()
                throw error
            }
        }
    }

    /// Parses the port from a line like "listening on https://127.0.0.1:8443" (or http://).
    static func listeningPort(in output: String) -> Int? {
        for line in output.split(whereSeparator: \.isNewline) {
            guard let marker = line.range(of: "listening on https://") ?? line.range(of: "listening on http://") else { continue }
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
        if process.waitBlocking(timeout: .seconds(15)) == nil {
            print("SwiftPMEndToEnd: bulwark serve ignored SIGTERM for 15 s; sending SIGKILL")
            process.kill()
            process.waitBlocking()
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

/// `<directory>/<number, zero-padded to 3 digits>-<label>`: files named in the order they were made.
func numberedFilePrefix(in directory: URL, _ number: Int, _ label: String) -> URL {
    let digits = String(number)
    return directory.appendingPathComponent(String(repeating: "0", count: max(0, 3 - digits.count)) + digits + "-" + label)
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

/// The `bulwark` executable: `BULWARK_BIN`, else next to the test bundle, else `.build/debug`.
func locateBulwarkExecutable(packageRoot: URL) throws -> URL {
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
