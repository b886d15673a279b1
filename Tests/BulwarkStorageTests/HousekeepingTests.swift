import BulwarkCore
import BulwarkStorage
import Foundation
import Testing

@Suite struct HousekeepingTests {
    @Test(arguments: Backend.allCases)
    func expiredChallengesSessionsAndOldFailuresArePurged(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        try await storage.security.saveChallenge(ChallengeRecord(id: "old", purpose: .authentication, bytes: [1], account: nil, expiresAt: now.addingTimeInterval(-1)))
        try await storage.security.saveChallenge(ChallengeRecord(id: "new", purpose: .authentication, bytes: [2], account: nil, expiresAt: now.addingTimeInterval(60)))
        try await storage.security.saveSession(SessionRecord(id: "idle", account: "a", state: .authenticated, createdAt: now.addingTimeInterval(-7200), lastSeenAt: now.addingTimeInterval(-3600), secondFactorAt: nil))
        try await storage.security.saveSession(SessionRecord(id: "live", account: "a", state: .authenticated, createdAt: now.addingTimeInterval(-60), lastSeenAt: now, secondFactorAt: nil))
        _ = try await storage.security.recordFailure(key: "totp:a", at: now.addingTimeInterval(-3600), countingSince: now.addingTimeInterval(-7200))
        _ = try await storage.security.recordFailure(key: "totp:a", at: now, countingSince: now.addingTimeInterval(-900))

        let removed = try await storage.security.purgeExpired(
            now: now, sessionsIdleSince: now.addingTimeInterval(-1800), sessionsCreatedSince: now.addingTimeInterval(-43_200),
            failuresSince: now.addingTimeInterval(-900)
        )
        #expect(removed == 3)
        #expect(try await storage.security.takeChallenge(id: "old") == nil)
        #expect(try await storage.security.takeChallenge(id: "new") != nil)
        #expect(try await storage.security.session(id: "idle") == nil)
        #expect(try await storage.security.session(id: "live") != nil)
        #expect(try await storage.security.failures(key: "totp:a", since: .distantPast) == 1)
    }

    /// Staged releases that expired undecided go; decided ones and those still waiting stay.
    @Test(arguments: Backend.allCases)
    func expiredUndecidedStagedReleasesArePurged(backend: Backend) async throws {
        let store = try backend.makeStorage().policies
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let cutoff = now.addingTimeInterval(-7 * 86_400)
        func staged(_ id: String, _ version: String, expiresAt: Date) throws -> StagedRelease {
            StagedRelease(
                id: id, release: try makeRelease("test.pkg", version), createdAt: expiresAt.addingTimeInterval(-7 * 86_400), expiresAt: expiresAt
            )
        }
        try await store.insertStaged(try staged("long-expired", "1.0.0", expiresAt: cutoff.addingTimeInterval(-1)))
        try await store.insertStaged(try staged("at-cutoff", "1.0.1", expiresAt: cutoff))
        try await store.insertStaged(try staged("recently-expired", "1.0.2", expiresAt: now.addingTimeInterval(-60)))
        try await store.insertStaged(try staged("waiting", "1.0.3", expiresAt: now.addingTimeInterval(86_400)))
        try await store.insertStaged(try staged("rejected", "1.0.4", expiresAt: cutoff.addingTimeInterval(-86_400)))
        try await store.insertStaged(try staged("approved", "1.0.5", expiresAt: cutoff.addingTimeInterval(-86_400)))
        #expect(try await store.decide(id: "rejected", from: .pending, to: .rejected, by: "alice", at: cutoff.addingTimeInterval(-2 * 86_400)))
        #expect(try await store.decide(id: "approved", from: .pending, to: .approved, by: "alice", at: cutoff.addingTimeInterval(-2 * 86_400)))

        #expect(try await store.purgeExpiredStaged(expiredBefore: cutoff).count == 2)
        for id in ["long-expired", "at-cutoff"] { #expect(try await store.staged(id: id) == nil, "\(id) must be purged") }
        for id in ["recently-expired", "waiting", "rejected", "approved"] { #expect(try await store.staged(id: id) != nil, "\(id) must stay") }
        #expect(try await store.pendingStaged(of: try PackageIdentifier("test.pkg")).map(\.id) == ["recently-expired", "waiting"])
        // Nothing more to do the second time.
        #expect(try await store.purgeExpiredStaged(expiredBefore: cutoff).isEmpty)
    }
}
