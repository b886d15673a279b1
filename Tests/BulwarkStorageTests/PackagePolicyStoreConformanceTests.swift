import BulwarkCore
import BulwarkStorage
import Foundation
import Testing

@Suite struct PackagePolicyStoreConformanceTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func staged(_ id: String, _ package: String = "test.pkg", _ version: String = "1.0.0", at: Date? = nil) throws -> StagedRelease {
        let created = at ?? t0
        return StagedRelease(
            id: id, release: try makeRelease(package, version, urls: ["github.com/test/pkg"], at: created), createdAt: created,
            expiresAt: created.addingTimeInterval(7 * 86_400)
        )
    }

    @Test(arguments: Backend.allCases)
    func aPolicyIsSetAndReplacedPerPackage(backend: Backend) async throws {
        let store = try backend.makeStorage().policies
        let id = try PackageIdentifier("Test.Pkg")
        #expect(try await store.policy(of: id) == nil)
        try await store.setPolicy(PackagePolicy(secondFactor: .passkey, publishing: .approval), for: id, at: t0)
        #expect(try await store.policy(of: try PackageIdentifier("test.pkg")) == PackagePolicy(secondFactor: .passkey, publishing: .approval))
        try await store.setPolicy(PackagePolicy(secondFactor: .any, publishing: .approval), for: id, at: t0 + 1)
        #expect(try await store.policy(of: id) == PackagePolicy(secondFactor: .any, publishing: .approval))
        #expect(try await store.policy(of: try PackageIdentifier("test.other")) == nil)
    }

    @Test(arguments: Backend.allCases)
    func aStagedReleaseComesBackUnchanged(backend: Backend) async throws {
        let store = try backend.makeStorage().policies
        var release = try makeRelease("Mona.LinkedList", "1.2.0-beta.1+build.7", urls: ["github.com/mona/linkedlist"])
        release.metadataSignature = ReleaseSignature(format: "cms-1.0.0", bytes: [0, 255, 7])
        release.publishedAt = Date(timeIntervalSince1970: 1_700_000_000.25)
        let staged = StagedRelease(id: "s1", release: release, createdAt: t0, expiresAt: t0 + 60)
        try await store.insertStaged(staged)
        let found = try await store.staged(id: "s1")
        #expect(found == staged)
        #expect(found?.release.version.description == "1.2.0-beta.1+build.7")
        #expect(try await store.staged(id: "nope") == nil)
    }

    @Test(arguments: Backend.allCases)
    func aPendingVersionCantBeStagedTwiceUntilDecidedOrExpired(backend: Backend) async throws {
        let store = try backend.makeStorage().policies
        try await store.insertStaged(try staged("a", "test.pkg", "1.0.0"))
        do {
            try await store.insertStaged(try staged("b", "TEST.PKG", "1.0.0+other"))
            Issue.record("expected a conflict")
        } catch let error as BulwarkError {
            #expect(error.kind == .conflict)
        }
        try await store.insertStaged(try staged("c", "test.pkg", "1.0.1"))
        try await store.insertStaged(try staged("d", "test.other", "1.0.0"))
        #expect(try await store.pendingStaged(of: try PackageIdentifier("Test.Pkg")).map(\.id) == ["a", "c"])
        #expect(try await store.decide(id: "a", from: .pending, to: .rejected, by: "alice", at: t0 + 5))
        try await store.insertStaged(try staged("e", "test.pkg", "1.0.0", at: t0 + 10))
        // Past its expiry, a pending one no longer blocks.
        try await store.insertStaged(try staged("f", "test.pkg", "1.0.1", at: t0 + 8 * 86_400))
        #expect(try await store.pendingStaged(of: try PackageIdentifier("test.pkg")).map(\.id) == ["c", "e", "f"])
    }

    @Test(arguments: Backend.allCases)
    func decideMovesOnlyFromTheExpectedState(backend: Backend) async throws {
        let store = try backend.makeStorage().policies
        try await store.insertStaged(try staged("a"))
        #expect(try await !store.decide(id: "a", from: .approved, to: .rejected, by: "bob", at: t0 + 1))
        #expect(try await store.decide(id: "a", from: .pending, to: .approved, by: "alice", at: t0 + 2))
        #expect(try await !store.decide(id: "a", from: .pending, to: .rejected, by: "bob", at: t0 + 3))
        #expect(try await !store.decide(id: "missing", from: .pending, to: .approved, by: "bob", at: t0 + 3))
        let decided = try #require(try await store.staged(id: "a"))
        #expect(decided.state == .approved)
        #expect(decided.decidedBy == "alice")
        #expect(decided.decidedAt == t0 + 2)
        #expect(try await store.pendingStaged(of: try PackageIdentifier("test.pkg")).isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func concurrentDecisionsHaveOneWinner(backend: Backend) async throws {
        let store = try backend.makeStorage().policies
        try await store.insertStaged(try staged("race"))
        let t = t0
        let wins = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<10 {
                group.addTask {
                    (try? await store.decide(id: "race", from: .pending, to: i % 2 == 0 ? .approved : .rejected, by: "user\(i)", at: t)) ?? false
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(wins == 1)
    }

    @Test func aPendingReleasePastItsExpiryCountsAsExpired() throws {
        let s = try staged("x")
        #expect(s.effectiveState(at: t0 + 60) == .pending)
        #expect(s.effectiveState(at: s.expiresAt) == .expired)
    }
}
