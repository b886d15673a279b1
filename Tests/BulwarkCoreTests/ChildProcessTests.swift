import BulwarkTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The posix_spawn-based child processes every test suite runs its tools with.
@Suite("ChildProcess")
struct ChildProcessTests {
    static let sh = "/bin/sh"

    @Test func exitStatusAndSignal() async throws {
        #expect(try await ChildProcess.run(Self.sh, ["-c", "exit 0"]).termination == .exited(0))
        let failed = try await ChildProcess.run(Self.sh, ["-c", "exit 3"])
        #expect(failed.termination == .exited(3))
        #expect(!failed.succeeded && !failed.timedOut)
        let killed = try await ChildProcess.run(Self.sh, ["-c", "kill -KILL $$"])
        #expect(killed.termination == .signaled(SIGKILL))
        #expect(killed.termination.shellStatus == 128 + SIGKILL)
        #expect(try ChildProcess.runBlocking(Self.sh, ["-c", "exit 7"]).termination == .exited(7))
    }

    @Test func capturesMoreThanAPipeBufferOnBothStreams() async throws {
        // stderr first: a parent that only drained stdout would leave the child blocked on stderr.
        let script = "head -c 2500000 /dev/zero | tr '\\000' e >&2; head -c 3000000 /dev/zero | tr '\\000' o"
        let outcome = try await ChildProcess.run(Self.sh, ["-c", script], timeout: .seconds(60))
        #expect(outcome.succeeded)
        #expect(outcome.stdout.count == 3_000_000 && outcome.stdout.allSatisfy { $0 == UInt8(ascii: "o") })
        #expect(outcome.stderr.count == 2_500_000 && outcome.stderr.allSatisfy { $0 == UInt8(ascii: "e") })

        let blocking = try ChildProcess.runBlocking(Self.sh, ["-c", script], timeout: .seconds(60))
        #expect(blocking.stdout.count == 3_000_000 && blocking.stderr.count == 2_500_000)
    }

    @Test func stdinBytesAreDeliveredAndStderrCanFollowStdout() async throws {
        var generator = SystemRandomNumberGenerator()
        let input = (0..<1_500_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let echoed = try await ChildProcess.run("/bin/cat", stdin: .bytes(input), timeout: .seconds(60))
        #expect(echoed.succeeded)
        #expect(echoed.stdout == input)

        // A child that never reads its stdin still finishes (the writer gets EPIPE, not SIGPIPE).
        let ignoring = try await ChildProcess.run(Self.sh, ["-c", "exit 0"], stdin: .bytes(input), timeout: .seconds(30))
        #expect(ignoring.termination == .exited(0))

        let merged = try await ChildProcess.run(Self.sh, ["-c", "echo out; echo err >&2; echo out2"], stderr: .sameAsStdout)
        #expect(merged.stdoutText == "out\nerr\nout2\n")
        #expect(merged.stderr.isEmpty)
        #expect(try await ChildProcess.run(Self.sh, ["-c", "cat"]).stdout.isEmpty, "stdin is /dev/null by default")
    }

    @Test func filesEnvironmentAndDirectory() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString)").resolvingSymlinksInPath()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appendingPathComponent("log").path
        let toFile = try await ChildProcess.run(
            Self.sh, ["-c", "pwd; echo \"$CHILD_TEST_VALUE\" >&2; echo \"home=${HOME:-unset}\""], directory: directory.path,
            environment: .exact(["CHILD_TEST_VALUE": "it's set", "PATH": "/usr/bin:/bin"]), stdout: .file(log), stderr: .sameAsStdout
        )
        #expect(toFile.succeeded)
        #expect(toFile.stdout.isEmpty)
        #expect(String(decoding: try Data(contentsOf: URL(fileURLWithPath: log)), as: UTF8.self) == "\(directory.path)\nit's set\nhome=unset\n")

        let overriding = try await ChildProcess.run("/usr/bin/env", environment: .overriding(["CHILD_TEST_VALUE": "x"]))
        let lines = Set(overriding.stdoutText.split(separator: "\n").map(String.init))
        #expect(lines.contains("CHILD_TEST_VALUE=x"))
        #expect(lines.contains { $0.hasPrefix("PATH=") }, "the rest of the environment is inherited")

        #expect(throws: ChildProcess.LaunchFailure.self) { try ChildProcess.start("/nonexistent/program") }
        #expect(throws: ChildProcess.LaunchFailure.self) { try ChildProcess.start("/bin/true", directory: "/nonexistent/directory") }
    }

    @Test func childStartsWithNoBlockedSignalsAndNoInheritedDescriptors() async throws {
        // A descriptor of the test process that is not close-on-exec (F_DUPFD does not set it).
        let source = open("/dev/null", O_RDONLY | O_CLOEXEC)
        try #require(source >= 0)
        defer { close(source) }
        let leaked = fcntl(source, F_DUPFD, 300)
        try #require(leaked >= 300)
        defer { close(leaked) }
        let outcome = try await ChildProcess.run(
            Self.sh, ["-c", "grep SigBlk /proc/self/status; if [ -e /proc/self/fd/\(leaked) ]; then echo inherited; else echo closed; fi"]
        )
        #expect(outcome.stdoutText == "SigBlk:\t0000000000000000\nclosed\n")
    }

    @Test func timeoutStopsTheProcessGroup() async throws {
        let started = Date()
        // The shell and its background grandchild both get SIGTERM: the group is signalled.
        let outcome = try await ChildProcess.run(Self.sh, ["-c", "sleep 30 & echo $!; wait"], timeout: .milliseconds(300))
        #expect(outcome.timedOut && !outcome.succeeded)
        #expect(outcome.termination == .signaled(SIGTERM))
        // Well before the 30 s sleep would end (generous: the whole suite loads the machine).
        #expect(Date().timeIntervalSince(started) < 25)
        let grandchild = try #require(pid_t(outcome.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(try await Self.hasEnded(grandchild), "the background sleep was stopped with its parent")

        // SIGTERM ignored (the disposition survives exec): SIGKILL after the grace period.
        let stubborn = try ChildProcess.runBlocking(Self.sh, ["-c", "trap '' TERM; exec sleep 30"], timeout: .milliseconds(200), killGrace: .milliseconds(300))
        #expect(stubborn.timedOut)
        #expect(stubborn.termination == .signaled(SIGKILL))
    }

    @Test func cancellingTheTaskStopsTheChild() async throws {
        let task = Task { try await ChildProcess.run("/bin/sleep", ["30"]) }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        let outcome = try await task.value
        #expect(outcome.timedOut)
        #expect(outcome.termination == .signaled(SIGTERM))
    }

    @Test func aStartedChildCanBeWatchedAndTerminated() async throws {
        let child = try ChildProcess.start("/bin/sleep", ["30"], stdout: .discard, stderr: .discard)
        #expect(child.processGroup == child.pid)
        #expect(child.isRunning)
        #expect(child.termination == nil)
        #expect(await child.wait(timeout: .milliseconds(100)) == nil, "still running")
        #expect(child.waitBlocking(timeout: .milliseconds(100)) == nil)
        #expect(child.terminate())
        #expect(await child.wait(timeout: .seconds(10)) == .signaled(SIGTERM))
        #expect(!child.isRunning)
        #expect(child.termination == .signaled(SIGTERM))
        #expect(!child.kill(), "a reaped child is never signalled")

        // stop(): SIGTERM ignored, then SIGKILL.
        let stubborn = try ChildProcess.start(Self.sh, ["-c", "trap '' TERM; echo ready; exec sleep 30"])
        while stubborn.stdout.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        #expect(await stubborn.stop(grace: .milliseconds(300)) == .signaled(SIGKILL))
        #expect(stubborn.wasStopped)
        #expect(await stubborn.stop(grace: .seconds(1)) == .signaled(SIGKILL), "stopping again returns at once")

        let quick = try ChildProcess.start(Self.sh, ["-c", "echo done"])
        #expect(quick.waitBlocking() == .exited(0))
        #expect(quick.stdout == Array("done\n".utf8))
        #expect(!quick.wasStopped)
    }

    @Test func aDaemonHoldingTheOutputPipesDoesNotHoldUpCompletion() async throws {
        let started = Date()
        // The background sleep keeps stdout and stderr open long after the shell exits.
        let outcome = try await ChildProcess.run(Self.sh, ["-c", "echo before; sleep 30 & echo $!; echo after >&2"], timeout: .seconds(20))
        #expect(outcome.termination == .exited(0))
        #expect(!outcome.timedOut)
        // Before the 20 s timeout (which would mean it waited for the pipes), with room for a loaded machine.
        #expect(Date().timeIntervalSince(started) < 19)
        let lines = outcome.stdoutText.split(separator: "\n")
        #expect(lines.first == "before")
        #expect(outcome.stderrText == "after\n")
        if lines.count == 2, let daemon = pid_t(lines[1]) { kill(daemon, SIGKILL) }

        let blocking = try ChildProcess.runBlocking(Self.sh, ["-c", "sleep 30 & echo $!"], timeout: .seconds(20))
        #expect(blocking.termination == .exited(0))
        if let daemon = pid_t(blocking.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)) { kill(daemon, SIGKILL) }
        #expect(Date().timeIntervalSince(started) < 15)
    }

    @Test func manyConcurrentLaunches() async throws {
        try await withThrowingTaskGroup(of: ChildProcess.Outcome.self) { group in
            for i in 0..<64 {
                group.addTask { try await ChildProcess.run(Self.sh, ["-c", "echo \(i)"], timeout: .seconds(60)) }
            }
            var seen = Set<String>()
            for try await outcome in group {
                #expect(outcome.succeeded)
                seen.insert(outcome.stdoutText)
            }
            #expect(seen.count == 64)
        }
    }

    /// Whether `pid` is gone or a zombie (its parent has exited; a container's init may not reap it).
    static func hasEnded(_ pid: pid_t) async throws -> Bool {
        for _ in 0..<100 {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
            if let close = stat.lastIndex(of: ")"), stat[stat.index(close, offsetBy: 2)] == "Z" { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}
