import BulwarkCore
import Foundation

extension MemoryStore: ScopeStore {
    public func owners(ofScope scope: String) -> [String] { scopeOwners[scope.lowercased()] ?? [] }

    public func claimScope(_ scope: String, account: String, at date: Date) -> Bool {
        guard (scopeOwners[scope.lowercased()] ?? []).isEmpty else { return false }
        scopeOwners[scope.lowercased()] = [account]
        return true
    }

    public func addScopeOwner(_ scope: String, account: String, at date: Date) {
        var owners = scopeOwners[scope.lowercased()] ?? []
        if !owners.contains(where: { $0.lowercased() == account.lowercased() }) { owners.append(account) }
        scopeOwners[scope.lowercased()] = owners
    }

    public func scopes(ownedBy account: String) -> [String] {
        scopeOwners.filter { $0.value.contains { $0.lowercased() == account.lowercased() } }.map(\.key).sorted()
    }
}
