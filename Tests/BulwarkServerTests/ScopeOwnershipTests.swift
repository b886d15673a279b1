import BulwarkAuth
import BulwarkCore
import BulwarkServer
import BulwarkStorage
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite struct ScopeOwnershipTests {
    @Test func theFirstPublisherOwnsTheScopeAndOthersAreRefused() async throws {
        let registry = try await TestRegistry()
        try await registry.storage.accounts.createAccount(Account(name: "mallory", email: "m@example.com", passwordHash: nil, createdAt: Date()))
        let mallorys = try await Self.token(registry.storage, account: "mallory", packages: ["test.*"])
        let archive = try Archives.package()
        try await registry.test { client async throws in
            let alice = try await client.publish("/test/pkg/1.0.0", PublishBody(archive: archive), token: registry.token)
            #expect(alice.status == .created)
            #expect(try await registry.storage.scopes.owners(ofScope: "TEST") == ["alice"])
            let mallory = try await client.publish("/test/other/1.0.0", PublishBody(archive: archive), token: mallorys)
            #expect(mallory.status == .forbidden)
            #expect(mallory.problemDetail?.contains("belongs to another account") == true)
        }
    }

    @Test func anOperatorAssignedOwnerMayPublish() async throws {
        let registry = try await TestRegistry()
        try await registry.storage.accounts.createAccount(Account(name: "bob", email: "b@example.com", passwordHash: nil, createdAt: Date()))
        try await registry.storage.scopes.addScopeOwner("test", account: "alice", at: Date())
        try await registry.storage.scopes.addScopeOwner("test", account: "bob", at: Date())
        let bobs = try await Self.token(registry.storage, account: "bob", packages: ["test.*"])
        let archive = try Archives.package()
        try await registry.test { client async throws in
            #expect(try await client.publish("/test/pkg/1.0.0", PublishBody(archive: archive), token: bobs).status == .created)
        }
    }

    @Test func tokensFromTheAPIOnlyCoverOwnedScopes() async throws {
        let clock = TestClock(Date())  // the token TestRegistry makes expires an hour from the real now
        let registry = try await TestRegistry(configure: { $0.security.passwordCost = 4 }, now: { clock.now })
        try await registry.test { client async throws in
            let browser = Browser(client)
            _ = try await browser.send(.post, "/api/v1/accounts", json: ["username": "mona", "email": "mona@example.com", "password": "correct horse battery"])
            _ = try await browser.send(.post, "/api/v1/session", json: ["username": "mona", "password": "correct horse battery"])
            let start = try await browser.send(.post, "/api/v1/account/totp")
            let totp = TOTP(secret: try Base32.decode(try #require(start.json["secret"] as? String)))
            _ = try await browser.send(.post, "/api/v1/account/totp/confirm", json: ["code": totp.code(at: clock.now)])
            // alice's scope, claimed by her first publish
            #expect(try await client.publish("/test/pkg/1.0.0", PublishBody(archive: try Archives.package()), token: registry.token).status == .created)
            #expect(try await browser.send(.post, "/api/v1/tokens", json: ["scopes": ["publish"], "packages": ["test.*"]]).status == .forbidden)
            #expect(try await browser.send(.post, "/api/v1/scopes", json: ["name": "test"]).status == .conflict)
            #expect(try await browser.send(.post, "/api/v1/scopes", json: ["name": "Mona"]).status == .created)
            #expect(try await browser.send(.post, "/api/v1/tokens", json: ["scopes": ["publish"], "packages": ["mona.pkg"]]).status == .created)
            #expect(try await browser.send(.get, "/api/v1/scopes").json["scopes"] as? [String] == ["mona"])
            #expect(try await browser.send(.post, "/api/v1/scopes", json: ["name": "-bad-"]).status == .unprocessableContent)
        }
    }

    static func token(_ storage: Storage, account: String, packages: [String]) async throws -> String {
        let minted = APIToken.mint()
        try await storage.tokens.insertToken(TokenRecord(
            id: UUID().uuidString, hash: minted.hash, account: account, permissions: [.publish],
            packages: try packages.map { try PackagePattern($0) }, createdAt: Date(), expiresAt: Date().addingTimeInterval(3600)
        ))
        return minted.token
    }
}
