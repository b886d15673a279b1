import BulwarkCore
import BulwarkStorage
import Foundation
import Testing

/// `Storage.reads` answers the read API in one call per request; on every backend it must say
/// exactly what the general-purpose methods it replaces say.
@Suite struct RegistryReadStoreConformanceTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test(arguments: Backend.allCases)
    func packageVersionsNameEveryReleaseYankAndTombstone(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        let asked = try PackageIdentifier("mona.linkedlist")
        #expect(try await storage.reads.packageVersions(asked) == nil)

        for v in ["1.0.0+build.1", "1.1.0", "2.0.0-beta.1", "2.0.0"] {
            try await storage.releases.insert(try makeRelease("Mona.LinkedList", v, at: t0))
        }
        #expect(try await storage.lifecycle.yank(asked, version: try SemanticVersion("1.1.0"), Yank(reason: "CVE-2026-1 \"quoted\"", by: "alice", at: t0)))
        #expect(try await storage.lifecycle.deleteRelease(asked, version: try SemanticVersion("2.0.0-beta.1"), by: "alice", at: t0 + 60) != nil)
        try await storage.releases.insert(try makeRelease("Other.Package", "9.0.0", at: t0))

        let found = try #require(try await storage.reads.packageVersions(asked))
        #expect(found.package.description == "Mona.LinkedList")
        #expect(found.releases.sorted().map(\.description) == ["1.0.0+build.1", "1.1.0", "2.0.0"])
        #expect(found.yankReasons == [try SemanticVersion("1.1.0").precedenceKey: "CVE-2026-1 \"quoted\""])
        #expect(found.deleted == [.init(version: try SemanticVersion("2.0.0-beta.1"), deletedAt: t0 + 60)])

        // The same answer as the general-purpose methods, assembled one query at a time.
        let composed = ComposedRegistryReads(releases: storage.releases, lifecycle: storage.lifecycle)
        var expected = try #require(try await composed.packageVersions(asked))
        expected.releases.sort()
        var fast = found
        fast.releases.sort()
        #expect(fast == expected)
    }

    @Test(arguments: Backend.allCases)
    func aPackageWhoseOnlyReleaseWasDeletedStillHasItsTombstone(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        let id = try PackageIdentifier("test.gone")
        try await storage.releases.insert(try makeRelease("test.gone", "1.0.0", at: t0))
        #expect(try await storage.lifecycle.deleteRelease(id, version: try SemanticVersion("1.0.0"), by: "alice", at: t0) != nil)
        let found = try #require(try await storage.reads.packageVersions(id))
        #expect(found.releases.isEmpty)
        #expect(found.deleted.map(\.version.description) == ["1.0.0"])
    }

    @Test(arguments: Backend.allCases)
    func releaseForReadingHasTheManifestsInOrder(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        let release = try makeRelease("Mona.LinkedList", "1.2.0-beta.1+build.7", urls: ["github.com/mona/linkedlist"])
        try await storage.releases.insert(release)
        let id = try PackageIdentifier("mona.LINKEDLIST")
        #expect(try await storage.reads.releaseForReading(id, version: try SemanticVersion("1.2.0")) == nil)
        var found = try #require(try await storage.reads.releaseForReading(id, version: try SemanticVersion("1.2.0-beta.1")))
        #expect(found.manifests.map(\.filename) == ["Package.swift", "Package@swift-6.0.swift"])
        // Everything but the repository URLs, which the read API doesn't serve.
        found.repositoryURLs = release.repositoryURLs
        #expect(found == release)

        // Both at once: the same answers as the two calls.
        let both = try #require(try await storage.reads.releaseWithVersions(id, version: try SemanticVersion("1.2.0-beta.1")))
        #expect(both.0.manifests == found.manifests && both.0.checksum == release.checksum)
        #expect(both.1 == (try await storage.reads.packageVersions(id)))
        #expect(try await storage.reads.releaseWithVersions(id, version: try SemanticVersion("9.9.9")) == nil)
    }

    /// Reads run beside writes (SQLite: on read-only connections of their own, in WAL mode): every
    /// read sees a whole committed state, never fewer releases than one it saw before, and the last
    /// one sees every release.
    @Test(arguments: Backend.allCases)
    func readsBesideWritesSeeEveryCommittedRelease(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        let id = try PackageIdentifier("race.pkg")
        try await storage.releases.insert(try makeRelease("race.pkg", "0.0.1", at: t0))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for minor in 1...40 { try await storage.releases.insert(try makeRelease("race.pkg", "0.\(minor).0", at: self.t0)) }
            }
            for _ in 0..<4 {
                group.addTask {
                    var seen = 0
                    for _ in 0..<100 {
                        let versions = try #require(try await storage.reads.packageVersions(id))
                        #expect(versions.releases.count >= seen)
                        seen = versions.releases.count
                        let release = try await storage.reads.releaseForReading(id, version: try SemanticVersion("0.0.1"))
                        #expect(release?.manifests.count == 2)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await storage.reads.packageVersions(id)?.releases.count == 41)
    }
}
