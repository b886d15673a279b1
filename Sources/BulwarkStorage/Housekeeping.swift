import BulwarkCore
import Foundation

extension MemoryStore {
    public func purgeExpired(now: Date, sessionsIdleSince: Date, sessionsCreatedSince: Date, failuresSince: Date) -> Int {
        var removed = 0
        let challenges = security.challengesByID.filter { $0.value.expiresAt <= now }.map(\.key)
        for id in challenges { security.challengesByID[id] = nil }
        removed += challenges.count
        let sessions = security.sessionsByID.filter { $0.value.lastSeenAt < sessionsIdleSince || $0.value.createdAt < sessionsCreatedSince }.map(\.key)
        for id in sessions { security.sessionsByID[id] = nil }
        removed += sessions.count
        for (key, times) in security.failuresByKey {
            let kept = times.filter { $0 >= failuresSince }
            removed += times.count - kept.count
            security.failuresByKey[key] = kept.isEmpty ? nil : kept
        }
        return removed
    }
}

extension SQLiteStore {
    public func purgeExpired(now: Date, sessionsIdleSince: Date, sessionsCreatedSince: Date, failuresSince: Date) throws -> Int {
        try connection.transaction {
            var removed = 0
            try connection.query("DELETE FROM challenges WHERE expires_at <= ?", [.date(now)])
            removed += connection.changes
            try connection.query("DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?", [.date(sessionsIdleSince), .date(sessionsCreatedSince)])
            removed += connection.changes
            try connection.query("DELETE FROM throttle_failures WHERE at < ?", [.date(failuresSince)])
            removed += connection.changes
            return removed
        }
    }
}
