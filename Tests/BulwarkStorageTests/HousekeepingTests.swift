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
}
