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

/// A person using the registry through the API: a browser session, an authenticator app and
/// (once registered) a passkey.
final class Person: @unchecked Sendable {
    let name: String
    let browser: Browser
    let totp: TOTP
    var passkey: SoftPasskey?

    init(name: String, browser: Browser, totp: TOTP) {
        self.name = name
        self.browser = browser
        self.totp = totp
    }

    @discardableResult
    func send(_ method: HTTPRequest.Method, _ uri: String, json: [String: Any]? = nil) async throws -> TestResponse {
        try await browser.send(method, uri, json: json)
    }
}

/// Accounts, scopes, tokens and packages set up through the API, on a registry with a hand-moved clock.
struct Team {
    let clock: TestClock

    init(clock: TestClock = TestClock()) { self.clock = clock }

    func registry(_ configure: @escaping (inout ServerConfiguration) -> Void = { _ in }) async throws -> TestRegistry {
        try await TestRegistry(configure: {
            $0.security.passwordCost = 4
            configure(&$0)
        }, now: { [clock] in clock.now })
    }

    /// Signs `name` up with an authenticator app as second factor (so the session is fresh).
    func signUp(_ client: some TestClientProtocol, _ name: String) async throws -> Person {
        let browser = Browser(client)
        let password = "correct horse battery"
        #expect(try await browser.send(.post, "/api/v1/accounts", json: ["username": name, "email": "\(name)@example.com", "password": password]).status == .created)
        _ = try await browser.send(.post, "/api/v1/session", json: ["username": name, "password": password])
        let start = try await browser.send(.post, "/api/v1/account/totp")
        let totp = TOTP(secret: try Base32.decode(try #require(start.json["secret"] as? String)))
        #expect(try await browser.send(.post, "/api/v1/account/totp/confirm", json: ["code": totp.code(at: clock.now)]).status == .ok)
        return Person(name: name, browser: browser, totp: totp)
    }

    /// A fresh authenticator-app step-up (at a new time step: codes are single use).
    func stepUp(_ person: Person) async throws {
        clock.advance(30)
        let response = try await person.send(.post, "/api/v1/session/totp", json: ["code": person.totp.code(at: clock.now)])
        #expect(response.status == .ok, "\(response.text)")
    }

    /// A fresh passkey step-up.
    func passkeyStepUp(_ person: Person) async throws {
        let passkey = try #require(person.passkey)
        let options = try await person.send(.post, "/api/v1/session/webauthn/options", json: [:])
        let response = try await person.send(.post, "/api/v1/session/webauthn", json: try passkey.assert(options: options.json))
        #expect(response.status == .ok, "\(response.text)")
    }

    func registerPasskey(_ person: Person) async throws {
        let options = try await person.send(.post, "/api/v1/account/passkeys/options")
        let passkey = SoftPasskey()
        let registered = try await person.send(.post, "/api/v1/account/passkeys", json: ["credential": passkey.register(options: options.json), "name": "Laptop"])
        #expect(registered.status == .created, "\(registered.text)")
        person.passkey = passkey
    }

    /// A publish token of `person` for `packages`, made through the API (with a fresh step-up).
    func token(_ person: Person, _ packages: [String]) async throws -> String {
        try await stepUp(person)
        let created = try await person.send(.post, "/api/v1/tokens", json: ["scopes": ["publish"], "packages": packages, "expiresInDays": 30])
        #expect(created.status == .created, "\(created.text)")
        return try #require(created.json["token"] as? String)
    }

    /// `mona` owns the scope `mona` and has published `mona.pkg` 1.0.0 with the returned token (`mona.*`).
    func monaWithPackage(_ client: some TestClientProtocol) async throws -> (Person, String) {
        let mona = try await signUp(client, "mona")
        #expect(try await mona.send(.post, "/api/v1/scopes", json: ["name": "mona"]).status == .created)
        let token = try await token(mona, ["mona.*"])
        #expect(try await client.publish("/mona/pkg/1.0.0", PublishBody(archive: try Archives.package(root: "mona.pkg")), token: token).status == .created)
        return (mona, token)
    }

    /// Invites `person` to mona.pkg as `role` (the owner steps up first) and returns the invitation id.
    func invite(_ owner: Person, _ person: Person, role: String = "maintainer", package: String = "mona/pkg") async throws -> String {
        try await stepUp(owner)
        let invited = try await owner.send(.post, "/api/v1/packages/\(package)/maintainers", json: ["username": person.name, "role": role])
        #expect(invited.status == .created, "\(invited.text)")
        return try #require(invited.json["id"] as? String)
    }

    /// Invites and accepts.
    func join(_ owner: Person, _ person: Person, role: String = "maintainer") async throws {
        let id = try await invite(owner, person, role: role)
        let accepted = try await person.send(.post, "/api/v1/invitations/\(id)/accept")
        #expect(accepted.status == .ok, "\(accepted.text)")
    }

    /// Publishes `version` of mona.pkg with `token`.
    func publish(_ client: some TestClientProtocol, _ version: String, _ token: String) async throws -> TestResponse {
        try await client.publish("/mona/pkg/\(version)", PublishBody(archive: try Archives.package(root: "mona.pkg")), token: token)
    }
}

@Suite struct MaintainerAPITests {
    let team = Team()
    var clock: TestClock { team.clock }

    @Test func anOwnerInvitesAndTheInviteeAccepts() async throws {
        let registry = try await team.registry()
        try await registry.test { client async throws in
            let (mona, _) = try await team.monaWithPackage(client)
            let bob = try await team.signUp(client, "bob")
            let carol = try await team.signUp(client, "carol")
            let path = "/api/v1/packages/mona/pkg/maintainers"

            // Denials first: nothing is stored.
            #expect(try await Browser(client).send(.post, path, json: ["username": "bob"]).status == .unauthorized)
            #expect(try await client.execute(uri: path, method: .post, headers: registry.bearer).status == .unauthorized)
            #expect(try await carol.send(.post, path, json: ["username": "bob"]).status == .forbidden)
            #expect(try await mona.send(.post, "/api/v1/packages/mona/nope/maintainers", json: ["username": "bob"]).status == .notFound)
            clock.advance(11 * 60)
            let stale = try await mona.send(.post, path, json: ["username": "bob"])
            #expect(stale.status == .forbidden)
            #expect(stale.json["type"] as? String == "https://bulwark.dev/problems/step-up-required")
            #expect(try await registry.storage.maintainers.pendingInvitations(for: "bob").isEmpty)

            try await team.stepUp(mona)
            let unknown = try await mona.send(.post, path, json: ["username": "nobody"])
            #expect(unknown.status == .unprocessableContent)
            #expect(unknown.problemDetail?.contains("no account named 'nobody'") == true)
            #expect(try await mona.send(.post, path, json: ["username": "bob", "role": "admin"]).status == .unprocessableContent)
            #expect(try await mona.send(.post, path, json: ["user": "bob"]).status == .badRequest)
            #expect(try await mona.send(.post, path, json: ["username": "mona"]).status == .conflict)
            let invited = try await mona.send(.post, path, json: ["username": "BOB"])
            #expect(invited.status == .created, "\(invited.text)")
            #expect(invited.json["role"] as? String == "maintainer")
            #expect(invited.json["username"] as? String == "bob")
            let id = try #require(invited.json["id"] as? String)
            #expect(try await mona.send(.post, path, json: ["username": "bob"]).status == .conflict)

            // Only the invitee sees and answers it.
            let listed = try await bob.send(.get, "/api/v1/invitations")
            #expect((listed.json["invitations"] as? [[String: Any]])?.map { $0["id"] as? String } == [id])
            #expect((listed.json["invitations"] as? [[String: Any]])?.first?["package"] as? String == "mona.pkg")
            #expect((try await carol.send(.get, "/api/v1/invitations").json["invitations"] as? [Any])?.isEmpty == true)
            #expect(try await Browser(client).send(.get, "/api/v1/invitations").status == .unauthorized)
            #expect(try await carol.send(.post, "/api/v1/invitations/\(id)/accept").status == .forbidden)
            #expect(try await mona.send(.post, "/api/v1/invitations/\(id)/accept").status == .forbidden)
            #expect(try await Browser(client).send(.post, "/api/v1/invitations/\(id)/accept").status == .unauthorized)
            #expect(try await bob.send(.post, "/api/v1/invitations/unknown/accept").status == .notFound)
            let page = try await mona.send(.get, "/api/v1/packages/mona/pkg")
            #expect((page.json["invitations"] as? [[String: Any]])?.map { $0["username"] as? String } == ["bob"])
            #expect(try await Browser(client).send(.get, "/api/v1/packages/mona/pkg").json["invitations"] == nil)

            let accepted = try await bob.send(.post, "/api/v1/invitations/\(id)/accept")
            #expect(accepted.status == .ok, "\(accepted.text)")
            #expect(accepted.json["role"] as? String == "maintainer")
            #expect(try await bob.send(.post, "/api/v1/invitations/\(id)/accept").status == .conflict)
            #expect(try await bob.send(.post, "/api/v1/invitations/\(id)/decline").status == .conflict)
            #expect((try await bob.send(.get, "/api/v1/invitations").json["invitations"] as? [Any])?.isEmpty == true)

            let after = try await Browser(client).send(.get, "/api/v1/packages/mona/pkg")
            let maintainers = try #require(after.json["maintainers"] as? [[String: String]])
            #expect(maintainers == [
                ["username": "mona", "role": "owner", "via": "scope"], ["username": "bob", "role": "maintainer", "via": "invitation"],
            ])
            #expect(after.json["owners"] as? [String] == ["mona"])
            #expect(try await bob.send(.get, "/api/v1/packages/mona/pkg").json["role"] as? String == "maintainer")
            // A maintainer can't manage maintainers.
            try await team.stepUp(bob)
            #expect(try await bob.send(.post, path, json: ["username": "carol"]).status == .forbidden)

            let monaEvents = try await registry.storage.security.events(account: "mona", limit: 50)
            #expect(monaEvents.contains { $0.kind == .maintainerInvited && $0.detail.contains("bob to mona.pkg as maintainer") })
            #expect(monaEvents.contains { $0.kind == .invitationAccepted && $0.detail.contains("bob is now maintainer of mona.pkg") })
            let bobEvents = try await registry.storage.security.events(account: "bob", limit: 50)
            #expect(bobEvents.contains { $0.kind == .maintainerInvited && $0.detail.contains("by mona") })
            #expect(bobEvents.contains { $0.kind == .invitationAccepted && $0.detail.contains("mona.pkg as maintainer") })
        }
    }

    @Test func aMaintainerPublishesWithTheirOwnTokenUntilRemoved() async throws {
        let registry = try await team.registry()
        try await registry.test { client async throws in
            let (mona, _) = try await team.monaWithPackage(client)
            let bob = try await team.signUp(client, "bob")
            // Before joining, bob can't make a token for mona.pkg.
            try await team.stepUp(bob)
            #expect(try await bob.send(.post, "/api/v1/tokens", json: ["scopes": ["publish"], "packages": ["mona.pkg"]]).status == .forbidden)
            try await team.join(mona, bob)
            #expect(try await bob.send(.post, "/api/v1/tokens", json: ["scopes": ["publish"], "packages": ["mona.*"]]).status == .forbidden)
            let token = try await team.token(bob, ["mona.pkg"])
            #expect(try await team.publish(client, "1.1.0", token).status == .created)
            // The policy stays with owners.
            try await team.stepUp(bob)
            #expect(try await bob.send(.put, "/api/v1/packages/mona/pkg/policy", json: ["secondFactor": "any", "publishing": "approval"]).status == .forbidden)

            // Removing: owners only, with a fresh second factor; then bob's token no longer publishes.
            #expect(try await Browser(client).send(.delete, "/api/v1/packages/mona/pkg/maintainers/bob").status == .unauthorized)
            clock.advance(11 * 60)
            #expect(try await mona.send(.delete, "/api/v1/packages/mona/pkg/maintainers/bob").status == .forbidden)
            #expect(try await registry.storage.maintainers.members(of: try PackageIdentifier("mona.pkg")).count == 1)
            try await team.stepUp(mona)
            #expect(try await mona.send(.delete, "/api/v1/packages/mona/pkg/maintainers/bob").status == .noContent)
            #expect(try await mona.send(.delete, "/api/v1/packages/mona/pkg/maintainers/bob").status == .notFound)
            let refused = try await team.publish(client, "1.2.0", token)
            #expect(refused.status == .forbidden)
            #expect(refused.problemDetail?.contains("don't maintain mona.pkg") == true)
            #expect(try await registry.storage.maintainers.members(of: try PackageIdentifier("mona.pkg")).isEmpty)
            #expect(try await registry.storage.security.events(account: "bob", limit: 50).contains { $0.kind == .maintainerRemoved && $0.detail.contains("by mona") })
            #expect(try await registry.storage.security.events(account: "mona", limit: 50).contains { $0.kind == .maintainerRemoved })
        }
    }

    @Test func invitationsExpireAndCanBeDeclinedOrRevoked() async throws {
        // Shorter than the 30-minute idle timeout, so sessions survive the wait.
        let registry = try await team.registry { $0.security.invitationLifetime = 1200 }
        try await registry.test { client async throws in
            let (mona, _) = try await team.monaWithPackage(client)
            let bob = try await team.signUp(client, "bob")
            let first = try await team.invite(mona, bob)
            clock.advance(1200)
            try await team.stepUp(bob)
            let expired = try await bob.send(.post, "/api/v1/invitations/\(first)/accept")
            #expect(expired.status == .gone)
            #expect(expired.problemDetail?.contains("expired") == true)
            #expect((try await bob.send(.get, "/api/v1/invitations").json["invitations"] as? [Any])?.isEmpty == true)
            #expect(try await registry.storage.maintainers.members(of: try PackageIdentifier("mona.pkg")).isEmpty)

            // A new invitation after expiry; declined, it can't be accepted.
            try await team.stepUp(mona)
            let second = try await team.invite(mona, bob)
            let declined = try await bob.send(.post, "/api/v1/invitations/\(second)/decline")
            #expect(declined.status == .ok)
            #expect(try await bob.send(.post, "/api/v1/invitations/\(second)/accept").status == .conflict)
            #expect(try await registry.storage.security.events(account: "mona", limit: 50).contains { $0.kind == .invitationDeclined })

            // An owner revokes a pending invitation with DELETE.
            let third = try await team.invite(mona, bob)
            #expect(try await mona.send(.delete, "/api/v1/packages/mona/pkg/maintainers/bob").status == .noContent)
            #expect(try await bob.send(.post, "/api/v1/invitations/\(third)/accept").status == .conflict)
            #expect(try await registry.storage.maintainers.members(of: try PackageIdentifier("mona.pkg")).isEmpty)
        }
    }

    @Test func theDefaultInvitationLifetimeIsSevenDays() async throws {
        let registry = try await team.registry()
        #expect(registry.configuration.security.invitationLifetime == 7 * 86_400)
        try await registry.test { client async throws in
            let (mona, _) = try await team.monaWithPackage(client)
            let bob = try await team.signUp(client, "bob")
            let id = try await team.invite(mona, bob)
            let stored = try #require(try await registry.storage.maintainers.invitation(id: id))
            #expect(stored.expiresAt.timeIntervalSince(stored.createdAt) == 7 * 86_400)
        }
    }

    @Test func ownershipIsTransferredByInvitingAnOwnerWhoThenStaysTheLastOne() async throws {
        let registry = try await team.registry()
        try await registry.test { client async throws in
            // A package without scope owners (imported by the operator), owned by bob alone.
            let bob = try await team.signUp(client, "bob")
            let carol = try await team.signUp(client, "carol")
            let id = try PackageIdentifier("acme.tool")
            var release = try PublishedFixture.release(id)
            release.publishedAt = clock.now
            try await registry.storage.releases.insert(release)
            try await registry.storage.maintainers.setMember(PackageMember(account: "bob", role: .owner, addedAt: clock.now), of: id)

            try await team.stepUp(bob)
            let last = try await bob.send(.delete, "/api/v1/packages/acme/tool/maintainers/bob")
            #expect(last.status == .conflict)
            #expect(last.problemDetail?.contains("last owner") == true)

            let invitation = try await team.invite(bob, carol, role: "owner", package: "acme/tool")
            #expect(try await carol.send(.post, "/api/v1/invitations/\(invitation)/accept").json["role"] as? String == "owner")
            #expect(try await registry.storage.security.events(account: "carol", limit: 50).contains { $0.kind == .ownershipTransferred })
            #expect(try await registry.storage.security.events(account: "bob", limit: 50).contains {
                $0.kind == .ownershipTransferred && $0.detail.contains("carol is now owner of acme.tool")
            })
            // The old owner leaves; now carol is the last owner.
            try await team.stepUp(bob)
            #expect(try await bob.send(.delete, "/api/v1/packages/acme/tool/maintainers/bob").status == .noContent)
            try await team.stepUp(carol)
            #expect(try await carol.send(.delete, "/api/v1/packages/acme/tool/maintainers/carol").status == .conflict)
            let page = try await Browser(client).send(.get, "/api/v1/packages/acme/tool")
            #expect(page.json["owners"] as? [String] == ["carol"])
            #expect(try await team.token(carol, ["acme.tool"]).hasPrefix("bwk_"))
        }
    }

    @Test func scopeOwnersOwnEveryPackageInTheScopeAndAreNotRemovedHere() async throws {
        let registry = try await team.registry()
        try await registry.test { client async throws in
            let (mona, _) = try await team.monaWithPackage(client)
            let bob = try await team.signUp(client, "bob")
            try await team.join(mona, bob, role: "owner")
            try await team.stepUp(bob)
            let refused = try await bob.send(.delete, "/api/v1/packages/mona/pkg/maintainers/mona")
            #expect(refused.status == .conflict)
            #expect(refused.problemDetail?.contains("owns the scope 'mona'") == true)
            // An invited owner manages maintainers and may leave.
            let carol = try await team.signUp(client, "carol")
            try await team.join(bob, carol)
            try await team.stepUp(bob)
            #expect(try await bob.send(.delete, "/api/v1/packages/mona/pkg/maintainers/bob").status == .noContent)
            // A maintainer may leave too, but not remove others.
            try await team.join(mona, bob)
            try await team.stepUp(bob)
            #expect(try await bob.send(.delete, "/api/v1/packages/mona/pkg/maintainers/carol").status == .forbidden)
            try await team.stepUp(carol)
            #expect(try await carol.send(.delete, "/api/v1/packages/mona/pkg/maintainers/carol").status == .noContent)
            let page = try await Browser(client).send(.get, "/api/v1/packages/mona/pkg")
            #expect((page.json["maintainers"] as? [[String: String]])?.map { $0["username"] } == ["mona", "bob"])
        }
    }

    @Test func maintainersApproveAndRejectStagedReleases() async throws {
        let registry = try await team.registry()
        try await registry.test { client async throws in
            let (mona, token) = try await team.monaWithPackage(client)
            let bob = try await team.signUp(client, "bob")
            let carol = try await team.signUp(client, "carol")
            try await team.join(mona, bob)
            try await team.stepUp(mona)
            #expect(try await mona.send(.put, "/api/v1/packages/mona/pkg/policy", json: ["secondFactor": "any", "publishing": "approval"]).status == .ok)
            let staged = try await team.publish(client, "1.1.0", token)
            #expect(staged.status == .accepted)
            let status = String(try #require(staged.headers[.location]).dropFirst("https://registry.test".count))
            #expect((try await bob.send(.get, "/api/v1/packages/mona/pkg").json["staged"] as? [Any])?.count == 1)
            #expect(try await carol.send(.get, "/api/v1/packages/mona/pkg").json["staged"] == nil)
            try await team.stepUp(carol)
            #expect(try await carol.send(.post, status + "/approve").status == .forbidden)
            try await team.stepUp(bob)
            let approved = try await bob.send(.post, status + "/approve")
            #expect(approved.status == .ok, "\(approved.text)")
            #expect(try await client.execute(uri: "/mona/pkg/1.1.0", method: .get).status == .ok)
            let second = try await team.publish(client, "1.2.0", token)
            let path = String(try #require(second.headers[.location]).dropFirst("https://registry.test".count))
            #expect(try await bob.send(.post, path + "/reject").status == .ok)
        }
    }
}

/// A release to insert directly (packages the operator imported).
enum PublishedFixture {
    static func release(_ id: PackageIdentifier) throws -> Release {
        Release(
            package: id, version: try SemanticVersion("1.0.0"), checksum: String(repeating: "ab", count: 32), archiveSize: 1,
            metadata: nil, archiveSignature: nil, metadataSignature: nil,
            manifests: [ReleaseManifest(filename: "Package.swift", toolsVersion: "5.9", bytes: Array("// swift-tools-version:5.9\n".utf8))],
            repositoryURLs: [], publishedAt: Date(), publisher: "operator"
        )
    }
}

/// `secondFactor: passkey` (per package or as the registry-wide floor): only passkey step-ups count.
@Suite struct PasskeyPolicyTests {
    let team = Team()
    var clock: TestClock { team.clock }

    @Test func underAPasskeyPolicySensitiveActionsNeedAPasskeyStepUp() async throws {
        let registry = try await team.registry()
        try await registry.test { client async throws in
            let (mona, token) = try await team.monaWithPackage(client)
            try await team.registerPasskey(mona)
            try await team.stepUp(mona)
            let set = try await mona.send(.put, "/api/v1/packages/mona/pkg/policy", json: ["secondFactor": "passkey", "publishing": "approval"])
            #expect(set.status == .ok, "\(set.text)")
            let bob = try await team.signUp(client, "bob")
            let path = "/api/v1/packages/mona/pkg/maintainers"

            // An authenticator-app step-up doesn't count any more.
            try await team.stepUp(mona)
            let totpOnly = try await mona.send(.post, path, json: ["username": "bob"])
            #expect(totpOnly.status == .forbidden)
            #expect(totpOnly.json["type"] as? String == "https://bulwark.dev/problems/passkey-required")
            #expect(totpOnly.problemDetail?.contains("passkey") == true)
            let downgrade = try await mona.send(.put, "/api/v1/packages/mona/pkg/policy", json: ["secondFactor": "any", "publishing": "tokens"])
            #expect(downgrade.status == .forbidden)
            #expect(downgrade.json["type"] as? String == "https://bulwark.dev/problems/passkey-required")
            #expect(try await registry.storage.policies.policy(of: try PackageIdentifier("mona.pkg"))?.secondFactor == .passkey)
            // Nor can a TOTP session add a passkey of its own to an account that has one.
            let options = try await mona.send(.post, "/api/v1/account/passkeys/options")
            let extra = try await mona.send(.post, "/api/v1/account/passkeys", json: ["credential": SoftPasskey().register(options: options.json), "name": "Mallory's"])
            #expect(extra.status == .forbidden)
            #expect(try await registry.storage.security.passkeys(account: "mona").count == 1)

            // With a passkey: an invitee without one is refused, listing what is missing.
            try await team.passkeyStepUp(mona)
            let missing = try await mona.send(.post, path, json: ["username": "bob"])
            #expect(missing.status == .conflict)
            #expect(missing.json["type"] as? String == "https://bulwark.dev/problems/passkey-missing")
            #expect(missing.json["username"] as? String == "bob")
            #expect(missing.json["missing"] as? [String] == ["passkey"])
            #expect(missing.json["has"] as? [String] == ["totp"])
            #expect(try await registry.storage.maintainers.pendingInvitations(for: "bob").isEmpty)
            try await team.registerPasskey(bob)
            let invited = try await mona.send(.post, path, json: ["username": "bob"])
            #expect(invited.status == .created, "\(invited.text)")
            let id = try #require(invited.json["id"] as? String)
            #expect(try await bob.send(.post, "/api/v1/invitations/\(id)/accept").status == .ok)

            // A maintainer approves with a passkey step-up (no credential in the body).
            let staged = try await team.publish(client, "1.1.0", token)
            #expect(staged.status == .accepted)
            let status = String(try #require(staged.headers[.location]).dropFirst("https://registry.test".count))
            try await team.stepUp(bob)
            #expect(try await bob.send(.post, status + "/approve").json["type"] as? String == "https://bulwark.dev/problems/passkey-required")
            try await team.passkeyStepUp(bob)
            let approved = try await bob.send(.post, status + "/approve")
            #expect(approved.status == .ok, "\(approved.text)")
            #expect(try await registry.storage.security.events(account: "bob", limit: 50).contains {
                $0.kind == .releaseApproved && $0.detail.contains("passkey step-up")
            })

            // Removing a maintainer: a passkey too (mona's earlier passkey step-up has gone stale).
            clock.advance(11 * 60)
            try await team.stepUp(mona)
            let totpRemove = try await mona.send(.delete, path + "/bob")
            #expect(totpRemove.status == .forbidden, "\(totpRemove.text)")
            try await team.passkeyStepUp(mona)
            let removed = try await mona.send(.delete, path + "/bob")
            #expect(removed.status == .noContent, "\(removed.text)")
            let back = try await mona.send(.put, "/api/v1/packages/mona/pkg/policy", json: ["secondFactor": "any", "publishing": "tokens"])
            #expect(back.status == .ok)
        }
    }

    @Test func thePasskeyPolicyNeedsEveryMaintainerToHaveAPasskey() async throws {
        let registry = try await team.registry()
        try await registry.test { client async throws in
            let (mona, _) = try await team.monaWithPackage(client)
            try await team.registerPasskey(mona)
            let bob = try await team.signUp(client, "bob")
            try await team.join(mona, bob)
            try await team.stepUp(mona)
            let refused = try await mona.send(.put, "/api/v1/packages/mona/pkg/policy", json: ["secondFactor": "passkey", "publishing": "tokens"])
            #expect(refused.status == .conflict)
            #expect(refused.json["maintainersWithoutPasskey"] as? [String] == ["bob"])
            #expect(refused.json["ownersWithoutPasskey"] as? [String] == [])
            #expect((refused.json["withoutPasskey"] as? [[String: Any]])?.first?["has"] as? [String] == ["totp"])
            try await team.registerPasskey(bob)
            #expect(try await mona.send(.put, "/api/v1/packages/mona/pkg/policy", json: ["secondFactor": "passkey", "publishing": "tokens"]).status == .ok)
        }
    }

    @Test func theRegistryFloorRaisesEveryPackagesPolicy() async throws {
        let registry = try await team.registry { $0.security.minimumPolicy = PackagePolicy(secondFactor: .passkey, publishing: .approval) }
        try await registry.test { client async throws in
            let mona = try await team.signUp(client, "mona")
            #expect(try await mona.send(.post, "/api/v1/scopes", json: ["name": "mona"]).status == .created)
            let token = try await team.token(mona, ["mona.*"])
            // Without a passkey, no publishing.
            let refused = try await team.publish(client, "1.0.0", token)
            #expect(refused.status == .forbidden)
            #expect(refused.json["type"] as? String == "https://bulwark.dev/problems/passkey-required")
            #expect(refused.problemDetail?.contains("register a passkey") == true)
            try await team.registerPasskey(mona)
            // The floor's `approval` stages even a new package's first release.
            let staged = try await team.publish(client, "1.0.0", token)
            #expect(staged.status == .accepted, "\(staged.text)")
            let status = String(try #require(staged.headers[.location]).dropFirst("https://registry.test".count))
            try await team.stepUp(mona)
            #expect(try await mona.send(.post, status + "/approve").json["type"] as? String == "https://bulwark.dev/problems/passkey-required")
            try await team.passkeyStepUp(mona)
            #expect(try await mona.send(.post, status + "/approve").status == .ok)

            let page = try await Browser(client).send(.get, "/api/v1/packages/mona/pkg")
            #expect(page.json["policy"] as? [String: String] == ["secondFactor": "passkey", "publishing": "approval"])
            #expect(page.json["packagePolicy"] as? [String: String] == ["secondFactor": "any", "publishing": "tokens"])
            #expect(page.json["registryPolicy"] as? [String: String] == ["secondFactor": "passkey", "publishing": "approval"])
            let posture = try await Browser(client).send(.get, "/api/v1/packages/mona/pkg/security")
            #expect((posture.json["policy"] as? [String: Any])?["secondFactor"] as? String == "passkey")
            #expect((posture.json["policy"] as? [String: Any])?["publishing"] as? String == "approval")
            // An owner can't go below the floor: the stored policy changes, the effective one doesn't.
            let lower = try await mona.send(.put, "/api/v1/packages/mona/pkg/policy", json: ["secondFactor": "any", "publishing": "tokens"])
            #expect(lower.status == .ok)
            let second = try await team.publish(client, "1.1.0", token)
            #expect(second.status == .accepted)
            // Under the floor an invitee needs a passkey as well.
            _ = try await team.signUp(client, "bob")
            try await team.passkeyStepUp(mona)
            #expect(try await mona.send(.post, "/api/v1/packages/mona/pkg/maintainers", json: ["username": "bob"]).status == .conflict)
        }
    }
}
