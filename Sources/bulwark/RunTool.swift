import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a tool to completion (`zip` for `admin seed`) with `posix_spawn` and `waitpid`, and returns
/// its exit status (128 + the signal if one ended it). stdin is /dev/null; stdout and stderr are
/// this process's.
///
/// Not Foundation's `Process`: on Linux its `run()` reads `/proc/self/fd` past the end of glibc's
/// buffer and can crash the calling process (swiftlang/swift-corelibs-foundation#5472).
func runTool(_ executable: String, _ arguments: [String], in directory: String) throws -> Int32 {
    var actions = SpawnFileActions()
    var attributes = SpawnAttributes()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }

    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    // Declared under _GNU_SOURCE, which Swift's Glibc module leaves out: looked up at run time.
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<SpawnFileActions>, UnsafePointer<CChar>) -> Int32
    guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "posix_spawn_file_actions_addchdir_np") else {
        throw ToolFailure(description: "cannot run \(executable): posix_spawn_file_actions_addchdir_np is missing from the C library")
    }
    guard unsafeBitCast(symbol, to: AddChdir.self)(&actions, directory) == 0 else {
        throw ToolFailure(description: "cannot run \(executable) in \(directory)")
    }
    // The child starts with no signal blocked (Swift concurrency's threads block most).
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attributes, &empty)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))

    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    let envp = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { for pointer in envp { free(pointer) } }
    var pid = pid_t()
    let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
    guard spawned == 0 else {
        throw ToolFailure(description: "cannot run \(executable): \(String(cString: strerror(spawned)))")
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        guard errno == EINTR else { throw ToolFailure(description: "waitpid for \(executable) failed: errno \(errno)") }
    }
    let signal = status & 0x7f
    return signal == 0 ? (status >> 8) & 0xff : 128 + signal
}

#if canImport(Darwin)
private typealias SpawnFileActions = posix_spawn_file_actions_t?
private typealias SpawnAttributes = posix_spawnattr_t?
#else
private typealias SpawnFileActions = posix_spawn_file_actions_t
private typealias SpawnAttributes = posix_spawnattr_t
#endif

struct ToolFailure: Error, CustomStringConvertible {
    let description: String
}
