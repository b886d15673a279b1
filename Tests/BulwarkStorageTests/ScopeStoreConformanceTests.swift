import BulwarkCore
import BulwarkStorage
import Foundation
import Testing

@Suite struct ScopeStoreConformanceTests {
    @Test(arguments: Backend.allCases)
    func theFirstClaimWinsAndOwnersCanBeAdded(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        #expect(try await storage.scopes.owners(ofScope: "mona").isEmpty)
        #expect(try await storage.scopes.claimScope("Mona", account: "mona", at: Date()))
        #expect(try await !storage.scopes.claimScope("MONA", account: "mallory", at: Date()))
        try await storage.scopes.addScopeOwner("mona", account: "Octo", at: Date().addingTimeInterval(1))
        try await storage.scopes.addScopeOwner("mona", account: "octo", at: Date().addingTimeInterval(2))
        #expect(try await storage.scopes.owners(ofScope: "mona") == ["mona", "Octo"])
        #expect(try await storage.scopes.scopes(ownedBy: "OCTO") == ["mona"])
        #expect(try await storage.scopes.scopes(ownedBy: "mallory").isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func concurrentClaimsHaveOneWinner(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        let wins = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<20 { group.addTask { (try? await storage.scopes.claimScope("race", account: "user\(i)", at: Date())) ?? false } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(wins == 1)
        #expect(try await storage.scopes.owners(ofScope: "race").count == 1)
    }
}
