import BulwarkAuth
import BulwarkCore
import BulwarkServer
import BulwarkStorage
import BulwarkTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Owners, a per-package policy and staged releases (`publishing: approval`).
@Suite struct PackagePolicyAPITests {
    let clock = TestClock()

    func registry() async throws -> TestRegistry {
        try await TestRegistry(configure: { $0.security.passwordCost = 4 }, now: { [clock] in clock.now })
    }

    /// Signs up `name` with TOTP as the second factor; returns the TOTP generator.
    func account(_ browser: Browser, _ name: String) async throws -> TOTP {
        let password = "correct horse battery"
        #expect(try await browser.send(.post, "/api/v1/accounts", json: ["username": name, "email": "\(name)@example.com", "password": password]).status == .created)
        _ = try await browser.send(.post, "/api/v1/session", json: ["username": name, "password": password])
        let start = try await browser.send(.post, "/api/v1/account/totp")
        let totp = TOTP(secret: try Base32.decode(try #require(start.json["secret"] as? String)))
        #expect(try await browser.send(.post, "/api/v1/account/totp/confirm", json: ["code": totp.code(at: clock.now)]).status == .ok)
        return totp
    }

    /// `mona` owns the scope `mona`, has a publish token for it and has published `mona.pkg` 1.0.0.
    func published(_ client: some TestClientProtocol, _ mona: Browser) async throws -> (TOTP, String) {
        let totp = try await account(mona, "mona")
        #expect(try await mona.send(.post, "/api/v1/scopes", json: ["name": "mona"]).status == .created)
        let created = try await mona.send(.post, "/api/v1/tokens", json: ["scopes": ["publish"], "packages": ["mona.*"], "expiresInDays": 30])
        let token = try #require(created.json["token"] as? String)
        #expect(try await client.publish("/mona/pkg/1.0.0", PublishBody(archive: try Archives.package(root: "mona.pkg")), token: token).status == .created)
        return (totp, token)
    }

    func stepUp(_ browser: Browser, _ totp: TOTP) async throws {
        clock.advance(30)
        #expect(try await browser.send(.post, "/api/v1/session/totp", json: ["code": totp.code(at: clock.now)]).status == .ok)
    }

    func registerPasskey(_ browser: Browser) async throws -> SoftPasskey {
        let options = try await browser.send(.post, "/api/v1/account/passkeys/options")
        let passkey = SoftPasskey()
        let registered = try await browser.send(.post, "/api/v1/account/passkeys", json: ["credential": passkey.register(options: options.json), "name": "Laptop"])
        #expect(registered.status == .created, "\(registered.text)")
        return passkey
    }

    @Test func onlyAnOwnerWithAFreshSecondFactorChangesThePolicy() async throws {
        let registry = try await registry()
        try await registry.test { client async throws in
            let mona = Browser(client)
            let (totp, _) = try await published(client, mona)
            let bob = Browser(client)
            _ = try await account(bob, "bob")
            let body: [String: Any] = ["secondFactor": "any", "publishing": "approval"]

            #expect(try await Browser(client).send(.put, "/api/v1/packages/mona/pkg/policy", json: body).status == .unauthorized)
            #expect(try await bob.send(.put, "/api/v1/packages/mona/pkg/policy", json: body).status == .forbidden)
            #expect(try await mona.send(.put, "/api/v1/packages/mona/nope/policy", json: body).status == .notFound)
            clock.advance(11 * 60)
            let stale = try await mona.send(.put, "/api/v1/packages/mona/pkg/policy", json: body)
            #expect(stale.status == .forbidden)
            #expect(stale.json["type"] as? String == "https://bulwark.dev/problems/step-up-required")
            #expect(try await registry.storage.policies.policy(of: try PackageIdentifier("mona.pkg")) == nil)

            let page = try await Browser(client).send(.get, "/api/v1/packages/mona/pkg")
            #expect(page.status == .ok)
            #expect(page.json["policy"] as? [String: String] == ["secondFactor": "any", "publishing": "tokens"])
            #expect(page.json["owners"] as? [String] == ["mona"])
            #expect((page.json["releases"] as? [[String: Any]])?.compactMap { $0["version"] as? String } == ["1.0.0"])

            try await stepUp(mona, totp)
            let changed = try await mona.send(.put, "/api/v1/packages/mona/pkg/policy", json: body)
            #expect(changed.status == .ok, "\(changed.text)")
            #expect(try await mona.send(.put, "/api/v1/packages/mona/pkg/policy", json: ["secondFactor": "sms", "publishing": "tokens"]).status == .badRequest)
            let after = try await Browser(client).send(.get, "/api/v1/packages/mona/pkg")
            #expect(after.json["policy"] as? [String: String] == ["secondFactor": "any", "publishing": "approval"])
            let posture = try await Browser(client).send(.get, "/api/v1/packages/mona/pkg/security")
            #expect((posture.json["policy"] as? [String: Any])?["publishing"] as? String == "approval")
            let events = try await registry.storage.security.events(account: "mona", limit: 50)
            #expect(events.contains { $0.kind == .policyChanged && $0.detail.contains("publishing tokens → approval") })
            #expect(try await Browser(client).send(.get, "/api/v1/packages/mona/nope").status == .notFound)
        }
    }

    @Test func aPasskeyPolicyIsRefusedWhileAnOwnerHasNoPasskey() async throws {
        let registry = try await registry()
        try await registry.test { client async throws in
            let mona = Browser(client)
            _ = try await published(client, mona)
            let body: [String: Any] = ["secondFactor": "passkey", "publishing": "tokens"]
            let refused = try await mona.send(.put, "/api/v1/packages/mona/pkg/policy", json: body)
            #expect(refused.status == .conflict)
            #expect(refused.json["ownersWithoutPasskey"] as? [String] == ["mona"])
            let passkey = try await registerPasskey(mona)
            #expect(try await mona.send(.put, "/api/v1/packages/mona/pkg/policy", json: body).status == .ok)
            let posture = try await Browser(client).send(.get, "/api/v1/packages/mona/pkg/security")
            #expect((posture.json["policy"] as? [String: Any])?["secondFactor"] as? String == "passkey")

            let bob = Browser(client)
            _ = try await account(bob, "bob")
            try await registry.storage.scopes.addScopeOwner("mona", account: "bob", at: clock.now)
            // Under the passkey policy, changing it needs a passkey step-up.
            let options = try await mona.send(.post, "/api/v1/session/webauthn/options", json: [:])
            #expect(try await mona.send(.post, "/api/v1/session/webauthn", json: try passkey.assert(options: options.json)).status == .ok)
            let again = try await mona.send(.put, "/api/v1/packages/mona/pkg/policy", json: body)
            #expect(again.status == .conflict)
            #expect(again.json["ownersWithoutPasskey"] as? [String] == ["bob"])
            #expect(again.problemDetail?.contains("bob") == true)
        }
    }

    /// Sets `publishing: approval` (and the given second factor) for mona.pkg.
    func requireApproval(_ mona: Browser, secondFactor: String = "any") async throws {
        let set = try await mona.send(.put, "/api/v1/packages/mona/pkg/policy", json: ["secondFactor": secondFactor, "publishing": "approval"])
        #expect(set.status == .ok, "\(set.text)")
    }

    /// Publishes `version` with the token and expects it staged; returns the status path.
    func stage(_ client: some TestClientProtocol, _ token: String, _ version: String) async throws -> String {
        let response = try await client.publish("/mona/pkg/\(version)", PublishBody(archive: try Archives.package(root: "mona.pkg")), token: token)
        #expect(response.status == .accepted, "\(response.text)")
        #expect(response.headers[HTTPField.Name("Retry-After")!] == "60")
        #expect(response.headers[HTTPField.Name("Content-Version")!] == "1")
        let location = try #require(response.headers[.location])
        #expect(location.hasPrefix("https://registry.test/api/v1/packages/mona/pkg/staged/"))
        return String(location.dropFirst("https://registry.test".count))
    }

    @Test func aStagedReleaseIsInvisibleUntilAnOwnerApprovesIt() async throws {
        let registry = try await registry()
        try await registry.test { client async throws in
            let mona = Browser(client)
            let (totp, token) = try await published(client, mona)
            try await requireApproval(mona)
            let status = try await stage(client, token, "1.1.0")

            // Invisible to consumers.
            #expect(try await client.execute(uri: "/mona/pkg/1.1.0", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/mona/pkg/1.1.0.zip", method: .get).status == .notFound)
            let list = try await client.execute(uri: "/mona/pkg", method: .get)
            #expect((list.json["releases"] as? [String: Any])?.keys.sorted() == ["1.0.0"])
            // The status URL waits; publishing the version again is a conflict pointing at it.
            let waiting = try await client.execute(uri: status, method: .get)
            #expect(waiting.status == .accepted)
            #expect(waiting.headers[HTTPField.Name("Retry-After")!] == "60")
            let again = try await client.publish("/mona/pkg/1.1.0", PublishBody(archive: try Archives.package(root: "mona.pkg")), token: token)
            #expect(again.status == .conflict)
            #expect(again.headers[.location] == "https://registry.test" + status)
            // Owners see it on the package page; anonymous callers don't.
            let page = try await mona.send(.get, "/api/v1/packages/mona/pkg")
            let staged = try #require(page.json["staged"] as? [[String: Any]])
            #expect(staged.map { $0["version"] as? String } == ["1.1.0"])
            #expect(staged.first?["id"] as? String == status.split(separator: "/").last.map(String.init))
            #expect(try await Browser(client).send(.get, "/api/v1/packages/mona/pkg").json["staged"] == nil)

            // Anonymous, another account, a stale second factor: refused.
            #expect(try await Browser(client).send(.post, status + "/approve").status == .unauthorized)
            let bob = Browser(client)
            _ = try await account(bob, "bob")
            #expect(try await bob.send(.post, status + "/approve").status == .forbidden)
            clock.advance(11 * 60)
            let stale = try await mona.send(.post, status + "/approve")
            #expect(stale.status == .forbidden)
            #expect(stale.json["type"] as? String == "https://bulwark.dev/problems/step-up-required")
            #expect(try await client.execute(uri: status, method: .get).status == .accepted)

            try await stepUp(mona, totp)
            let approved = try await mona.send(.post, status + "/approve")
            #expect(approved.status == .ok, "\(approved.text)")
            #expect(approved.json["url"] as? String == "https://registry.test/mona/pkg/1.1.0")
            #expect(try await mona.send(.post, status + "/approve").status == .conflict)
            #expect(try await mona.send(.post, status + "/reject").status == .conflict)

            let moved = try await client.execute(uri: status, method: .get)
            #expect(moved.status == .movedPermanently)
            #expect(moved.headers[.location] == "https://registry.test/mona/pkg/1.1.0")
            #expect(try await client.execute(uri: "/mona/pkg/1.1.0", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/mona/pkg/1.1.0.zip", method: .get).status == .ok)
            let listed = try await client.execute(uri: "/mona/pkg", method: .get)
            #expect((listed.json["releases"] as? [String: Any])?.keys.sorted() == ["1.0.0", "1.1.0"])
            let events = try await registry.storage.security.events(account: "mona", limit: 50)
            #expect(events.contains { $0.kind == .releaseApproved && $0.detail.contains("1.1.0") })
        }
    }

    @Test func aRejectedOrExpiredStagedReleaseIsGone() async throws {
        let registry = try await registry()
        try await registry.test { client async throws in
            let mona = Browser(client)
            let (totp, token) = try await published(client, mona)
            try await requireApproval(mona)
            let first = try await stage(client, token, "1.1.0")
            let rejected = try await mona.send(.post, first + "/reject")
            #expect(rejected.status == .ok, "\(rejected.text)")
            let gone = try await client.execute(uri: first, method: .get)
            #expect(gone.status == .gone)
            #expect(gone.problemDetail?.contains("rejected") == true)
            #expect(try await client.execute(uri: "/mona/pkg/1.1.0", method: .get).status == .notFound)
            let events = try await registry.storage.security.events(account: "mona", limit: 50)
            #expect(events.contains { $0.kind == .releaseRejected })

            // A rejected version can be staged again; this one is left to expire.
            let second = try await stage(client, token, "1.1.0")
            #expect(second != first)
            clock.advance(7 * 86_400 + 1)
            let expired = try await client.execute(uri: second, method: .get)
            #expect(expired.status == .gone)
            #expect(expired.problemDetail?.contains("expired") == true)
            _ = try await mona.send(.post, "/api/v1/session", json: ["username": "mona", "password": "correct horse battery"])
            try await stepUp(mona, totp)
            #expect(try await mona.send(.post, second + "/approve").status == .gone)
            #expect(try await client.execute(uri: "/mona/pkg/1.1.0", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/api/v1/packages/mona/pkg/staged/unknown", method: .get).status == .notFound)
        }
    }

    /// A rejected staged release's archive leaves `DATA-DIR/blobs`; an approved one's stays, and
    /// so do bytes a release shares with a rejected staged release.
    @Test func aRejectedStagedReleasesArchiveIsRemovedFromTheBlobs() async throws {
        let registry = try await registry()
        try await registry.test { client async throws in
            let mona = Browser(client)
            let (totp, token) = try await published(client, mona)
            try await requireApproval(mona)
            /// Stages `version` with an archive of its own (or 1.0.0's bytes); the status path and the archive's file.
            func stageDistinct(_ version: String, sameBytesAs original: String? = nil) async throws -> (String, URL) {
                let id = try PackageIdentifier("mona.pkg")
                let archive: [UInt8]
                if let original {
                    let release = try #require(try await registry.storage.releases.release(id, version: try SemanticVersion(original)))
                    archive = Array(try await registry.storage.blobs.open(checksum: release.checksum).collect(upTo: 1 << 20).readableBytesView)
                } else {
                    archive = try Archives.package(root: "mona.pkg", files: [
                        "Package.swift": "// swift-tools-version:5.9\nimport PackageDescription\nlet package = Package(name: \"Pkg\")\n",
                        "Sources/Pkg/Pkg.swift": "public let version = \"\(version)\"\n",
                    ])
                }
                let response = try await client.publish("/mona/pkg/\(version)", PublishBody(archive: archive), token: token)
                #expect(response.status == .accepted, "\(response.text)")
                let status = String(try #require(response.headers[.location]).dropFirst("https://registry.test".count))
                let stagedID = String(try #require(status.split(separator: "/").last))
                let staged = try #require(try await registry.storage.policies.staged(id: stagedID))
                let file = registry.directory.appendingPathComponent("blobs").appendingPathComponent(BlobChecksum.relativePath(staged.release.checksum))
                #expect(FileManager.default.fileExists(atPath: file.path), "the staged archive is stored at \(file.path)")
                return (status, file)
            }
            let (rejectedStatus, rejectedFile) = try await stageDistinct("1.1.0")
            let (approvedStatus, approvedFile) = try await stageDistinct("1.2.0")
            let (sharedStatus, sharedFile) = try await stageDistinct("1.3.0", sameBytesAs: "1.0.0")
            #expect(rejectedFile != approvedFile)
            // Another archive for a version already waiting: 409, and its bytes are not kept.
            let refusedArchive = try Archives.package(root: "mona.pkg", files: [
                "Package.swift": "// swift-tools-version:5.9\nimport PackageDescription\nlet package = Package(name: \"Pkg\")\n",
                "Sources/Pkg/Pkg.swift": "public let refused = true\n",
            ])
            let refused = try await client.publish("/mona/pkg/1.1.0", PublishBody(archive: refusedArchive), token: token)
            #expect(refused.status == .conflict)
            #expect(try await !registry.storage.blobs.exists(checksum: sha256Hex(refusedArchive)), "a refused publish's archive must not stay")

            #expect(try await mona.send(.post, rejectedStatus + "/reject").status == .ok)
            #expect(!FileManager.default.fileExists(atPath: rejectedFile.path), "a rejected release's archive must be removed")
            #expect(try await mona.send(.post, sharedStatus + "/reject").status == .ok)
            #expect(FileManager.default.fileExists(atPath: sharedFile.path), "1.0.0 still uses these bytes")
            #expect(try await client.execute(uri: "/mona/pkg/1.0.0.zip", method: .get).status == .ok)

            try await stepUp(mona, totp)
            #expect(try await mona.send(.post, approvedStatus + "/approve").status == .ok)
            #expect(FileManager.default.fileExists(atPath: approvedFile.path))
            let download = try await client.execute(uri: "/mona/pkg/1.2.0.zip", method: .get)
            #expect(download.status == .ok)
            #expect(Data(download.body.readableBytesView) == (try Data(contentsOf: approvedFile)))
        }
    }

    @Test func underAPasskeyPolicyApprovalNeedsAPasskeyAssertion() async throws {
        let registry = try await registry()
        try await registry.test { client async throws in
            let mona = Browser(client)
            let (_, token) = try await published(client, mona)
            let passkey = try await registerPasskey(mona)
            try await requireApproval(mona, secondFactor: "passkey")
            let status = try await stage(client, token, "2.0.0")

            let bare = try await mona.send(.post, status + "/approve")
            #expect(bare.status == .forbidden)
            #expect(bare.json["type"] as? String == "https://bulwark.dev/problems/passkey-required")
            #expect(try await client.execute(uri: status, method: .get).status == .accepted)

            let options = try await mona.send(.post, "/api/v1/session/webauthn/options", json: [:])
            let approved = try await mona.send(.post, status + "/approve", json: ["credential": try passkey.assert(options: options.json)])
            #expect(approved.status == .ok, "\(approved.text)")
            #expect(try await client.execute(uri: status, method: .get).status == .movedPermanently)
            #expect(try await client.execute(uri: "/mona/pkg/2.0.0", method: .get).status == .ok)
            let events = try await registry.storage.security.events(account: "mona", limit: 50)
            #expect(events.contains { $0.kind == .releaseApproved && $0.detail.contains("passkey 'Laptop'") })
        }
    }
}
