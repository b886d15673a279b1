import BulwarkCore
import Foundation

/// A blob store that can remove bytes: used for the archive of a deleted release, a rejected
/// staged release or a purged expired one, once no release or pending staged release uses it.
/// Stores that can't remove keep the bytes (an unreferenced blob is never served).
public protocol RemovableBlobStore: Sendable {
    /// Removes the bytes with this checksum; nothing happens if they aren't stored.
    func removeBlob(checksum: String) async throws
}

extension FileBlobStore: RemovableBlobStore {
    public func removeBlob(checksum: String) async throws {
        try BlobChecksum.validate(checksum)
        let path = path(forChecksum: checksum)
        guard FileManager.default.fileExists(atPath: path) else { return }
        try FileManager.default.removeItem(atPath: path)
        try Self.fsync(path: (path as NSString).deletingLastPathComponent)
    }
}

extension Storage {
    /// Removes the archive with this checksum from the blob store unless a release or a pending
    /// staged release still uses it (archives are content-addressed: several may share the bytes).
    /// True if it was removed. As for a deleted release, a publish of the very same bytes racing
    /// with this check can find them gone; the window is the milliseconds between the two.
    @discardableResult
    public func removeArchiveIfUnused(checksum: String) async throws -> Bool {
        guard let removable = blobs as? any RemovableBlobStore else { return false }
        guard try await !policies.archiveInUse(checksum: checksum) else { return false }
        try await removable.removeBlob(checksum: checksum)
        return true
    }

    /// Housekeeping: purges the staged releases that expired undecided at or before `expiredBefore`
    /// (``PackagePolicyStore/purgeExpiredStaged(expiredBefore:)``), then their archives that nothing
    /// uses any more. An archive that can't be removed now is left (and logged by the caller).
    public func purgeExpiredStaged(expiredBefore: Date) async throws -> (staged: Int, archivesRemoved: Int, failures: [String]) {
        let checksums = try await policies.purgeExpiredStaged(expiredBefore: expiredBefore)
        var removed = 0
        var failures: [String] = []
        for checksum in Set(checksums).sorted() {
            do {
                if try await removeArchiveIfUnused(checksum: checksum) { removed += 1 }
            } catch {
                failures.append(checksum)
            }
        }
        return (checksums.count, removed, failures)
    }
}

/// The archive checksum inside a staged release's stored JSON (``Release``'s encoding).
public enum StagedArchive {
    private struct ChecksumOnly: Decodable { var checksum: String }

    public static func checksum(ofReleaseJSON json: String, stagedID: String) throws -> String {
        do { return try JSONDecoder().decode(ChecksumOnly.self, from: Data(json.utf8)).checksum } catch {
            throw BulwarkError.internalError("the stored staged release \(stagedID) can't be decoded")
        }
    }
}
