import BulwarkAuth
import BulwarkCore
import BulwarkServer
import BulwarkStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// Tokens for CI: `publish` and `yank` scopes, always expiring (default and operator maximum),
/// created only with a fresh second factor, last use (time and address) recorded, and never enough
/// for a sensitive action.
@Suite struct TokenPolicyTests {
    let fixture = LifecycleFixture()

    @Test func tokensNeedAFreshFactorAndAlwaysExpireWithinTheMaximum() async throws {
        let registry = try await fixture.registry()
        try await registry.test { client async throws in
            let mona = Browser(client)
            _ = try await fixture.account(mona, "mona")
            #expect(try await mona.send(.post, "/api/v1/scopes", json: ["name": "mona"]).status == .created)
            let body: [String: Any] = ["scopes": ["publish", "yank"], "packages": ["mona.*"]]

            let created = try await mona.send(.post, "/api/v1/tokens", json: body)
            #expect(created.status == .created)
            #expect((created.json["token"] as? String)?.hasPrefix("bwk_") == true)
            // No expiry asked for: 90 days.
            #expect(created.json["expiresAt"] as? String == Timestamp.iso8601(fixture.clock.now.addingTimeInterval(90 * 86_400)))
            let listed = try #require((try await mona.send(.get, "/api/v1/tokens").json["tokens"] as? [[String: Any]])?.first)
            #expect(listed["scopes"] as? [String] == ["publish", "yank"])
            #expect(listed["packages"] as? [String] == ["mona.*"])
            #expect(listed["lastUsedAt"] is NSNull)
            #expect(listed["lastUsedIP"] is NSNull)
            // Only the hash is stored.
            let stored = try await registry.storage.tokens.tokens(ofAccount: "mona")
            #expect(stored.first?.hash == APIToken.hash(try #require(created.json["token"] as? String)))

            for (days, status) in [(367, HTTPResponse.Status.badRequest), (0, .badRequest), (-1, .badRequest), (366, .created)] {
                var b = body
                b["expiresInDays"] = days
                let response = try await mona.send(.post, "/api/v1/tokens", json: b)
                #expect(response.status == status, "\(days) days")
                if status == .badRequest { #expect(response.problemDetail?.contains("366") == true) }
            }
            let unknown = try await mona.send(.post, "/api/v1/tokens", json: ["scopes": ["admin"], "packages": ["mona.*"]])
            #expect(unknown.status == .unprocessableContent)
            #expect(unknown.problemDetail?.contains("publish or yank") == true)
            #expect(try await mona.send(.post, "/api/v1/tokens", json: ["scopes": ["yank"], "packages": ["bob.*"]]).status == .forbidden)

            fixture.letFactorsGoStale()
            let stale = try await mona.send(.post, "/api/v1/tokens", json: body)
            #expect(stale.status == .forbidden)
            #expect(stale.json["type"] as? String == "https://bulwark.dev/problems/step-up-required")
            #expect(try await registry.storage.tokens.tokens(ofAccount: "mona").count == 2)
        }
    }

    @Test func theOperatorMaximumIsConfigurable() async throws {
        let registry = try await fixture.registry { $0.security.maxTokenDays = 30 }
        try await registry.test { client async throws in
            let mona = Browser(client)
            _ = try await fixture.account(mona, "mona")
            #expect(try await mona.send(.post, "/api/v1/scopes", json: ["name": "mona"]).status == .created)
            let byDefault = try await mona.send(.post, "/api/v1/tokens", json: ["scopes": ["yank"], "packages": ["mona.pkg"]])
            #expect(byDefault.json["expiresAt"] as? String == Timestamp.iso8601(fixture.clock.now.addingTimeInterval(30 * 86_400)))
            let over = try await mona.send(.post, "/api/v1/tokens", json: ["scopes": ["yank"], "packages": ["mona.pkg"], "expiresInDays": 31])
            #expect(over.status == .badRequest)
            #expect(over.json["detail"] as? String == "expiresInDays must be between 1 and 30 (this registry's maximum token lifetime)")
            #expect(try await mona.send(.post, "/api/v1/tokens", json: ["scopes": ["yank"], "packages": ["mona.pkg"], "expiresInDays": 30]).status == .created)
        }
    }

    @Test func aTokenUseRecordsTimeAndAddress() async throws {
        let registry = try await fixture.registry()
        var logger = Logger(label: "bulwark-test")
        logger.logLevel = .error
        let app = try buildApplication(configuration: registry.configuration, storage: registry.storage, logger: logger, now: registry.now)
        try await app.test(.live) { client in
            let cast = try await fixture.cast(client, registry)
            fixture.clock.advance(120)
            #expect(try await client.withToken(cast.yankToken, .post, "/api/v1/packages/mona/pkg/releases/1.0.0/yank", json: ["reason": "x"]).status == .ok)
            let tokens = try #require(try await cast.mona.send(.get, "/api/v1/tokens").json["tokens"] as? [[String: Any]])
            let yank = try #require(tokens.first { $0["id"] as? String == cast.yankTokenID })
            #expect(yank["lastUsedAt"] as? String == Timestamp.iso8601(fixture.clock.now))
            #expect(yank["lastUsedIP"] as? String == "127.0.0.1")
            let publish = try #require(tokens.first { $0["id"] as? String == cast.publishTokenID })
            #expect(publish["lastUsedIP"] as? String == "127.0.0.1")
            #expect(publish["lastUsedAt"] is String)
            // The audit log has the address too.
            let events = try #require(try await cast.mona.send(.get, "/api/v1/packages/mona/pkg/audit-log").json["events"] as? [[String: Any]])
            #expect(events.first?["ip"] as? String == "127.0.0.1")
        }
    }

    @Test func aTokenNeverAllowsASensitiveAction() async throws {
        let registry = try await fixture.registry { $0.security.stagedReleaseLifetime = 3600 }
        try await registry.test { client async throws in
            let cast = try await fixture.cast(client, registry)
            let all = try await fixture.token(cast.mona, scopes: ["publish", "yank"], packages: ["mona.*"])
            try await registry.storage.policies.setPolicy(PackagePolicy(secondFactor: .any, publishing: .approval), for: try PackageIdentifier("mona.pkg"), at: fixture.clock.now)
            let staged = try await client.publish("/mona/pkg/2.0.0", PublishBody(archive: try Archives.package(root: "mona.pkg")), token: all.token)
            #expect(staged.status == .accepted)
            let stagedID = try #require(staged.headers[.location]?.split(separator: "/").last.map(String.init))
            let requests: [(HTTPRequest.Method, String, [String: Any]?)] = [
                (.put, "/api/v1/packages/mona/pkg/policy", ["secondFactor": "any", "publishing": "tokens"]),
                (.post, "/api/v1/packages/mona/pkg/maintainers", ["username": "bob", "role": "maintainer"]),
                (.delete, "/api/v1/packages/mona/pkg/maintainers/mary", nil),
                (.post, "/api/v1/tokens", ["scopes": ["publish"], "packages": ["mona.*"]]),
                (.get, "/api/v1/tokens", nil),
                (.delete, "/api/v1/tokens/\(cast.publishTokenID)", nil),
                (.post, "/api/v1/packages/mona/pkg/staged/\(stagedID)/approve", [:]),
                (.post, "/api/v1/packages/mona/pkg/staged/\(stagedID)/reject", [:]),
                (.delete, "/api/v1/packages/mona/pkg/releases/1.0.0", nil),
                (.get, "/api/v1/packages/mona/pkg/audit-log", nil),
                (.post, "/api/v1/scopes", ["name": "other"]),
                (.get, "/api/v1/account", nil),
                (.delete, "/api/v1/account/totp", nil),
            ]
            for (method, uri, json) in requests {
                let response = try await client.withToken(all.token, method, uri, json: json)
                #expect([.unauthorized, .forbidden].contains(response.status), "\(method) \(uri): \(response.status)")
            }
            // Nothing changed.
            let id = try PackageIdentifier("mona.pkg")
            #expect(try await registry.storage.policies.policy(of: id)?.publishing == .approval)
            #expect(try await registry.storage.maintainers.members(of: id).map(\.account) == ["mary"])
            #expect(try await registry.storage.tokens.tokens(ofAccount: "mona").allSatisfy { $0.revokedAt == nil })
            #expect(try await registry.storage.policies.staged(id: stagedID)?.state == .pending)
            #expect(try await registry.storage.releases.release(id, version: try SemanticVersion("1.0.0")) != nil)
            #expect(try await registry.storage.releases.release(id, version: try SemanticVersion("2.0.0")) == nil)
            #expect(try await registry.storage.scopes.owners(ofScope: "other").isEmpty)

            // The staged publish is in the audit log with the token; the approval with the approver's factor.
            try await fixture.stepUp(cast.mona, cast.monaTOTP)
            #expect(try await cast.mona.send(.post, "/api/v1/packages/mona/pkg/staged/\(stagedID)/approve").status == .ok)
            let events = try #require(try await cast.mona.send(.get, "/api/v1/packages/mona/pkg/audit-log").json["events"] as? [[String: Any]])
            #expect(events.prefix(2).map { $0["kind"] as? String } == ["approved", "staged"])
            #expect((events[0]["credential"] as? [String: Any])?["kind"] as? String == "totp")
            #expect((events[1]["credential"] as? [String: Any])?["id"] as? String == all.id)
            let page = try await Browser(client).send(.get, "/api/v1/packages/mona/pkg")
            let release = try #require((page.json["releases"] as? [[String: Any]])?.first)
            #expect(release["version"] as? String == "2.0.0")
            #expect(((release["publishedBy"] as? [String: Any])?["credential"] as? [String: Any])?["id"] as? String == all.id)
            #expect((release["approvedBy"] as? [String: Any])?["account"] as? String == "mona")
        }
    }
}
