import BulwarkCore
import Foundation

/// Stores that can bound the number of sessions an account holds (`--max-sessions-per-account`).
/// A separate protocol so that a store without it still works (without the limit).
public protocol SessionLimiting: Sendable {
    /// Deletes the account's sessions beyond the `keep` most recently used, always keeping the
    /// session `sparing` (the one just started), and returns how many were deleted.
    func trimSessions(account: String, keep: Int, sparing: String) async throws -> Int
}

extension SQLiteStore: SessionLimiting {
    public func trimSessions(account: String, keep: Int, sparing: String) throws -> Int {
        let key = account.lowercased()
        return try connection.transaction {
            try connection.query("""
                DELETE FROM sessions WHERE account_key = ? AND id NOT IN (
                    SELECT id FROM sessions WHERE account_key = ? ORDER BY id = ? DESC, last_seen_at DESC, rowid DESC LIMIT ?
                )
                """, [.text(key), .text(key), .text(sparing), .integer(Int64(max(0, keep)))])
            return connection.changes
        }
    }
}

extension MemoryStore: SessionLimiting {
    public func trimSessions(account: String, keep: Int, sparing: String) -> Int {
        let key = account.lowercased()
        let mine = security.sessionsByID.values.filter { $0.account.lowercased() == key }
        guard mine.count > keep else { return 0 }
        // The spared session first, then the most recently used.
        let ordered = mine.sorted {
            ($0.id == sparing ? 1 : 0, $0.lastSeenAt, $0.createdAt) > ($1.id == sparing ? 1 : 0, $1.lastSeenAt, $1.createdAt)
        }
        for session in ordered.dropFirst(max(0, keep)) { security.sessionsByID[session.id] = nil }
        return ordered.count - max(0, keep)
    }
}
