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

/// The people of the lifecycle tests: `mona` owns the scope `mona` and published `mona.pkg` 1.0.0
/// and 1.1.0 with a publish token; `mary` maintains `mona.pkg`; `bob` is someone else. Everyone
/// signs in with TOTP.
struct LifecycleCast {
    let mona: Browser
    let monaTOTP: TOTP
    let mary: Browser
    let maryTOTP: TOTP
    let bob: Browser
    let bobTOTP: TOTP
    /// `publish` on `mona.*`.
    let publishToken: String
    /// `yank` on `mona.pkg`.
    let yankToken: String
    let yankTokenID: String
    let publishTokenID: String
}

/// Setup shared by the yank/delete, token and package-page tests.
struct LifecycleFixture {
    let clock = TestClock()

    func registry(_ configure: @escaping (inout ServerConfiguration) -> Void = { _ in }) async throws -> TestRegistry {
        try await TestRegistry(configure: {
            $0.security.passwordCost = 4
            configure(&$0)
        }, now: { [clock] in clock.now })
    }

    /// Signs up `name` with TOTP as the second factor (signed in, second factor fresh).
    func account(_ browser: Browser, _ name: String) async throws -> TOTP {
        let password = "correct horse battery"
        #expect(try await browser.send(.post, "/api/v1/accounts", json: ["username": name, "email": "\(name)@example.com", "password": password]).status == .created)
        _ = try await browser.send(.post, "/api/v1/session", json: ["username": name, "password": password])
        let start = try await browser.send(.post, "/api/v1/account/totp")
        let totp = TOTP(secret: try Base32.decode(try #require(start.json["secret"] as? String)))
        #expect(try await browser.send(.post, "/api/v1/account/totp/confirm", json: ["code": totp.code(at: clock.now)]).status == .ok)
        return totp
    }

    func stepUp(_ browser: Browser, _ totp: TOTP) async throws {
        clock.advance(30)
        #expect(try await browser.send(.post, "/api/v1/session/totp", json: ["code": totp.code(at: clock.now)]).status == .ok)
    }

    /// Makes every step-up stale.
    func letFactorsGoStale() { clock.advance(11 * 60) }

    func token(_ browser: Browser, scopes: [String], packages: [String], days: Int? = nil) async throws -> (token: String, id: String) {
        var body: [String: Any] = ["scopes": scopes, "packages": packages]
        if let days { body["expiresInDays"] = days }
        let created = try await browser.send(.post, "/api/v1/tokens", json: body)
        #expect(created.status == .created, "\(created.text)")
        return (try #require(created.json["token"] as? String), try #require(created.json["id"] as? String))
    }

    func cast(_ client: some TestClientProtocol, _ registry: TestRegistry) async throws -> LifecycleCast {
        let mona = Browser(client)
        let monaTOTP = try await account(mona, "mona")
        #expect(try await mona.send(.post, "/api/v1/scopes", json: ["name": "mona"]).status == .created)
        let publish = try await token(mona, scopes: ["publish"], packages: ["mona.*"])
        let yank = try await token(mona, scopes: ["yank"], packages: ["mona.pkg"])
        for (version, answer) in [("1.0.0", 1), ("1.1.0", 2)] {
            let archive = try Archives.package(root: "mona.pkg", files: [
                "Package.swift": "// swift-tools-version:5.9\nimport PackageDescription\nlet package = Package(name: \"Pkg\")\n",
                "Sources/Pkg/Pkg.swift": "public let answer = \(answer)\n",
            ])
            let published = try await client.publish("/mona/pkg/\(version)", PublishBody(archive: archive), token: publish.token)
            #expect(published.status == .created, "\(published.text)")
        }
        let mary = Browser(client)
        let maryTOTP = try await account(mary, "mary")
        try await registry.storage.maintainers.setMember(
            PackageMember(account: "mary", role: .maintainer, addedAt: clock.now, addedBy: "mona"), of: try PackageIdentifier("mona.pkg")
        )
        let bob = Browser(client)
        let bobTOTP = try await account(bob, "bob")
        return LifecycleCast(
            mona: mona, monaTOTP: monaTOTP, mary: mary, maryTOTP: maryTOTP, bob: bob, bobTOTP: bobTOTP, publishToken: publish.token,
            yankToken: yank.token, yankTokenID: yank.id, publishTokenID: publish.id
        )
    }
}

extension TestClientProtocol {
    /// A JSON request with a bearer token and no cookie.
    func withToken(_ token: String, _ method: HTTPRequest.Method, _ uri: String, json: [String: Any]? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [.authorization: "Bearer \(token)"]
        var body: ByteBuffer?
        if let json {
            headers[.contentType] = "application/json"
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
        }
        return try await execute(uri: uri, method: method, headers: headers, body: body)
    }
}

@Suite struct YankDeleteTests {
    let fixture = LifecycleFixture()
    let yankPath = "/api/v1/packages/mona/pkg/releases/1.0.0/yank"
    let unyankPath = "/api/v1/packages/mona/pkg/releases/1.0.0/unyank"
    var reason: [String: Any] { ["reason": "CVE-2026-0001: use 1.1.0"] }

    func listed(_ client: some TestClientProtocol, _ version: String) async throws -> [String: Any]? {
        let list = try await client.execute(uri: "/mona/pkg", method: .get, headers: [.accept: "application/vnd.swift.registry.v1+json"])
        #expect(list.status == .ok)
        return (list.json["releases"] as? [String: Any])?[version] as? [String: Any]
    }

    @Test func whoMayYankAndUnyank() async throws {
        let registry = try await fixture.registry()
        try await registry.test { client async throws in
            let cast = try await fixture.cast(client, registry)
            let other = try await fixture.token(cast.mona, scopes: ["yank"], packages: ["mona.other"])
            let both = try await fixture.token(cast.mona, scopes: ["publish", "yank"], packages: ["mona.*"])

            // Denied: nobody, a token without the yank scope, a yank token for another package,
            // someone else, the owner without a fresh second factor.
            #expect(try await Browser(client).send(.post, yankPath, json: reason).status == .unauthorized)
            let publishOnly = try await client.withToken(cast.publishToken, .post, yankPath, json: reason)
            #expect(publishOnly.status == .forbidden)
            #expect(publishOnly.problemDetail?.contains("may not yank") == true)
            #expect(try await client.withToken(other.token, .post, yankPath, json: reason).status == .forbidden)
            #expect(try await client.withToken("bwk_" + String(repeating: "A", count: 43), .post, yankPath, json: reason).status == .unauthorized)
            #expect(try await cast.bob.send(.post, yankPath, json: reason).status == .forbidden)
            fixture.letFactorsGoStale()
            let stale = try await cast.mona.send(.post, yankPath, json: reason)
            #expect(stale.status == .forbidden)
            #expect(stale.json["type"] as? String == "https://bulwark.dev/problems/step-up-required")
            #expect(try await cast.mary.send(.post, yankPath, json: reason).status == .forbidden)
            #expect(try await registry.storage.lifecycle.yanks(of: try PackageIdentifier("mona.pkg")).isEmpty)

            // Allowed: the yank token, a maintainer and the owner with a fresh factor.
            let byToken = try await client.withToken(cast.yankToken, .post, yankPath, json: reason)
            #expect(byToken.status == .ok, "\(byToken.text)")
            #expect(byToken.json["yanked"] as? Bool == true)
            #expect(byToken.json["yankedBy"] as? String == "mona")
            #expect(try await client.withToken(cast.yankToken, .post, unyankPath).status == .ok)
            #expect(try await client.withToken(both.token, .post, yankPath, json: reason).status == .ok)
            #expect(try await client.withToken(cast.publishToken, .post, unyankPath).status == .forbidden)
            #expect(try await cast.bob.send(.post, unyankPath).status == .forbidden)
            #expect(try await Browser(client).send(.post, unyankPath).status == .unauthorized)
            #expect(try await cast.mona.send(.post, unyankPath).status == .forbidden)
            try await fixture.stepUp(cast.mary, cast.maryTOTP)
            #expect(try await cast.mary.send(.post, unyankPath).status == .ok)
            #expect(try await cast.mary.send(.post, yankPath, json: reason).status == .ok)
            try await fixture.stepUp(cast.mona, cast.monaTOTP)
            #expect(try await cast.mona.send(.post, unyankPath).status == .ok)
            let again = try await cast.mona.send(.post, unyankPath)
            #expect(again.status == .conflict)
            #expect(again.problemDetail?.contains("isn't yanked") == true)
            #expect(try await cast.mona.send(.post, yankPath, json: reason).status == .ok)

            // A maintainer added later may un-yank too.
            try await registry.storage.maintainers.setMember(
                PackageMember(account: "bob", role: .maintainer, addedAt: fixture.clock.now), of: try PackageIdentifier("mona.pkg")
            )
            try await fixture.stepUp(cast.bob, cast.bobTOTP)
            #expect(try await cast.bob.send(.post, unyankPath).status == .ok)
        }
    }

    @Test func aYankedReleaseIsMarkedInTheListAndMetadataButStaysDownloadable() async throws {
        let registry = try await fixture.registry()
        try await registry.test { client async throws in
            let cast = try await fixture.cast(client, registry)
            // Cached before the yank: the yank must invalidate it.
            #expect(try await listed(client, "1.0.0")?["problem"] == nil)
            let before = try await client.execute(uri: "/mona/pkg/1.0.0", method: .get)
            #expect(before.json["problem"] == nil)

            #expect(try await client.withToken(cast.yankToken, .post, yankPath, json: reason).status == .ok)
            let problem = try #require(try await listed(client, "1.0.0")?["problem"] as? [String: Any])
            #expect(problem["status"] as? Int == 410)
            #expect(problem["title"] as? String == "Gone")
            #expect(problem["detail"] as? String == "CVE-2026-0001: use 1.1.0")
            #expect(try await listed(client, "1.1.0")?["problem"] == nil)
            let metadata = try await client.execute(uri: "/mona/pkg/1.0.0", method: .get)
            #expect(metadata.status == .ok)
            #expect((metadata.json["problem"] as? [String: Any])?["detail"] as? String == "CVE-2026-0001: use 1.1.0")
            #expect(metadata.json["id"] as? String == "mona.pkg")
            #expect(try await client.execute(uri: "/mona/pkg/1.0.0.zip", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/mona/pkg/1.0.0/Package.swift", method: .get).status == .ok)

            #expect(try await client.withToken(cast.yankToken, .post, unyankPath).status == .ok)
            #expect(try await listed(client, "1.0.0")?["problem"] == nil)
            #expect(try await client.execute(uri: "/mona/pkg/1.0.0", method: .get).json["problem"] == nil)
        }
    }

    @Test func aYankNeedsAValidReasonWithinTheConfiguredLimit() async throws {
        let registry = try await fixture.registry { $0.maxYankReasonLength = 20 }
        try await registry.test { client async throws in
            let cast = try await fixture.cast(client, registry)
            for bad in [["reason": ""], ["reason": "   "], [:], ["reason": "line one\nline two"], ["reason": String(repeating: "x", count: 21)]] as [[String: Any]] {
                let response = try await client.withToken(cast.yankToken, .post, yankPath, json: bad)
                #expect(response.status == .unprocessableContent, "\(bad)")
                #expect(response.problemDetail?.isEmpty == false)
            }
            let notJSON = try await client.execute(
                uri: yankPath, method: .post, headers: [.authorization: "Bearer \(cast.yankToken)", .contentType: "application/json"],
                body: ByteBuffer(string: "{")
            )
            #expect(notJSON.status == .badRequest)
            #expect(try await registry.storage.lifecycle.yanks(of: try PackageIdentifier("mona.pkg")).isEmpty)
            #expect(try await client.withToken(cast.yankToken, .post, yankPath, json: ["reason": String(repeating: "x", count: 20)]).status == .ok)
            let unknown = try await client.withToken(cast.yankToken, .post, "/api/v1/packages/mona/pkg/releases/9.9.9/yank", json: reason)
            #expect(unknown.status == .notFound)
            let badVersion = try await client.withToken(cast.yankToken, .post, "/api/v1/packages/mona/pkg/releases/v1/yank", json: reason)
            #expect(badVersion.status == .badRequest)
        }
    }

    @Test func onlyAnOwnerWithAFreshFactorDeletesAndTheVersionIsGoneForever() async throws {
        let registry = try await fixture.registry()
        try await registry.test { client async throws in
            let cast = try await fixture.cast(client, registry)
            let path = "/api/v1/packages/mona/pkg/releases/1.0.0"
            let id = try PackageIdentifier("mona.pkg")
            let release = try #require(try await registry.storage.releases.release(id, version: try SemanticVersion("1.0.0")))
            let blob = registry.directory.appendingPathComponent("blobs/sha256/\(release.checksum.prefix(2))/\(release.checksum).zip").path
            #expect(FileManager.default.fileExists(atPath: blob))
            _ = try await client.execute(uri: "/mona/pkg/1.0.0", method: .get)  // cached

            #expect(try await Browser(client).send(.delete, path).status == .unauthorized)
            let byToken = try await client.withToken(cast.yankToken, .delete, path)
            #expect(byToken.status == .forbidden)
            #expect(byToken.problemDetail?.contains("token") == true)
            #expect(try await client.withToken(cast.publishToken, .delete, path).status == .forbidden)
            #expect(try await cast.bob.send(.delete, path).status == .forbidden)
            let maintainer = try await cast.mary.send(.delete, path)
            #expect(maintainer.status == .forbidden)
            #expect(maintainer.problemDetail?.contains("owner") == true)
            fixture.letFactorsGoStale()
            let stale = try await cast.mona.send(.delete, path)
            #expect(stale.status == .forbidden)
            #expect(stale.json["type"] as? String == "https://bulwark.dev/problems/step-up-required")
            #expect(try await registry.storage.releases.release(id, version: try SemanticVersion("1.0.0")) != nil)

            // Downloaded (twice: the second from the cached release and headers) before it is deleted.
            for _ in 0..<2 { #expect(try await client.execute(uri: "/mona/pkg/1.0.0.zip", method: .get).status == .ok) }
            try await fixture.stepUp(cast.mona, cast.monaTOTP)
            let deleted = try await cast.mona.send(.delete, path)
            #expect(deleted.status == .ok, "\(deleted.text)")
            #expect(deleted.json["deleted"] as? Bool == true)
            // Its archive was used by nothing else: it is gone too.
            #expect(!FileManager.default.fileExists(atPath: blob))

            // Reads: listed with a problem (resolvers skip it), everything else 410 with a detail.
            let problem = try #require(try await listed(client, "1.0.0")?["problem"] as? [String: Any])
            #expect(problem["status"] as? Int == 410)
            #expect((problem["detail"] as? String)?.contains("removed from the registry") == true)
            #expect(try await listed(client, "1.1.0")?["problem"] == nil)
            for uri in ["/mona/pkg/1.0.0", "/mona/pkg/1.0.0.zip", "/mona/pkg/1.0.0/Package.swift"] {
                let gone = try await client.execute(uri: uri, method: .get)
                #expect(gone.status == .gone, "\(uri)")
                #expect(gone.headers[.contentType] == "application/problem+json")
                #expect(gone.problemDetail?.contains("removed from the registry") == true)
            }
            #expect(try await client.execute(uri: "/mona/pkg/1.1.0", method: .get).status == .ok)

            // Never published again, whatever the build metadata; before the body is read.
            for version in ["1.0.0", "1.0.0+rebuilt"] {
                let again = try await client.publish("/mona/pkg/\(version)", PublishBody(archive: try Archives.package(root: "mona.pkg")), token: cast.publishToken)
                #expect(again.status == .conflict)
                #expect(again.problemDetail?.contains("was deleted") == true)
            }
            #expect(try await cast.mona.send(.delete, path).status == .gone)
            #expect(try await cast.mona.send(.delete, "/api/v1/packages/mona/pkg/releases/7.0.0").status == .notFound)
            #expect(try await cast.mona.send(.delete, "/api/v1/packages/mona/nope/releases/1.0.0").status == .notFound)
            #expect(try await cast.mona.send(.post, yankPath, json: reason).status == .gone)
        }
    }

    @Test func anArchiveUsedByAnotherReleaseStays() async throws {
        let registry = try await fixture.registry()
        try await registry.test { client async throws in
            let cast = try await fixture.cast(client, registry)
            // 1.2.0 is the same bytes as 1.1.0 (content addressed: one file).
            let id = try PackageIdentifier("mona.pkg")
            var copy = try #require(try await registry.storage.releases.release(id, version: try SemanticVersion("1.1.0")))
            copy.version = try SemanticVersion("1.2.0")
            try await registry.storage.releases.insert(copy)
            let blob = registry.directory.appendingPathComponent("blobs/sha256/\(copy.checksum.prefix(2))/\(copy.checksum).zip").path
            try await fixture.stepUp(cast.mona, cast.monaTOTP)
            #expect(try await cast.mona.send(.delete, "/api/v1/packages/mona/pkg/releases/1.1.0").status == .ok)
            #expect(FileManager.default.fileExists(atPath: blob))
            #expect(try await client.execute(uri: "/mona/pkg/1.2.0.zip", method: .get).status == .ok)
            #expect(try await cast.mona.send(.delete, "/api/v1/packages/mona/pkg/releases/1.2.0").status == .ok)
            #expect(!FileManager.default.fileExists(atPath: blob))
        }
    }

    @Test func theAuditLogListsEveryUseWithActorAndCredential() async throws {
        let registry = try await fixture.registry()
        try await registry.test { client async throws in
            let cast = try await fixture.cast(client, registry)
            let log = "/api/v1/packages/mona/pkg/audit-log"
            #expect(try await client.withToken(cast.yankToken, .post, yankPath, json: reason).status == .ok)
            try await fixture.stepUp(cast.mona, cast.monaTOTP)
            #expect(try await cast.mona.send(.post, unyankPath).status == .ok)
            #expect(try await cast.mona.send(.delete, "/api/v1/packages/mona/pkg/releases/1.0.0").status == .ok)

            #expect(try await Browser(client).send(.get, log).status == .unauthorized)
            #expect(try await cast.bob.send(.get, log).status == .forbidden)
            #expect(try await client.withToken(cast.yankToken, .get, log).status == .forbidden)
            #expect(try await cast.mona.send(.get, "/api/v1/packages/mona/nope/audit-log").status == .notFound)
            #expect(try await cast.mona.send(.get, log + "?limit=0").status == .badRequest)
            #expect(try await cast.mona.send(.get, log + "?limit=1001").status == .badRequest)
            let read = try await cast.mary.send(.get, log)
            #expect(read.status == .ok, "\(read.text)")
            let events = try #require(read.json["events"] as? [[String: Any]])
            #expect(events.map { $0["kind"] as? String } == ["deleted", "unyanked", "yanked", "published", "published"])
            #expect(events.map { $0["version"] as? String } == ["1.0.0", "1.0.0", "1.0.0", "1.1.0", "1.0.0"])
            #expect(events.allSatisfy { $0["actor"] as? String == "mona" })
            let credentials = events.compactMap { $0["credential"] as? [String: Any] }
            #expect(credentials.map { $0["kind"] as? String } == ["totp", "totp", "token", "token", "token"])
            #expect(credentials[2]["id"] as? String == cast.yankTokenID)
            #expect(credentials[3]["id"] as? String == cast.publishTokenID)
            #expect(events[2]["detail"] as? String == "CVE-2026-0001: use 1.1.0")
            #expect((try await cast.mona.send(.get, log + "?limit=2").json["events"] as? [Any])?.count == 2)

            // The package's own page shows who published each release with which credential.
            let page = try await Browser(client).send(.get, "/api/v1/packages/mona/pkg")
            let releases = try #require(page.json["releases"] as? [[String: Any]])
            #expect(releases.map { $0["version"] as? String } == ["1.1.0", "1.0.0"])
            let publishedBy = try #require(releases[0]["publishedBy"] as? [String: Any])
            #expect(publishedBy["account"] as? String == "mona")
            #expect((publishedBy["credential"] as? [String: Any])?["id"] as? String == cast.publishTokenID)
            #expect((publishedBy["credential"] as? [String: Any])?["kind"] as? String == "token")
            #expect(releases[1]["deleted"] as? Bool == true)
            #expect(releases[1]["deletedBy"] as? String == "mona")
        }
    }
}
