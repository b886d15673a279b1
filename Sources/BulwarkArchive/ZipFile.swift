import BulwarkCore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Read-only random access to an archive on disk through `pread`, so that an upload of any size is
/// never held in memory whole. Every read is bounds-checked against the file's size.
final class ZipFile {
    /// The file's size in bytes when it was opened.
    let size: UInt64
    private let descriptor: Int32

    init(url: URL) throws(BulwarkError) {
        let fd = url.withUnsafeFileSystemRepresentation { path -> Int32 in
            guard let path else { return -1 }
            return open(path, O_RDONLY | O_CLOEXEC)
        }
        guard fd >= 0 else { throw .notAZip("it cannot be opened") }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size >= 0 else {
            close(fd)
            throw .notAZip("it is not a regular file")
        }
        descriptor = fd
        size = UInt64(info.st_size)
    }

    deinit {
        close(descriptor)
    }

    /// Whether `count` bytes starting at `offset` lie within the file.
    func contains(offset: UInt64, count: UInt64) -> Bool {
        let (end, overflow) = offset.addingReportingOverflow(count)
        return !overflow && end <= size
    }

    /// Exactly `count` bytes at `offset`; fails unless they all lie within the file.
    func read(at offset: UInt64, count: Int) throws(BulwarkError) -> [UInt8] {
        guard count >= 0, contains(offset: offset, count: UInt64(count)) else {
            throw .notAZip("a record lies beyond the end of the file")
        }
        guard count > 0 else { return [] }
        let descriptor = self.descriptor
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var done = 0
            while done < count, let base = buffer.baseAddress {
                // offset + count <= size <= Int64.max, so the position fits in off_t.
                let position = off_t(offset) + off_t(done)
                let n = pread(descriptor, base + done, count - done, position)
                if n > 0 {
                    done += n
                } else if n < 0, errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            initialized = done
        }
        guard bytes.count == count else { throw .notAZip("it could not be read completely") }
        return bytes
    }
}
