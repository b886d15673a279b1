import BulwarkCore
import Foundation

/// Who owns a scope (the `scope` of `scope.name`). Only owners may create packages in it.
public protocol ScopeStore: Sendable {
    /// The scope's owners (account names), oldest first; empty if nobody has claimed it.
    func owners(ofScope scope: String) async throws -> [String]
    /// Claims an unowned scope for `account`. Returns false if the scope has an owner already: of
    /// concurrent claims exactly one wins.
    func claimScope(_ scope: String, account: String, at date: Date) async throws -> Bool
    /// Adds an owner whatever the scope's state (operator assignment).
    func addScopeOwner(_ scope: String, account: String, at date: Date) async throws
    /// The scopes `account` owns, sorted.
    func scopes(ownedBy account: String) async throws -> [String]
}
