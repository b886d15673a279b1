import BulwarkCore
import BulwarkStorage
import Crypto
import Foundation
import Testing

/// The archives of rejected and purged staged releases leave the blob store, unless a release or
/// another pending staged release has the same bytes (archives are content-addressed).
@Suite struct StagedArchiveRemovalTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// Stores `bytes` in the blob store; their checksum.
    func store(_ bytes: String, in storage: Storage) async throws -> String {
        let data = Data(bytes.utf8)
        let checksum = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        let temporary = try storage.blobs.makeTemporaryFile()
        try data.write(to: temporary)
        try await storage.blobs.commit(temporaryFile: temporary, checksum: checksum)
        return checksum
    }

    func release(_ version: String, _ checksum: String, package: String = "test.pkg") throws -> Release {
        var release = try makeRelease(package, version)
        release.checksum = checksum
        return release
    }

    func staged(_ id: String, _ version: String, _ checksum: String, expiresAt: Date? = nil, package: String = "test.pkg") throws -> StagedRelease {
        let expiry = expiresAt ?? now.addingTimeInterval(7 * 86_400)
        return StagedRelease(
            id: id, release: try release(version, checksum, package: package), createdAt: expiry.addingTimeInterval(-7 * 86_400), expiresAt: expiry
        )
    }

    @Test(arguments: Backend.allCases)
    func archiveInUseSeesReleasesAndPendingStagedReleasesOnly(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        let released = try await store("released", in: storage)
        let pending = try await store("pending", in: storage)
        let rejected = try await store("rejected", in: storage)
        try await storage.releases.insert(try release("1.0.0", released))
        try await storage.policies.insertStaged(try staged("p", "2.0.0", pending))
        try await storage.policies.insertStaged(try staged("r", "3.0.0", rejected))
        #expect(try await storage.policies.decide(id: "r", from: .pending, to: .rejected, by: "alice", at: now))
        #expect(try await storage.policies.archiveInUse(checksum: released))
        #expect(try await storage.policies.archiveInUse(checksum: pending))
        #expect(try await !storage.policies.archiveInUse(checksum: rejected))
        #expect(try await !storage.policies.archiveInUse(checksum: String(repeating: "0", count: 64)))
    }

    @Test(arguments: Backend.allCases)
    func aRejectedStagedReleasesArchiveGoesUnlessSomethingElseUsesIt(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        let alone = try await store("alone", in: storage)
        let sharedWithRelease = try await store("shared with a release", in: storage)
        let sharedWithStaged = try await store("shared with a staged release", in: storage)
        try await storage.releases.insert(try release("1.0.0", sharedWithRelease))
        try await storage.policies.insertStaged(try staged("a", "2.0.0", alone))
        try await storage.policies.insertStaged(try staged("b", "2.0.1", sharedWithRelease))
        try await storage.policies.insertStaged(try staged("c", "2.0.2", sharedWithStaged))
        try await storage.policies.insertStaged(try staged("d", "2.0.0", sharedWithStaged, package: "test.other"))

        for id in ["a", "b", "c"] { #expect(try await storage.policies.decide(id: id, from: .pending, to: .rejected, by: "alice", at: now)) }
        #expect(try await storage.removeArchiveIfUnused(checksum: alone))
        #expect(try await !storage.removeArchiveIfUnused(checksum: sharedWithRelease))
        #expect(try await !storage.removeArchiveIfUnused(checksum: sharedWithStaged))
        #expect(try await !storage.blobs.exists(checksum: alone))
        #expect(try await storage.blobs.exists(checksum: sharedWithRelease))
        #expect(try await storage.blobs.exists(checksum: sharedWithStaged))
        // Once the last pending one is rejected too, the shared bytes go; removing again is a no-op.
        #expect(try await storage.policies.decide(id: "d", from: .pending, to: .rejected, by: "alice", at: now))
        #expect(try await storage.removeArchiveIfUnused(checksum: sharedWithStaged))
        #expect(try await !storage.blobs.exists(checksum: sharedWithStaged))
        #expect(try await storage.removeArchiveIfUnused(checksum: sharedWithStaged))
    }

    @Test(arguments: Backend.allCases)
    func purgingExpiredStagedReleasesRemovesTheirUnusedArchives(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        let cutoff = now.addingTimeInterval(-7 * 86_400)
        let expired = try await store("expired", in: storage)
        let expiredTwice = try await store("expired twice", in: storage)
        let alsoReleased = try await store("also released", in: storage)
        let alsoWaiting = try await store("also waiting", in: storage)
        let waiting = try await store("waiting", in: storage)
        try await storage.releases.insert(try release("1.0.0", alsoReleased))
        try await storage.policies.insertStaged(try staged("e1", "2.0.0", expired, expiresAt: cutoff.addingTimeInterval(-1)))
        try await storage.policies.insertStaged(try staged("e2", "2.0.1", expiredTwice, expiresAt: cutoff.addingTimeInterval(-2)))
        try await storage.policies.insertStaged(try staged("e3", "2.0.2", expiredTwice, expiresAt: cutoff))
        try await storage.policies.insertStaged(try staged("e4", "2.0.3", alsoReleased, expiresAt: cutoff))
        try await storage.policies.insertStaged(try staged("e5", "2.0.4", alsoWaiting, expiresAt: cutoff))
        try await storage.policies.insertStaged(try staged("w1", "3.0.0", alsoWaiting))
        try await storage.policies.insertStaged(try staged("w2", "3.0.1", waiting, expiresAt: now.addingTimeInterval(-60)))

        let purged = try await storage.purgeExpiredStaged(expiredBefore: cutoff)
        #expect(purged.staged == 5)
        #expect(purged.archivesRemoved == 2)
        #expect(purged.failures.isEmpty)
        #expect(try await !storage.blobs.exists(checksum: expired))
        #expect(try await !storage.blobs.exists(checksum: expiredTwice))
        for kept in [alsoReleased, alsoWaiting, waiting] { #expect(try await storage.blobs.exists(checksum: kept)) }
        #expect(try await storage.policies.pendingStaged(of: try PackageIdentifier("test.pkg")).map(\.id).sorted() == ["w1", "w2"])
        let again = try await storage.purgeExpiredStaged(expiredBefore: cutoff)
        #expect(again.staged == 0 && again.archivesRemoved == 0)
    }

    @Test(arguments: Backend.allCases)
    func purgeReportsEachStagedReleasesChecksum(backend: Backend) async throws {
        let store = try backend.makeStorage().policies
        let cutoff = now.addingTimeInterval(-7 * 86_400)
        let x = String(repeating: "1a", count: 32)
        let y = String(repeating: "2b", count: 32)
        try await store.insertStaged(try staged("a", "1.0.0", x, expiresAt: cutoff))
        try await store.insertStaged(try staged("b", "1.0.1", x, expiresAt: cutoff))
        try await store.insertStaged(try staged("c", "1.0.2", y, expiresAt: cutoff.addingTimeInterval(-5)))
        #expect(try await store.purgeExpiredStaged(expiredBefore: cutoff).sorted() == [x, x, y])
    }
}
