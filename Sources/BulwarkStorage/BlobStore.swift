import BulwarkCore
import Crypto
import Foundation

/// Immutable archive bytes, addressed by their SHA-256.
public protocol BlobStore: Sendable {
    /// A new, empty file to stream an upload into before it is checked and stored.
    func makeTemporaryFile() throws -> URL
    /// Moves a finished temporary file into the store under its checksum, durably: the file is
    /// fsynced and renamed, and the directory fsynced, before this returns.
    func commit(temporaryFile: URL, checksum: String) throws
    /// Where the bytes with this checksum are, for streaming.
    func path(forChecksum checksum: String) -> String
    /// Removes temporary files left by a crash (called at start-up).
    func removeTemporaryFiles() throws -> Int
}

/// Blobs as files: `ROOT/sha256/ab/abcdef….zip`, temporaries in `ROOT/tmp`.
public struct FileBlobStore: BlobStore {
    public let root: URL
    private var tmp: URL { root.appendingPathComponent("tmp") }

    public init(root: URL) throws {
        self.root = root
        try FileManager.default.createDirectory(at: root.appendingPathComponent("tmp"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("sha256"), withIntermediateDirectories: true)
    }

    public func makeTemporaryFile() throws -> URL {
        let url = tmp.appendingPathComponent("upload-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw BulwarkError.internalError("can't create a temporary file for the upload")
        }
        return url
    }

    public func path(forChecksum checksum: String) -> String {
        let prefix = String(checksum.prefix(2))
        return root.appendingPathComponent("sha256").appendingPathComponent(prefix).appendingPathComponent("\(checksum).zip").path
    }

    public func commit(temporaryFile: URL, checksum: String) throws {
        guard checksum.count == 64, checksum.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            throw BulwarkError.internalError("invalid checksum")
        }
        let destination = path(forChecksum: checksum)
        let directory = (destination as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Self.fsync(path: temporaryFile.path)
        if FileManager.default.fileExists(atPath: destination) {
            // Same bytes already stored (content addressed): keep the existing file.
            try? FileManager.default.removeItem(at: temporaryFile)
            return
        }
        guard rename(temporaryFile.path, destination) == 0 else {
            throw BulwarkError.internalError("can't move the archive into place (errno \(errno))")
        }
        try Self.fsync(path: directory)
    }

    public func removeTemporaryFiles() throws -> Int {
        let names = try FileManager.default.contentsOfDirectory(atPath: tmp.path)
        for name in names { try? FileManager.default.removeItem(at: tmp.appendingPathComponent(name)) }
        return names.count
    }

    static func fsync(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw BulwarkError.internalError("can't open '\(path)' to sync it (errno \(errno))") }
        defer { close(fd) }
        #if canImport(Glibc)
        guard Glibc.fsync(fd) == 0 else { throw BulwarkError.internalError("fsync failed (errno \(errno))") }
        #else
        guard Darwin.fsync(fd) == 0 else { throw BulwarkError.internalError("fsync failed (errno \(errno))") }
        #endif
    }

    /// SHA-256 (lowercase hex) and size of a file, read in chunks.
    public static func sha256(ofFileAt url: URL) throws -> (checksum: String, size: Int64) {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var hasher = SHA256()
        var size: Int64 = 0
        while let chunk = try handle.read(upToCount: 256 * 1024), !chunk.isEmpty {
            hasher.update(data: chunk)
            size += Int64(chunk.count)
        }
        let digest = hasher.finalize()
        return (digest.map { String(format: "%02x", $0) }.joined(), size)
    }
}
