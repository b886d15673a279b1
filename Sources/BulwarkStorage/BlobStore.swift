import BulwarkCore
import Crypto
import Foundation
import NIOCore
import NIOPosix

/// Immutable archive bytes, addressed by their SHA-256 (lowercase hex).
///
/// Uploads always land in a local temporary file first (``makeTemporaryFile()``), where they are
/// hashed and inspected; only a checked file is committed. Implementations: ``FileBlobStore``
/// (the embedded default) and `S3BlobStore` (module BulwarkS3).
public protocol BlobStore: Sendable {
    /// A new, empty local file to stream an upload into before it is checked and stored.
    func makeTemporaryFile() throws -> URL
    /// Stores a finished temporary file under its checksum, durably, and removes the temporary
    /// file. When this returns the bytes survive a crash of this process (files: fsynced, renamed,
    /// directory fsynced; S3: uploaded and acknowledged, size verified). The caller need not sync
    /// the temporary file itself: durability is this method's job (a file store syncs it exactly
    /// once, before the rename). Committing bytes that are already stored removes the temporary
    /// file and keeps the stored one. A malformed checksum is refused before anything is touched.
    func commit(temporaryFile: URL, checksum: String) async throws
    /// How to serve the bytes with this checksum. No I/O beyond what the answer needs.
    func location(forChecksum checksum: String) async throws -> BlobLocation
    /// The bytes with this checksum, as a stream (any store). `BulwarkError.notFound` if missing.
    func open(checksum: String) async throws -> BlobStream
    /// Whether bytes with this checksum are stored.
    func exists(checksum: String) async throws -> Bool
    /// Throws unless the store can be reached and written (for `/readyz` and start-up checks).
    func checkReachable() async throws
    /// Removes temporary files left by a crash (called at start-up); returns how many.
    func removeTemporaryFiles() throws -> Int
}

/// Where a reader finds a blob.
public enum BlobLocation: Sendable, Equatable {
    /// A local file: stream it from disk (and keep small ones in memory).
    case file(path: String)
    /// Elsewhere: read it with ``BlobStore/open(checksum:)`` and pass the stream on (proxying).
    case stream
    /// Send the client there (a short-lived presigned URL), e.g. with `303 See Other`.
    case redirect(URL)
}

/// The bytes of one blob, read once, in order. `size` is the total length.
public struct BlobStream: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    public let size: Int64
    private let makeNext: @Sendable () -> (() async throws -> ByteBuffer?)

    /// `makeNext` is called once per iteration and returns the function that yields the next chunk.
    public init(size: Int64, makeNext: @escaping @Sendable () -> (() async throws -> ByteBuffer?)) {
        self.size = size
        self.makeNext = makeNext
    }

    /// A stream over any sendable sequence of byte buffers.
    public init<S: AsyncSequence & Sendable>(size: Int64, chunks: S) where S.Element == ByteBuffer {
        self.init(size: size) {
            var iterator = chunks.makeAsyncIterator()
            return { try await iterator.next() }
        }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let nextChunk: () async throws -> ByteBuffer?
        public mutating func next() async throws -> ByteBuffer? { try await nextChunk() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(nextChunk: makeNext()) }

    /// Every byte, in memory, failing if there are more than `limit` (or fewer than `size`).
    public func collect(upTo limit: Int) async throws -> ByteBuffer {
        var all = ByteBuffer()
        all.reserveCapacity(Int(Swift.min(size, Int64(limit))))
        for try await var chunk in self {
            guard all.readableBytes + chunk.readableBytes <= limit else {
                throw BulwarkError.internalError("a stored blob is larger than \(limit) bytes")
            }
            all.writeBuffer(&chunk)
        }
        guard Int64(all.readableBytes) == size else {
            throw BulwarkError.internalError("a stored blob ended after \(all.readableBytes) of \(size) bytes")
        }
        return all
    }
}

/// Blob checksums: 64 lowercase hex digits, nothing else (they become file names and object keys).
public enum BlobChecksum {
    public static func isValid(_ checksum: String) -> Bool {
        checksum.utf8.count == 64 && checksum.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    public static func validate(_ checksum: String) throws {
        guard isValid(checksum) else { throw BulwarkError.internalError("invalid checksum: expected 64 lowercase hexadecimal digits") }
    }

    /// `sha256/ab/abcdef….zip`: the relative path (file store) or object key (S3) of a blob.
    public static func relativePath(_ checksum: String) -> String {
        "sha256/\(checksum.prefix(2))/\(checksum).zip"
    }
}

/// The local directory where uploads are received before they are committed (shared by every
/// blob store: an upload is always checked on local disk first).
public struct TemporaryUploads: Sendable {
    public let directory: URL

    public init(directory: URL) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    public func makeFile() throws -> URL {
        let url = directory.appendingPathComponent("upload-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw BulwarkError.internalError("can't create a temporary file for the upload")
        }
        return url
    }

    public func removeAll() throws -> Int {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        for name in names { try? FileManager.default.removeItem(at: directory.appendingPathComponent(name)) }
        return names.count
    }
}

/// Blobs as files: `ROOT/sha256/ab/abcdef….zip`, temporaries in `ROOT/tmp`.
public struct FileBlobStore: BlobStore {
    public let root: URL
    private let uploads: TemporaryUploads

    public init(root: URL) throws {
        self.root = root
        uploads = try TemporaryUploads(directory: root.appendingPathComponent("tmp"))
        try FileManager.default.createDirectory(at: root.appendingPathComponent("sha256"), withIntermediateDirectories: true)
    }

    public func makeTemporaryFile() throws -> URL { try uploads.makeFile() }

    /// The file that holds (or would hold) the bytes with this checksum.
    public func path(forChecksum checksum: String) -> String {
        root.appendingPathComponent(BlobChecksum.relativePath(checksum)).path
    }

    public func commit(temporaryFile: URL, checksum: String) async throws {
        try BlobChecksum.validate(checksum)
        try await NIOThreadPool.singleton.runIfActive { try self.commitBlocking(temporaryFile: temporaryFile, checksum: checksum) }
    }

    /// ``commit(temporaryFile:checksum:)`` on the calling thread (it blocks on fsync).
    public func commitBlocking(temporaryFile: URL, checksum: String) throws {
        try BlobChecksum.validate(checksum)
        let destination = path(forChecksum: checksum)
        let directory = (destination as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if FileManager.default.fileExists(atPath: destination) {
            // Same bytes already stored (content addressed): keep the existing file, whose bytes
            // were synced before its rename. Its directory entry is synced again in case that
            // rename was a concurrent commit's that hasn't synced the directory yet.
            try? FileManager.default.removeItem(at: temporaryFile)
            try Self.fsync(path: directory)
            return
        }
        // The only sync of the bytes (uploads aren't synced while they are received): before the
        // rename, so the name never points at bytes a crash could lose.
        try Self.fsync(path: temporaryFile.path)
        guard rename(temporaryFile.path, destination) == 0 else {
            throw BulwarkError.internalError("can't move the archive into place (errno \(errno))")
        }
        try Self.fsync(path: directory)
    }

    public func location(forChecksum checksum: String) async throws -> BlobLocation {
        try BlobChecksum.validate(checksum)
        return .file(path: path(forChecksum: checksum))
    }

    public func exists(checksum: String) async throws -> Bool {
        try BlobChecksum.validate(checksum)
        return FileManager.default.fileExists(atPath: path(forChecksum: checksum))
    }

    public func open(checksum: String) async throws -> BlobStream {
        try BlobChecksum.validate(checksum)
        let path = path(forChecksum: checksum)
        let file = try await NIOThreadPool.singleton.runIfActive { try ReadOnlyFile(path: path) }
        guard let file else { throw BulwarkError.notFound("no stored blob with checksum \(checksum)") }
        return BlobStream(size: file.size) {
            var offset: Int64 = 0
            return {
                guard offset < file.size else { return nil }
                let at = offset
                let chunk = try await NIOThreadPool.singleton.runIfActive { try file.read(at: at, count: 256 * 1024) }
                guard chunk.readableBytes > 0 else { throw BulwarkError.internalError("a stored blob is shorter than its size") }
                offset += Int64(chunk.readableBytes)
                return chunk
            }
        }
    }

    public func checkReachable() async throws {
        try await NIOThreadPool.singleton.runIfActive {
            guard access(self.root.path, W_OK) == 0, access(self.uploads.directory.path, W_OK) == 0 else {
                throw BulwarkError(.unavailable, "the blob directory \(self.root.path) is not writable (errno \(errno))")
            }
        }
    }

    public func removeTemporaryFiles() throws -> Int { try uploads.removeAll() }

    static func fsync(path: String) throws {
        let fd = Foundation.open(path, O_RDONLY)
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

/// A file opened read-only, closed when the last reference goes; reads with `pread` (no shared
/// offset), so it is safe to use from any thread.
public final class ReadOnlyFile: Sendable {
    public let size: Int64
    private let descriptor: Int32

    /// `nil` if there is no such file.
    public init?(path: String) throws {
        let fd = Foundation.open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw BulwarkError.internalError("can't open a stored file (errno \(errno))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            close(fd)
            throw BulwarkError.internalError("can't stat a stored file (errno \(errno))")
        }
        descriptor = fd
        size = Int64(info.st_size)
    }

    deinit { close(descriptor) }

    /// Up to `count` bytes from `offset` (fewer only at the end of the file). Blocks.
    public func read(at offset: Int64, count: Int) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(count)
        var done = 0
        while done < count {
            var n = 0
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count - done) { pointer in
                n = pread(descriptor, pointer.baseAddress, min(count - done, pointer.count), off_t(offset) + off_t(done))
                return max(n, 0)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw BulwarkError.internalError("can't read a stored file (errno \(errno))")
            }
            if n == 0 { break }
            done += n
        }
        return buffer
    }
}
