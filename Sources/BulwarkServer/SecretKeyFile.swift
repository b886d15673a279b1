import BulwarkAuth
import BulwarkCore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The key that seals TOTP seeds at rest: base64 of 32 random bytes in a file only the server's
/// user can read. Losing it makes every enrolled authenticator app unusable (recovery codes and
/// passkeys still work); back it up with the data directory but not in the same place.
///
/// A missing file is created atomically, so that instances started together without an existing
/// key file all end up with the same key: each writes a complete candidate to its own temporary
/// file in the same directory and `link(2)`s it to the final name, which succeeds for exactly one
/// of them (`EEXIST` for the others); then every instance reads the file back and uses what it
/// holds. On a file system without hard links, `open(O_CREAT | O_EXCL)` decides instead, and a
/// reader that finds the file still empty waits briefly for the winner to finish writing it.
public enum SecretKeyFile {
    public static func loadOrCreate(at path: String) throws -> SecretBox {
        let key = try loadOrCreateKey(at: path)
        do { return try SecretBox(base64Key: key) } catch { throw invalid(path) }
    }

    /// The key's base64 text as the file holds it (after creating the file if it is missing).
    public static func loadOrCreateKey(at path: String) throws -> String {
        if let existing = try readKey(path, waitForWriter: false) { return existing }
        var rng = SystemRandomNumberGenerator()
        let candidate = SecretBox.generateBase64Key(using: &rng)
        try createExclusively(path, contents: Array((candidate + "\n").utf8))
        guard let key = try readKey(path, waitForWriter: true) else {
            throw BulwarkError.internalError("the secret key file '\(path)' disappeared while it was being created")
        }
        return key
    }

    static func invalid(_ path: String) -> BulwarkError {
        BulwarkError.internalError("the secret key file '\(path)' does not hold a base64 256-bit key")
    }

    /// The trimmed contents; nil when the file does not exist. `waitForWriter`: an empty file may
    /// still be being written by another instance (the `O_EXCL` fallback), so retry for up to 2 s.
    static func readKey(_ path: String, waitForWriter: Bool) throws -> String? {
        for attempt in 0..<40 {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd < 0 {
                if errno == ENOENT { return nil }
                throw BulwarkError.internalError("can't read the secret key file '\(path)': \(String(cString: strerror(errno)))")
            }
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while bytes.count <= 64 * 1024 {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                if n <= 0 { break }
                bytes += buffer[0..<n]
            }
            close(fd)
            let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty, waitForWriter, attempt < 39 {
                usleep(50_000)
                continue
            }
            guard (try? SecretBox(base64Key: text)) != nil else { throw invalid(path) }
            return text
        }
        return nil
    }

    /// Creates `path` holding `contents` unless it exists already; never replaces an existing file.
    static func createExclusively(_ path: String, contents: [UInt8]) throws {
        let directory = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let name = (path as NSString).lastPathComponent
        let temporary = (directory as NSString).appendingPathComponent(".\(name).tmp-\(UUID().uuidString)")
        defer { unlink(temporary) }
        try writeNew(temporary, contents, flags: O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC)
        if link(temporary, path) != 0 {
            switch errno {
            case EEXIST:
                return  // another instance won: its key is the key
            case EPERM, ENOTSUP, EMLINK, ENOSYS:
                // No hard links here: let O_EXCL pick the winner.
                do { try writeNew(path, contents, flags: O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC) } catch let error as POSIXError where error.code == .EEXIST {
                    return
                }
            default:
                throw BulwarkError.internalError("can't create the secret key file '\(path)': \(String(cString: strerror(errno)))")
            }
        }
        // Make the new name durable too (best effort: not every file system syncs directories).
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            fsync(dfd)
            close(dfd)
        }
    }

    /// Writes a new file with mode 0600 and syncs it; throws `POSIXError(.EEXIST)` if it exists.
    static func writeNew(_ path: String, _ contents: [UInt8], flags: Int32) throws {
        let fd = open(path, flags, mode_t(0o600))
        guard fd >= 0 else {
            if errno == EEXIST { throw POSIXError(.EEXIST) }
            throw BulwarkError.internalError("can't create the secret key file '\(path)': \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var offset = 0
        while offset < contents.count {
            let n = contents[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw BulwarkError.internalError("can't write the secret key file '\(path)': \(String(cString: strerror(errno)))") }
            offset += n
        }
        guard fsync(fd) == 0 else { throw BulwarkError.internalError("can't sync the secret key file '\(path)': \(String(cString: strerror(errno)))") }
    }
}
