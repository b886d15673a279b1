import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Child processes for the tests, started with `posix_spawn` and awaited with `waitpid`.
///
/// The tests used to run their tools with Foundation's `Process`, but on Linux `Process.run()`
/// reads `/proc/self/fd` past the end of glibc's buffer and now and then crashes the whole test
/// process (swiftlang/swift-corelibs-foundation#5472). `Process` also learns of a child's end
/// through a socket the child inherits, so a daemon started by the child kept the command
/// "running". This API has neither problem:
///
/// - the child starts with an empty signal mask and default signal dispositions (Swift
///   concurrency's threads block most signals, and a child inherits the mask of the thread that
///   spawns it: without this a SIGTERM could do nothing), by default in a process group of its own;
/// - it inherits stdin, stdout and stderr only: every other descriptor is closed in the child
///   (`posix_spawn_file_actions_addclosefrom_np`), and the pipes are made close-on-exec atomically;
/// - its end is detected with `waitid`/`waitpid` on its pid, and a signal is only ever sent to a
///   child that has not been reaped, so a reused pid is never hit;
/// - captured output is drained on background threads, so a chatty child never blocks on a full
///   pipe; a grandchild that keeps the pipe open does not hold up completion (what is in the pipe
///   when the child has exited is collected, then the pipe is closed).
///
/// `run` runs a command to completion (with a timeout that stops the child's process group);
/// `start` returns a ``ChildProcess`` handle for long-running servers.
public final class ChildProcess: @unchecked Sendable {
    // MARK: Describing a command

    /// The child's environment.
    public enum Environment: Sendable {
        /// The test process's environment.
        case inherit
        /// The test process's environment with these variables set (replacing existing values).
        case overriding([String: String])
        /// Exactly these variables.
        case exact([String: String])

        var variables: [String: String] {
            switch self {
            case .inherit: return ProcessInfo.processInfo.environment
            case .overriding(let extra): return ProcessInfo.processInfo.environment.merging(extra) { _, new in new }
            case .exact(let variables): return variables
            }
        }
    }

    /// What the child reads on stdin.
    public enum Input: Sendable {
        /// `/dev/null`: nothing can wait for input.
        case null
        /// These bytes, then end of file (written on a background thread).
        case bytes([UInt8])
    }

    /// Where the child's stdout or stderr goes.
    public enum Output: Sendable {
        /// Into a pipe read on a background thread; see ``stdout`` and ``Outcome/stdout``.
        case capture
        /// `/dev/null`.
        case discard
        /// The test process's own descriptor.
        case inherit
        /// A file, created or truncated, written in append mode (so that stdout and stderr can
        /// share it). Use an absolute path.
        case file(String)
        /// For stderr only: wherever stdout goes (one pipe or file for both, interleaved as written).
        case sameAsStdout
    }

    /// What to run and how.
    public struct Command: Sendable {
        /// An absolute path (there is no `PATH` search).
        public var executable: String
        public var arguments: [String]
        /// The working directory; the test process's when nil.
        public var directory: String?
        public var environment: Environment
        public var stdin: Input
        public var stdout: Output
        public var stderr: Output
        /// Starts the child in a new process group, whose id is its pid (``processGroup``), so
        /// that a timeout or ``stop(grace:)`` reaches what it started too.
        public var newProcessGroup: Bool

        public init(
            _ executable: String, _ arguments: [String] = [], directory: String? = nil,
            environment: Environment = .inherit, stdin: Input = .null,
            stdout: Output = .capture, stderr: Output = .capture, newProcessGroup: Bool = true
        ) {
            self.executable = executable
            self.arguments = arguments
            self.directory = directory
            self.environment = environment
            self.stdin = stdin
            self.stdout = stdout
            self.stderr = stderr
            self.newProcessGroup = newProcessGroup
        }

        /// The command line, quoted for a shell where needed.
        public var commandLine: String {
            ([executable] + arguments).map(Self.quoted).joined(separator: " ")
        }

        static func quoted(_ argument: String) -> String {
            let safe = argument.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=@+,%".contains($0) }
            return safe && !argument.isEmpty ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }
    }

    // MARK: Results

    /// How the child ended.
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)

        /// The exit status, if it exited.
        public var exitStatus: Int32? {
            if case .exited(let status) = self { return status }
            return nil
        }

        /// The signal that ended it, if one did.
        public var signal: Int32? {
            if case .signaled(let signal) = self { return signal }
            return nil
        }

        public var succeeded: Bool { self == .exited(0) }

        /// As a shell reports it: the exit status, or 128 + the signal.
        public var shellStatus: Int32 {
            switch self {
            case .exited(let status): return status
            case .signaled(let signal): return 128 + signal
            }
        }

        public var description: String {
            switch self {
            case .exited(let status): return "exit status \(status)"
            case .signaled(let signal): return "killed by signal \(signal)"
            }
        }
    }

    /// A command run to completion.
    public struct Outcome: Sendable {
        public let commandLine: String
        public let termination: Termination
        /// Captured stdout (and stderr, with `stderr: .sameAsStdout`); empty unless `.capture`.
        public let stdout: [UInt8]
        /// Captured stderr; empty unless `.capture`.
        public let stderr: [UInt8]
        /// The child was stopped by the timeout (or because the awaiting task was cancelled).
        public let timedOut: Bool

        public var succeeded: Bool { termination.succeeded && !timedOut }
        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    }

    /// `posix_spawn` (or a step before it) failed: nothing was started.
    public struct LaunchFailure: Error, CustomStringConvertible {
        public let executable: String
        public let step: String
        public let code: Int32
        public var description: String { "cannot launch \(executable): \(step) failed: \(String(cString: strerror(code))) (errno \(code))" }
    }

    // MARK: Running to completion

    /// Runs a command to completion without blocking a thread of Swift concurrency's pool.
    ///
    /// After `timeout`, or when the awaiting task is cancelled, the child's process group (its
    /// pid, without `newProcessGroup`) gets SIGTERM, then SIGKILL `killGrace` later; the outcome
    /// then says `timedOut`. Throws only when the command cannot be started.
    public static func run(_ command: Command, timeout: Duration? = nil, killGrace: Duration = .seconds(10)) async throws -> Outcome {
        let child = try start(command)
        child.stopAfter(timeout, grace: killGrace)
        let termination = await withTaskCancellationHandler {
            await child.wait()
        } onCancel: {
            child.requestStop(grace: killGrace)
        }
        return child.outcome(termination)
    }

    public static func run(
        _ executable: String, _ arguments: [String] = [], directory: String? = nil,
        environment: Environment = .inherit, stdin: Input = .null,
        stdout: Output = .capture, stderr: Output = .capture, newProcessGroup: Bool = true,
        timeout: Duration? = nil, killGrace: Duration = .seconds(10)
    ) async throws -> Outcome {
        try await run(
            Command(executable, arguments, directory: directory, environment: environment, stdin: stdin,
                    stdout: stdout, stderr: stderr, newProcessGroup: newProcessGroup),
            timeout: timeout, killGrace: killGrace
        )
    }

    /// Runs a command to completion, blocking the calling thread (for synchronous callers). The
    /// timeout works as in ``run(_:timeout:killGrace:)``.
    public static func runBlocking(_ command: Command, timeout: Duration? = nil, killGrace: Duration = .seconds(10)) throws -> Outcome {
        let child = try start(command)
        child.stopAfter(timeout, grace: killGrace)
        return child.outcome(child.waitBlocking())
    }

    public static func runBlocking(
        _ executable: String, _ arguments: [String] = [], directory: String? = nil,
        environment: Environment = .inherit, stdin: Input = .null,
        stdout: Output = .capture, stderr: Output = .capture, newProcessGroup: Bool = true,
        timeout: Duration? = nil, killGrace: Duration = .seconds(10)
    ) throws -> Outcome {
        try runBlocking(
            Command(executable, arguments, directory: directory, environment: environment, stdin: stdin,
                    stdout: stdout, stderr: stderr, newProcessGroup: newProcessGroup),
            timeout: timeout, killGrace: killGrace
        )
    }

    // MARK: A started child

    public let pid: pid_t
    public let command: Command

    /// The process group the child leads (its pid), if it was started in a new one.
    public var processGroup: pid_t? { command.newProcessGroup ? pid : nil }

    private let condition = NSCondition()
    // Guarded by `condition`:
    private var reaped: Termination?
    private var openCaptures = 0
    private var capturedStdout: [UInt8] = []
    private var capturedStderr: [UInt8] = []
    private var waiters: [UInt64: CheckedContinuation<Termination?, Never>] = [:]
    private var nextWaiter: UInt64 = 0
    private var stopRequested = false

    private init(pid: pid_t, command: Command) {
        self.pid = pid
        self.command = command
    }

    /// Starts the command and returns at once.
    public static func start(_ command: Command) throws -> ChildProcess {
        var spawner = Spawner(command)
        return try spawner.spawn()
    }

    public static func start(
        _ executable: String, _ arguments: [String] = [], directory: String? = nil,
        environment: Environment = .inherit, stdin: Input = .null,
        stdout: Output = .capture, stderr: Output = .capture, newProcessGroup: Bool = true
    ) throws -> ChildProcess {
        try start(Command(executable, arguments, directory: directory, environment: environment, stdin: stdin,
                          stdout: stdout, stderr: stderr, newProcessGroup: newProcessGroup))
    }

    /// How the child ended, once it has (checked with `waitpid(WNOHANG)`); nil while it runs.
    public var termination: Termination? {
        let (resume, termination) = locked { () -> ([CheckedContinuation<Termination?, Never>], Termination?) in
            reapIfExited()
            return (takeWaitersIfFinished(), reaped)
        }
        for waiter in resume { waiter.resume(returning: termination) }
        return termination
    }

    /// Whether the child has not ended yet (`waitpid(WNOHANG)`).
    public var isRunning: Bool { termination == nil }

    /// Whether ``requestStop(grace:)``, ``stop(grace:)`` or a timeout signalled the child while it ran.
    public var wasStopped: Bool { locked { stopRequested } }

    /// What the child has written to a captured stdout so far (all of it once ``wait()`` returned).
    public var stdout: [UInt8] { locked { capturedStdout } }
    /// What the child has written to a captured stderr so far.
    public var stderr: [UInt8] { locked { capturedStderr } }

    /// Sends `signal` to the child (or to its process group), unless it has already been reaped.
    /// Returns whether the signal was sent.
    @discardableResult
    public func signal(_ signal: Int32, toGroup: Bool = false) -> Bool {
        // Under the lock: the child cannot be reaped (and its pid reused) in between.
        defer { notify() }
        return locked {
            reapIfExited()
            guard reaped == nil else { return false }
            let target = toGroup && command.newProcessGroup ? -pid : pid
            return sendSignal(target, signal) == 0
        }
    }

    /// SIGTERM to the child.
    @discardableResult
    public func terminate() -> Bool { signal(SIGTERM) }

    /// SIGKILL to the child.
    @discardableResult
    public func kill() -> Bool { signal(SIGKILL) }

    /// Stops the child without waiting: SIGTERM to its process group now, SIGKILL `grace` later
    /// if it is still running. Does nothing once it has ended.
    public func requestStop(grace: Duration = .seconds(10)) {
        let signalled = locked { () -> Bool in
            reapIfExited()
            guard reaped == nil else { return false }
            stopRequested = true
            _ = sendSignal(command.newProcessGroup ? -pid : pid, SIGTERM)
            return true
        }
        notify()
        guard signalled else { return }
        DispatchQueue.global().asyncAfter(deadline: .now() + grace.timeInterval) { [weak self] in
            self?.signal(SIGKILL, toGroup: true)
        }
    }

    /// SIGTERM to the process group, SIGKILL `grace` later if still running; returns how it ended.
    /// Blocks the calling thread.
    @discardableResult
    public func stop(grace: Duration = .seconds(10)) -> Termination {
        requestStop(grace: grace)
        return waitBlocking()
    }

    /// As ``stop(grace:)``, without blocking a thread.
    @discardableResult
    public func stop(grace: Duration = .seconds(10)) async -> Termination {
        requestStop(grace: grace)
        return await wait()
    }

    /// Waits for the end of the child and of its captured output, blocking the calling thread.
    @discardableResult
    public func waitBlocking() -> Termination {
        condition.lock()
        defer { condition.unlock() }
        while !finished { condition.wait() }
        return reaped!
    }

    /// As ``waitBlocking()``, giving up after `timeout` (nil).
    public func waitBlocking(timeout: Duration) -> Termination? {
        let deadline = Date().addingTimeInterval(timeout.timeInterval)
        condition.lock()
        defer { condition.unlock() }
        while !finished, condition.wait(until: deadline) {}
        return finished ? reaped : nil
    }

    /// Waits for the end of the child and of its captured output without blocking a thread.
    @discardableResult
    public func wait() async -> Termination {
        await wait(timeout: nil, cancellable: false)!
    }

    /// As ``wait()``, giving up (nil) after `timeout` or when the task is cancelled. The child
    /// keeps running.
    public func wait(timeout: Duration) async -> Termination? {
        await wait(timeout: timeout, cancellable: true)
    }

    // MARK: Internals

    private var finished: Bool { reaped != nil && openCaptures == 0 }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        condition.lock()
        defer { condition.unlock() }
        return try body()
    }

    private func wait(timeout: Duration?, cancellable: Bool) async -> Termination? {
        let id = locked { () -> UInt64 in
            nextWaiter += 1
            return nextWaiter
        }
        let giveUp: @Sendable () -> Void = { [weak self] in
            guard let self else { return }
            self.locked { self.waiters.removeValue(forKey: id) }?.resume(returning: nil)
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Termination?, Never>) in
                // Some(result) to resume at once, nil once registered.
                let immediate = locked { () -> Termination?? in
                    if finished { return .some(reaped) }
                    if cancellable, Task.isCancelled { return .some(nil) }
                    waiters[id] = continuation
                    return nil
                }
                if let immediate {
                    continuation.resume(returning: immediate)
                    return
                }
                if let timeout {
                    DispatchQueue.global().asyncAfter(deadline: .now() + timeout.timeInterval, execute: giveUp)
                }
            }
        } onCancel: {
            if cancellable { giveUp() }
        }
    }

    /// Reaps the child if it has exited. Call with the lock held.
    private func reapIfExited() {
        guard reaped == nil else { return }
        var status: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(pid, &status, WNOHANG) } while result < 0 && errno == EINTR
        if result == pid {
            let signal = status & 0x7f
            reaped = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
        } else if result < 0 {
            // ECHILD: reaped by someone else (SIGCHLD ignored, or a waitpid(-1) elsewhere).
            reaped = .exited(-1)
        }
    }

    /// Resumes the waiters once the child and its captured output are done. Call with the lock held;
    /// returns what to resume after unlocking.
    private func takeWaitersIfFinished() -> [CheckedContinuation<Termination?, Never>] {
        condition.broadcast()
        guard finished else { return [] }
        let taken = Array(waiters.values)
        waiters.removeAll()
        return taken
    }

    private func notify() {
        let (resume, termination) = locked { (takeWaitersIfFinished(), reaped) }
        for waiter in resume { waiter.resume(returning: termination) }
    }

    private func stopAfter(_ timeout: Duration?, grace: Duration) {
        guard let timeout else { return }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout.timeInterval) { [weak self] in
            self?.requestStop(grace: grace)
        }
    }

    private func outcome(_ termination: Termination) -> Outcome {
        locked {
            Outcome(
                commandLine: command.commandLine, termination: termination,
                stdout: capturedStdout, stderr: capturedStderr, timedOut: stopRequested
            )
        }
    }

    /// Waits for the end of the child on its own thread: `waitid(WNOWAIT)` leaves the child a
    /// zombie, so the pid cannot be reused before it is reaped under the lock.
    private func startReaper() {
        let thread = Thread { [self] in
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0, errno == EINTR {}
            locked { reapIfExited() }
            notify()
        }
        thread.name = "ChildProcess.reaper.\(pid)"
        thread.start()
    }

    private enum Stream { case stdout, stderr }

    /// Reads a captured pipe until end of file, or, once the child has exited, until the pipe is
    /// empty (a grandchild may hold its write end open for ever).
    private func startDrainer(_ fd: Int32, into stream: Stream) {
        locked { openCaptures += 1 }
        let thread = Thread { [self] in
            let size = 64 * 1024
            var buffer = [UInt8](repeating: 0, count: size)
            func append(_ count: Int) {
                locked {
                    switch stream {
                    case .stdout: capturedStdout.append(contentsOf: buffer[0..<count])
                    case .stderr: capturedStderr.append(contentsOf: buffer[0..<count])
                    }
                }
            }
            var exitSeen: Date?
            reading: while true {
                // Checked before reading: what the child wrote before it exited is in the pipe by now.
                if exitSeen == nil, locked({ reaped != nil }) { exitSeen = Date() }
                if let exitSeen {
                    // Drain what is there and stop; a grandchild writing on and on gets 2 s.
                    while Date().timeIntervalSince(exitSeen) < 2 {
                        let count = read(fd, &buffer, size)
                        if count > 0 { append(count); continue }
                        if count < 0, errno == EINTR { continue }
                        break
                    }
                    break reading
                }
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let ready = poll(&poller, 1, 100)
                if ready <= 0 { continue }
                let count = read(fd, &buffer, size)
                if count > 0 {
                    append(count)
                } else if count == 0 {
                    break  // End of file: every writer has closed the pipe.
                } else if errno != EINTR, errno != EAGAIN {
                    break
                }
            }
            close(fd)
            locked { openCaptures -= 1 }
            notify()
        }
        thread.name = "ChildProcess.\(stream).\(pid)"
        thread.start()
    }

    /// Writes `bytes` to the child's stdin, then closes it. Gives up when the child has exited
    /// (or closed its end).
    private func startStdinWriter(_ fd: Int32, _ bytes: [UInt8]) {
        let thread = Thread { [self] in
            // Writing to a pipe whose reader is gone raises SIGPIPE in the writing thread; block it
            // here, get EPIPE instead, and discard the pending signal before the thread ends.
            var pipeSignal = sigset_t()
            sigemptyset(&pipeSignal)
            sigaddset(&pipeSignal, SIGPIPE)
            pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
            var offset = 0
            var brokenPipe = false
            while offset < bytes.count {
                var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let ready = poll(&poller, 1, 100)
                if ready <= 0 {
                    if locked({ reaped != nil }) { break }
                    continue
                }
                let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EPIPE {
                    brokenPipe = true
                    break
                } else if written < 0, errno != EINTR, errno != EAGAIN {
                    break
                }
            }
            close(fd)
            if brokenPipe { discardPendingSIGPIPE() }
        }
        thread.name = "ChildProcess.stdin.\(pid)"
        thread.start()
    }

    // MARK: Spawning

    /// Sets up the file actions and attributes and calls `posix_spawn`.
    private struct Spawner {
        let command: Command
        /// Our ends of the pipes (read ends of stdout/stderr, write end of stdin).
        var stdinWriter: Int32?
        var stdoutReader: Int32?
        var stderrReader: Int32?
        /// The child's ends, closed in the parent once the child is started.
        var childEnds: [Int32] = []

        init(_ command: Command) { self.command = command }

        mutating func spawn() throws -> ChildProcess {
            var actions = FileActions()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            var attributes = SpawnAttributes()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }

            do {
                try setUpDescriptors(&actions)
                try setUpAttributes(&attributes)
            } catch {
                closeAll()
                throw error
            }

            var pid = pid_t()
            let environment = command.environment.variables.map { "\($0.key)=\($0.value)" }
            let result = withCStrings([command.executable] + command.arguments) { argv in
                withCStrings(environment) { envp in
                    posix_spawn(&pid, command.executable, &actions, &attributes, argv, envp)
                }
            }
            for fd in childEnds { close(fd) }
            childEnds = []
            guard result == 0 else {
                closeAll()
                throw LaunchFailure(executable: command.executable, step: "posix_spawn", code: result)
            }

            let child = ChildProcess(pid: pid, command: command)
            if let stdoutReader { child.startDrainer(stdoutReader, into: .stdout) }
            if let stderrReader { child.startDrainer(stderrReader, into: .stderr) }
            child.startReaper()
            if let stdinWriter, case .bytes(let bytes) = command.stdin { child.startStdinWriter(stdinWriter, bytes) }
            return child
        }

        private mutating func setUpDescriptors(_ actions: inout FileActions) throws {
            switch command.stdin {
            case .null:
                try check(posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0), "addopen /dev/null")
            case .bytes:
                let (reader, writer) = try makePipe()
                stdinWriter = writer
                childEnds.append(reader)
                try check(posix_spawn_file_actions_adddup2(&actions, reader, 0), "adddup2 stdin")
                try setNonBlocking(writer)
            }
            stdoutReader = try setUp(command.stdout, fd: 1, &actions)
            stderrReader = try setUp(command.stderr, fd: 2, &actions)
            if let directory = command.directory {
                guard let addchdir = LibC.addchdir else {
                    throw LaunchFailure(executable: command.executable, step: "posix_spawn_file_actions_addchdir_np (missing from the C library)", code: ENOSYS)
                }
                try check(addchdir(&actions, directory), "addchdir \(directory)")
            }
            #if !canImport(Darwin)
            // Last: everything but 0, 1 and 2. (On Darwin, POSIX_SPAWN_CLOEXEC_DEFAULT does this.)
            if let addclosefrom = LibC.addclosefrom {
                try check(addclosefrom(&actions, 3), "addclosefrom_np")
            }
            #endif
        }

        private mutating func setUp(_ output: Output, fd: Int32, _ actions: inout FileActions) throws -> Int32? {
            switch output {
            case .capture:
                let (reader, writer) = try makePipe()
                childEnds.append(writer)
                try check(posix_spawn_file_actions_adddup2(&actions, writer, fd), "adddup2 \(fd)")
                try setNonBlocking(reader)
                return reader
            case .discard:
                try check(posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_WRONLY, 0), "addopen /dev/null")
            case .inherit:
                break
            case .file(let path):
                try check(posix_spawn_file_actions_addopen(&actions, fd, path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0o644), "addopen \(path)")
            case .sameAsStdout:
                guard fd == 2 else {
                    throw LaunchFailure(executable: command.executable, step: ".sameAsStdout is for stderr only", code: EINVAL)
                }
                try check(posix_spawn_file_actions_adddup2(&actions, 1, 2), "adddup2 2")
            }
            return nil
        }

        private func setUpAttributes(_ attributes: inout SpawnAttributes) throws {
            var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
            if command.newProcessGroup {
                flags |= Int32(POSIX_SPAWN_SETPGROUP)
                try check(posix_spawnattr_setpgroup(&attributes, 0), "setpgroup")
            }
            #if canImport(Darwin)
            flags |= Int32(POSIX_SPAWN_CLOEXEC_DEFAULT)
            #endif
            try check(posix_spawnattr_setflags(&attributes, Int16(flags)), "setflags")
            var empty = sigset_t()
            sigemptyset(&empty)
            try check(posix_spawnattr_setsigmask(&attributes, &empty), "setsigmask")
            // Every signal the test process may ignore or handle goes back to its default.
            var defaults = sigset_t()
            sigfillset(&defaults)
            sigdelset(&defaults, SIGKILL)
            sigdelset(&defaults, SIGSTOP)
            try check(posix_spawnattr_setsigdefault(&attributes, &defaults), "setsigdefault")
        }

        private func check(_ result: Int32, _ step: String) throws {
            guard result == 0 else { throw LaunchFailure(executable: command.executable, step: step, code: result) }
        }

        /// A pipe whose both ends are close-on-exec from the start (no other spawn can inherit them).
        private mutating func makePipe() throws -> (reader: Int32, writer: Int32) {
            var fds: [Int32] = [-1, -1]
            #if canImport(Darwin)
            let result = pipe(&fds)
            if result == 0 { for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) } }
            #else
            let result = LibC.pipe2.map { $0(&fds, O_CLOEXEC) } ?? pipe(&fds)
            if result == 0, LibC.pipe2 == nil { for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) } }
            #endif
            guard result == 0 else { throw LaunchFailure(executable: command.executable, step: "pipe", code: errno) }
            return (fds[0], fds[1])
        }

        private func setNonBlocking(_ fd: Int32) throws {
            let flags = fcntl(fd, F_GETFL)
            guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else {
                throw LaunchFailure(executable: command.executable, step: "fcntl O_NONBLOCK", code: errno)
            }
        }

        private mutating func closeAll() {
            for fd in childEnds + [stdinWriter, stdoutReader, stderrReader].compactMap({ $0 }) { close(fd) }
            childEnds = []
            stdinWriter = nil
            stdoutReader = nil
            stderrReader = nil
        }
    }
}

// MARK: - C library glue

#if canImport(Darwin)
private typealias FileActions = posix_spawn_file_actions_t?
private typealias SpawnAttributes = posix_spawnattr_t?
#else
private typealias FileActions = posix_spawn_file_actions_t
private typealias SpawnAttributes = posix_spawnattr_t
#endif

/// Functions Swift's Glibc module does not export (they are declared under `_GNU_SOURCE`),
/// looked up at run time.
private enum LibC {
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<FileActions>, UnsafePointer<CChar>) -> Int32
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<FileActions>, Int32) -> Int32
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32

    static let addchdir: AddChdir? = symbol("posix_spawn_file_actions_addchdir_np")
    static let addclosefrom: AddCloseFrom? = symbol("posix_spawn_file_actions_addclosefrom_np")
    static let pipe2: Pipe2? = symbol("pipe2")

    private static func symbol<T>(_ name: String) -> T? {
        guard let handle = dlopen(nil, RTLD_NOW), let address = dlsym(handle, name) else { return nil }
        return unsafeBitCast(address, to: T.self)
    }
}

private func sendSignal(_ target: pid_t, _ signal: Int32) -> Int32 {
    kill(target, signal)
}

/// Consumes a SIGPIPE pending for the calling thread (it has SIGPIPE blocked).
private func discardPendingSIGPIPE() {
    #if canImport(Darwin)
    // Darwin has no sigtimedwait; a thread-directed signal is dropped when the thread ends.
    #else
    var pipeSignal = sigset_t()
    sigemptyset(&pipeSignal)
    sigaddset(&pipeSignal, SIGPIPE)
    var pending = sigset_t()
    sigpending(&pending)
    if sigismember(&pending, SIGPIPE) == 1 {
        var noWait = timespec()
        _ = sigtimedwait(&pipeSignal, nil, &noWait)
    }
    #endif
}

/// Calls `body` with a NULL-terminated array of C strings (argv, envp).
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { for pointer in pointers { free(pointer) } }
    return body(pointers)
}

extension Duration {
    /// In seconds, for Dispatch and Foundation.
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
