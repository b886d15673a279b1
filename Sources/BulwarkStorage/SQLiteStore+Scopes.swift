import BulwarkCore
import Foundation

extension SQLiteStore: ScopeStore {
    public func owners(ofScope scope: String) throws -> [String] {
        try connection.locked {
            try connection.query("SELECT account FROM scope_owners WHERE scope_key = ? ORDER BY created_at, rowid", [.text(scope.lowercased())])
        }.compactMap { $0[0].string }
    }

    public func claimScope(_ scope: String, account: String, at date: Date) throws -> Bool {
        try connection.transaction {
            let owned = try connection.query("SELECT 1 FROM scope_owners WHERE scope_key = ? LIMIT 1", [.text(scope.lowercased())])
            guard owned.isEmpty else { return false }
            try connection.query(
                "INSERT INTO scope_owners (scope_key, scope, account_key, account, created_at) VALUES (?, ?, ?, ?, ?)",
                [.text(scope.lowercased()), .text(scope), .text(account.lowercased()), .text(account), .date(date)]
            )
            return true
        }
    }

    public func addScopeOwner(_ scope: String, account: String, at date: Date) throws {
        try connection.locked {
            _ = try connection.query(
                "INSERT OR IGNORE INTO scope_owners (scope_key, scope, account_key, account, created_at) VALUES (?, ?, ?, ?, ?)",
                [.text(scope.lowercased()), .text(scope), .text(account.lowercased()), .text(account), .date(date)]
            )
        }
    }

    public func scopes(ownedBy account: String) throws -> [String] {
        try connection.locked {
            try connection.query("SELECT scope_key FROM scope_owners WHERE account_key = ? ORDER BY scope_key", [.text(account.lowercased())])
        }.compactMap { $0[0].string }
    }
}
