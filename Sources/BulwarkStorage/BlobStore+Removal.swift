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
    /// How long a publish's claim on its archive outlives a publisher that died holding it (a
    /// stale one only keeps the bytes from being removed).
    public static let publishClaimLifetime: TimeInterval = 600
    /// How long a removal's claim outlives a remover that died holding it (a stale one makes
    /// publishes of the same bytes wait, then answer 503).
    public static let removalClaimLifetime: TimeInterval = 60

    /// Removes the archive with this checksum from the blob store unless a release or a pending
    /// staged release uses it (archives are content-addressed: several may share the bytes) or a
    /// publish of the same bytes is under way. True if it was removed.
    ///
    /// The check and the removal hold a removal claim on the checksum
    /// (``PackagePolicyStore/claimArchive(checksum:for:holder:at:expiresAt:)``), and a publish
    /// stores its archive and inserts its release under a publish claim
    /// (``withArchivePublishClaim(checksum:wait:_:)``). The database serialises the two claims, so a
    /// publish of the very same bytes can't lose them to a removal that checked before its release
    /// was inserted.
    @discardableResult
    public func removeArchiveIfUnused(checksum: String) async throws -> Bool {
        guard let removable = blobs as? any RemovableBlobStore else { return false }
        let holder = "removal-" + UUID().uuidString
        let now = Date()
        guard try await policies.claimArchive(
            checksum: checksum, for: .removal, holder: holder, at: now, expiresAt: now.addingTimeInterval(Self.removalClaimLifetime)
        ) else { return false }
        do {
            try await removable.removeBlob(checksum: checksum)
        } catch {
            try? await policies.releaseArchiveClaim(checksum: checksum, holder: holder)
            throw error
        }
        try await policies.releaseArchiveClaim(checksum: checksum, holder: holder)
        return true
    }

    /// Runs `body` (storing an archive and inserting the release or staged release that uses it)
    /// under a publish claim on the archive, so that no removal of the same bytes runs meanwhile.
    /// A removal in progress is waited for, up to `wait`; after that (a remover that died holding
    /// its claim: it lapses after ``removalClaimLifetime``) a `503` ``BulwarkError`` is thrown.
    public func withArchivePublishClaim<T>(checksum: String, wait: Duration = .seconds(5), _ body: () async throws -> T) async throws -> T {
        let holder = "publish-" + UUID().uuidString
        let clock = ContinuousClock()
        let deadline = clock.now + wait
        while true {
            let now = Date()
            let claimed = try await policies.claimArchive(
                checksum: checksum, for: .publish, holder: holder, at: now, expiresAt: now.addingTimeInterval(Self.publishClaimLifetime)
            )
            if claimed { break }
            guard clock.now < deadline else {
                throw BulwarkError(.unavailable, "the same archive bytes are being removed from storage right now: retry the publish in a minute")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        do {
            let result = try await body()
            try? await policies.releaseArchiveClaim(checksum: checksum, holder: holder)
            return result
        } catch {
            try? await policies.releaseArchiveClaim(checksum: checksum, holder: holder)
            throw error
        }
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
