import BulwarkCore
import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a backup or restore did.
public struct BackupSummary: Sendable, Equatable {
    public var releases = 0
    public var blobs = 0
    /// Blobs hard-linked rather than copied (same file system: archives are immutable).
    public var linkedBlobs = 0
    public var bytes: Int64 = 0
}

/// `bulwark admin backup` / `restore` for the embedded store (SQLite + archive files).
///
/// A backup is consistent while the server runs: the database is copied first with
/// `VACUUM INTO` (one read transaction, so one point in time), then the archive files. A release
/// row is only ever committed after its archive file is in place, so every release in the copied
/// database has its archive on disk when the files are copied; archives published after the
/// snapshot may be copied too and are simply unreferenced. Archives are immutable and named by
/// their SHA-256, so they are hard-linked when the backup is on the same file system. The backup
/// is then checked: `PRAGMA integrity_check`, and every release's archive present with its size.
/// `secret.key` (which seals TOTP seeds) is copied too: without it, authenticator apps would
/// have to be enrolled again.
public enum DataDirectoryBackup {
    static let database = "bulwark.sqlite3"
    static let secretKey = "secret.key"
    static let manifest = "bulwark-backup.json"

    static func blobPath(_ checksum: String) -> String { "blobs/sha256/\(checksum.prefix(2))/\(checksum).zip" }

    public static func backup(dataDirectory: URL, to destination: URL) throws -> BackupSummary {
        let fm = FileManager.default
        let source = dataDirectory.appendingPathComponent(database)
        guard fm.fileExists(atPath: source.path) else {
            throw BulwarkError.badRequest("no registry database at \(source.path): is --data-dir right?")
        }
        try requireEmptyOrMissing(destination, what: "the backup directory")
        try fm.createDirectory(at: destination, withIntermediateDirectories: true)
        do {
            // 1. The database, at one point in time.
            let connection = try SQLiteConnection(path: source.path)
            try connection.locked { _ = try connection.query("VACUUM INTO ?", [.text(destination.appendingPathComponent(database).path)]) }
            // 2. The archives (after the snapshot: every archive it references exists by now).
            var summary = BackupSummary()
            try copyBlobs(from: dataDirectory.appendingPathComponent("blobs/sha256"), to: destination.appendingPathComponent("blobs/sha256"), summary: &summary)
            // 3. The key that seals TOTP seeds.
            let key = dataDirectory.appendingPathComponent(secretKey)
            if fm.fileExists(atPath: key.path) {
                try fm.copyItem(at: key, to: destination.appendingPathComponent(secretKey))
                chmod(destination.appendingPathComponent(secretKey).path, 0o600)
            }
            // 4. Check what was written.
            summary.releases = try verify(destination, checkingChecksums: false)
            let info: [String: Any] = [
                "format": 1, "createdAt": ISO8601DateFormatter().string(from: Date()), "releases": summary.releases,
                "blobs": summary.blobs, "bytes": summary.bytes,
            ]
            try JSONSerialization.data(withJSONObject: info, options: [.sortedKeys, .prettyPrinted]).write(to: destination.appendingPathComponent(manifest))
            try syncTree(destination)
            return summary
        } catch {
            try? fm.removeItem(at: destination)
            throw error
        }
    }

    /// Restores a backup into an empty (or new) data directory, after checking it: the database's
    /// integrity, and every release's archive present with its SHA-256. Nothing is written when a
    /// check fails; a failure half-way removes what was written.
    public static func restore(from backup: URL, to dataDirectory: URL) throws -> BackupSummary {
        let fm = FileManager.default
        guard fm.fileExists(atPath: backup.appendingPathComponent(database).path) else {
            throw BulwarkError.badRequest("\(backup.path) is not a Bulwark backup: it has no \(database)")
        }
        try requireEmptyOrMissing(dataDirectory, what: "the data directory to restore into")
        var summary = BackupSummary()
        summary.releases = try verify(backup, checkingChecksums: true)
        let existed = fm.fileExists(atPath: dataDirectory.path)
        do {
            try fm.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
            try copyBlobs(from: backup.appendingPathComponent("blobs/sha256"), to: dataDirectory.appendingPathComponent("blobs/sha256"), summary: &summary)
            try fm.createDirectory(at: dataDirectory.appendingPathComponent("blobs/tmp"), withIntermediateDirectories: true)
            if fm.fileExists(atPath: backup.appendingPathComponent(secretKey).path) {
                try fm.copyItem(at: backup.appendingPathComponent(secretKey), to: dataDirectory.appendingPathComponent(secretKey))
                chmod(dataDirectory.appendingPathComponent(secretKey).path, 0o600)
            }
            // The database last, under a temporary name: a data directory with a database is complete.
            let temporary = dataDirectory.appendingPathComponent(database + ".restoring")
            try fm.copyItem(at: backup.appendingPathComponent(database), to: temporary)
            try syncTree(dataDirectory)
            guard rename(temporary.path, dataDirectory.appendingPathComponent(database).path) == 0 else {
                throw BulwarkError.internalError("cannot move the restored database into place: errno \(errno)")
            }
            try syncTree(dataDirectory)
            return summary
        } catch {
            if existed {
                for item in (try? fm.contentsOfDirectory(atPath: dataDirectory.path)) ?? [] {
                    try? fm.removeItem(at: dataDirectory.appendingPathComponent(item))
                }
            } else {
                try? fm.removeItem(at: dataDirectory)
            }
            throw error
        }
    }

    /// Checks a backup or data directory: database integrity, and each release's archive present
    /// with the recorded size (and, with `checkingChecksums`, SHA-256). Returns the release count.
    @discardableResult
    public static func verify(_ directory: URL, checkingChecksums: Bool) throws -> Int {
        let connection = try SQLiteConnection(path: directory.appendingPathComponent(database).path)
        let (integrity, rows) = try connection.locked {
            (try connection.query("PRAGMA integrity_check"), try connection.query("SELECT checksum, archive_size FROM releases"))
        }
        guard integrity.first?.first?.string == "ok" else {
            throw BulwarkError.unprocessable("the database in \(directory.path) fails its integrity check: \(integrity.first?.first?.string ?? "no answer")")
        }
        for row in rows {
            guard let checksum = row[0].string, let size = row[1].int, BlobValidation.isChecksum(checksum) else {
                throw BulwarkError.unprocessable("the database in \(directory.path) has a release without a valid checksum")
            }
            let file = directory.appendingPathComponent(blobPath(checksum))
            let attributes = try? FileManager.default.attributesOfItem(atPath: file.path)
            guard let actual = (attributes?[.size] as? NSNumber)?.int64Value else {
                throw BulwarkError.unprocessable("the archive \(checksum) of a release is missing from \(directory.path)")
            }
            guard actual == size else {
                throw BulwarkError.unprocessable("the archive \(checksum) in \(directory.path) has \(actual) bytes, not \(size)")
            }
            if checkingChecksums, try sha256(of: file) != checksum {
                throw BulwarkError.unprocessable("the archive \(checksum) in \(directory.path) does not have that SHA-256: it is damaged")
            }
        }
        return rows.count
    }

    static func requireEmptyOrMissing(_ directory: URL, what: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else { throw BulwarkError.conflict("\(what) \(directory.path) is a file") }
        guard (try FileManager.default.contentsOfDirectory(atPath: directory.path)).isEmpty else {
            throw BulwarkError.conflict("\(what) \(directory.path) is not empty: give a new or empty directory")
        }
    }

    /// Hard-links (or, across file systems, copies) every `sha256/ab/<sum>.zip`.
    static func copyBlobs(from source: URL, to destination: URL, summary: inout BackupSummary) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: destination, withIntermediateDirectories: true)
        guard let shards = try? fm.contentsOfDirectory(atPath: source.path) else { return }
        for shard in shards.sorted() {
            let shardSource = source.appendingPathComponent(shard)
            guard let files = try? fm.contentsOfDirectory(atPath: shardSource.path) else { continue }
            let shardDestination = destination.appendingPathComponent(shard)
            try fm.createDirectory(at: shardDestination, withIntermediateDirectories: true)
            for file in files.sorted() where file.hasSuffix(".zip") {
                let from = shardSource.appendingPathComponent(file)
                let to = shardDestination.appendingPathComponent(file)
                if link(from.path, to.path) == 0 {
                    summary.linkedBlobs += 1
                } else {
                    try fm.copyItem(at: from, to: to)
                }
                summary.blobs += 1
                summary.bytes += ((try? fm.attributesOfItem(atPath: to.path)[.size]) as? NSNumber)?.int64Value ?? 0
            }
        }
    }

    static func sha256(of file: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// fsyncs every file and directory under `root` (a backup is only useful once it is durable).
    static func syncTree(_ root: URL) throws {
        var paths = [root.path]
        if let walker = FileManager.default.enumerator(atPath: root.path) {
            for case let relative as String in walker { paths.append(root.appendingPathComponent(relative).path) }
        }
        for path in paths {
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else { continue }
            fsync(fd)
            close(fd)
        }
    }
}

enum BlobValidation {
    static func isChecksum(_ value: String) -> Bool {
        value.utf8.count == 64 && value.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }
}
