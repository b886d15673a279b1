import BulwarkCore
import BulwarkStorage
import Crypto
import Foundation
import Synchronization
import Testing

/// A removal of an archive and a publish of the same bytes never overlap: each holds a claim on
/// the checksum, and the store serialises the claims (SQLite's write lock, PostgreSQL's advisory
/// lock, the memory store's actor). Without them a publish could store bytes that already existed,
/// a removal that had checked "unused" just before could then delete them, and the new release's
/// row would point at nothing.
@Suite struct ArchiveClaimTests {
    final class Flag: Sendable {
        private let value = Mutex(false)
        func set() { value.withLock { $0 = true } }
        var isSet: Bool { value.withLock { $0 } }
    }

    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let checksum = String(repeating: "c", count: 64)

    func later(_ seconds: TimeInterval) -> Date { now.addingTimeInterval(seconds) }

    @Test(arguments: Backend.allCases)
    func publishAndRemovalClaimsExcludeEachOther(backend: Backend) async throws {
        let policies = try backend.makeStorage().policies
        // Two publishes of the same bytes may overlap; a removal may not start under either.
        #expect(try await policies.claimArchive(checksum: checksum, for: .publish, holder: "p1", at: now, expiresAt: later(600)))
        #expect(try await policies.claimArchive(checksum: checksum, for: .publish, holder: "p2", at: now, expiresAt: later(600)))
        #expect(try await !policies.claimArchive(checksum: checksum, for: .removal, holder: "r1", at: now, expiresAt: later(60)))
        try await policies.releaseArchiveClaim(checksum: checksum, holder: "p1")
        #expect(try await !policies.claimArchive(checksum: checksum, for: .removal, holder: "r1", at: now, expiresAt: later(60)))
        try await policies.releaseArchiveClaim(checksum: checksum, holder: "p2")
        #expect(try await policies.claimArchive(checksum: checksum, for: .removal, holder: "r1", at: now, expiresAt: later(60)))
        // Under a removal: no publish, no second removal; other checksums are not affected.
        #expect(try await !policies.claimArchive(checksum: checksum, for: .publish, holder: "p3", at: now, expiresAt: later(600)))
        #expect(try await !policies.claimArchive(checksum: checksum, for: .removal, holder: "r2", at: now, expiresAt: later(60)))
        let other = String(repeating: "d", count: 64)
        #expect(try await policies.claimArchive(checksum: other, for: .publish, holder: "p3", at: now, expiresAt: later(600)))
        try await policies.releaseArchiveClaim(checksum: checksum, holder: "r1")
        #expect(try await policies.claimArchive(checksum: checksum, for: .publish, holder: "p3", at: now, expiresAt: later(600)))
        // Releasing a claim that is gone is a no-op.
        try await policies.releaseArchiveClaim(checksum: checksum, holder: "r1")
        try await policies.releaseArchiveClaim(checksum: checksum, holder: "never")
    }

    /// A holder that died leaves its claim; it lapses at its expiry and no earlier.
    @Test(arguments: Backend.allCases)
    func aClaimLapsesAtItsExpiry(backend: Backend) async throws {
        let policies = try backend.makeStorage().policies
        #expect(try await policies.claimArchive(checksum: checksum, for: .removal, holder: "dead remover", at: now, expiresAt: later(60)))
        #expect(try await !policies.claimArchive(checksum: checksum, for: .publish, holder: "p", at: later(59), expiresAt: later(659)))
        #expect(try await policies.claimArchive(checksum: checksum, for: .publish, holder: "p", at: later(60), expiresAt: later(660)))
        // And a dead publisher's claim keeps removals out until it lapses.
        #expect(try await !policies.claimArchive(checksum: checksum, for: .removal, holder: "r", at: later(659), expiresAt: later(719)))
        #expect(try await policies.claimArchive(checksum: checksum, for: .removal, holder: "r", at: later(660), expiresAt: later(720)))
    }

    /// A removal claim is refused while a release or a pending staged release uses the bytes.
    @Test(arguments: Backend.allCases)
    func aRemovalClaimIsRefusedWhileTheArchiveIsInUse(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        var release = try makeRelease("test.pkg", "1.0.0")
        release.checksum = checksum
        try await storage.releases.insert(release)
        #expect(try await !storage.policies.claimArchive(checksum: checksum, for: .removal, holder: "r", at: now, expiresAt: later(60)))
        var staged = try makeRelease("test.other", "1.0.0")
        staged.checksum = String(repeating: "e", count: 64)
        try await storage.policies.insertStaged(StagedRelease(id: "s", release: staged, createdAt: now, expiresAt: later(86_400)))
        #expect(try await !storage.policies.claimArchive(checksum: staged.checksum, for: .removal, holder: "r", at: now, expiresAt: later(60)))
        #expect(try await storage.policies.claimArchive(checksum: String(repeating: "f", count: 64), for: .removal, holder: "r", at: now, expiresAt: later(60)))
    }

    /// The race itself, through `Storage`: while a publish of the same bytes holds its claim (bytes
    /// stored, release not yet inserted), removing the archive of a deleted release leaves the bytes.
    @Test(arguments: Backend.allCases)
    func aRemovalDuringAPublishOfTheSameBytesLeavesThem(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        let bytes = Data("the same archive bytes".utf8)
        let checksum = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        func commit() async throws {
            let temporary = try storage.blobs.makeTemporaryFile()
            try bytes.write(to: temporary)
            try await storage.blobs.commit(temporaryFile: temporary, checksum: checksum)
        }
        try await commit()  // what the deleted release left

        var republished = try makeRelease("test.pkg", "2.0.0")
        republished.checksum = checksum
        try await storage.withArchivePublishClaim(checksum: checksum) {
            try await commit()  // the bytes exist: kept as they are
            // The deleted release's removal runs now, between the publish's commit and its insert.
            #expect(try await !storage.removeArchiveIfUnused(checksum: checksum))
            try await storage.releases.insert(republished)
        }
        #expect(try await storage.blobs.exists(checksum: checksum))
        // Still in use afterwards, so still not removed.
        #expect(try await !storage.removeArchiveIfUnused(checksum: checksum))
        #expect(try await storage.blobs.exists(checksum: checksum))
    }

    /// The other order: a publish that arrives while a removal holds its claim waits for it, then
    /// stores the bytes again (they are gone by then), so its release has its archive.
    @Test(arguments: Backend.allCases)
    func aPublishDuringARemovalWaitsAndStoresTheBytesAgain(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        let bytes = Data("bytes being removed".utf8)
        let checksum = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        let temporary = try storage.blobs.makeTemporaryFile()
        try bytes.write(to: temporary)
        try await storage.blobs.commit(temporaryFile: temporary, checksum: checksum)

        // A remover holds its claim (it checked "unused" and is about to delete).
        let nowish = Date()
        #expect(try await storage.policies.claimArchive(checksum: checksum, for: .removal, holder: "remover", at: nowish, expiresAt: nowish.addingTimeInterval(60)))
        let entered = Flag()
        let publish = Task {
            try await storage.withArchivePublishClaim(checksum: checksum) {
                entered.set()
                let again = try storage.blobs.makeTemporaryFile()
                try bytes.write(to: again)
                try await storage.blobs.commit(temporaryFile: again, checksum: checksum)
                var release = try makeRelease("test.pkg", "1.0.0")
                release.checksum = checksum
                try await storage.releases.insert(release)
            }
        }
        try await Task.sleep(for: .milliseconds(200))
        #expect(!entered.isSet, "the publish must wait for the removal")
        // The removal finishes and lets go.
        try await (storage.blobs as? any RemovableBlobStore)?.removeBlob(checksum: checksum)
        try await storage.policies.releaseArchiveClaim(checksum: checksum, holder: "remover")
        try await publish.value
        #expect(entered.isSet)
        #expect(try await storage.blobs.exists(checksum: checksum))
    }

    /// A remover that never lets go: the publish gives up after its wait with a 503, storing nothing.
    @Test func aPublishGivesUpOnAStuckRemovalWithA503() async throws {
        let storage = try Backend.sqlite.makeStorage()
        let nowish = Date()
        #expect(try await storage.policies.claimArchive(checksum: checksum, for: .removal, holder: "stuck", at: nowish, expiresAt: nowish.addingTimeInterval(60)))
        let ran = Flag()
        do {
            try await storage.withArchivePublishClaim(checksum: checksum, wait: .milliseconds(150)) { ran.set() }
            Issue.record("the publish should have given up")
        } catch let error as BulwarkError {
            #expect(error.httpStatus == 503)
        }
        #expect(!ran.isSet)
    }
}
