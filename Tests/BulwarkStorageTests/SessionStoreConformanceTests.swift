import BulwarkCore
import BulwarkStorage
import Foundation
import Testing

/// Sessions beyond what `AccountSecurityStoreConformanceTests` covers: every field survives a
/// save (including `passkeyAt`), and `SessionLimiting` trims the same sessions on every backend.
@Suite struct SessionStoreConformanceTests {
    let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    @Test(arguments: Backend.allCases)
    func everySessionFieldSurvivesSavesAndUpdates(backend: Backend) async throws {
        let store = try backend.makeStorage().security
        var session = SessionRecord(
            id: "s1", account: "Alice", state: .secondFactorRequired, createdAt: t0, lastSeenAt: t0, secondFactorAt: nil, passkeyAt: nil
        )
        try await store.saveSession(session)
        #expect(try await store.session(id: "s1") == session)
        session.state = .authenticated
        session.lastSeenAt = t0 + 60
        session.secondFactorAt = t0 + 60
        session.passkeyAt = t0 + 61
        try await store.saveSession(session)
        #expect(try await store.session(id: "s1") == session)
        try await store.deleteSessions(account: "ALICE")
        #expect(try await store.session(id: "s1") == nil)
    }

    @Test(arguments: Backend.allCases)
    func trimmingKeepsTheSparedAndMostRecentlyUsedSessions(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        let store = storage.security
        let limiting = try #require(store as? any SessionLimiting, "\(backend) has no session limit")
        for (i, id) in ["a", "b", "c", "d"].enumerated() {
            try await store.saveSession(SessionRecord(
                id: id, account: "alice", state: .authenticated, createdAt: t0, lastSeenAt: t0 + Double(i * 10), secondFactorAt: nil
            ))
        }
        try await store.saveSession(SessionRecord(id: "other", account: "bob", state: .authenticated, createdAt: t0, lastSeenAt: t0, secondFactorAt: nil))
        // "a" is the least recently used but spared; of the rest only the most recently used stays.
        #expect(try await limiting.trimSessions(account: "ALICE", keep: 2, sparing: "a") == 2)
        #expect(try await store.session(id: "a") != nil)
        #expect(try await store.session(id: "b") == nil)
        #expect(try await store.session(id: "c") == nil)
        #expect(try await store.session(id: "d") != nil)
        #expect(try await store.session(id: "other") != nil)
        #expect(try await limiting.trimSessions(account: "alice", keep: 2, sparing: "a") == 0)
    }
}
