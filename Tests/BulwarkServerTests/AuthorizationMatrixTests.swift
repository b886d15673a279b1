import BulwarkAuth
import BulwarkCore
import BulwarkServer
import BulwarkStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Every package endpoint × every kind of caller, with the status each must get: allowed calls
/// succeed and denied ones are refused, checked both ways on the same set-up.
@Suite struct AuthorizationMatrixTests {
    enum Actor: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case anonymous
        /// mona's publish token for `mona.*`, and no session.
        case token
        /// mona's token for `mona.other` only.
        case tokenForAnotherPackage
        case expiredToken
        case revokedToken
        /// bob's (a maintainer's) token for `mona.pkg`.
        case maintainerToken
        /// carol: signed in, no role on the package.
        case otherAccount
        /// bob, with a fresh second factor.
        case maintainer
        /// mona (the owner) whose second factor is older than the step-up window.
        case ownerStale
        case ownerFresh

        var testDescription: String { rawValue }
        var isToken: Bool { [.token, .tokenForAnotherPackage, .expiredToken, .revokedToken, .maintainerToken].contains(self) }
    }

    enum Endpoint: String, CaseIterable, Sendable {
        case packagePage, securityPosture, stagedStatus, listInvitations, approve, reject, invite, removeMaintainer, setPolicy
        case acceptInvitation, declineInvitation, publish
    }

    /// The expected status per endpoint, in `Actor.allCases` order.
    static let expected: [Endpoint: [Int]] = {
        let signedIn = [401, 401, 401, 401, 401, 401]  // anonymous and the five token callers
        return [
            .packagePage: Array(repeating: 200, count: 10),
            .securityPosture: Array(repeating: 200, count: 10),
            .stagedStatus: Array(repeating: 202, count: 10),
            .listInvitations: signedIn + [200, 200, 200, 200],
            .approve: signedIn + [403, 200, 403, 200],
            .reject: signedIn + [403, 200, 403, 200],
            .invite: signedIn + [403, 403, 403, 201],
            .removeMaintainer: signedIn + [403, 403, 403, 204],
            .setPolicy: signedIn + [403, 403, 403, 200],
            // The invitations are addressed to carol (the "other account").
            .acceptInvitation: signedIn + [200, 403, 403, 403],
            .declineInvitation: signedIn + [200, 403, 403, 403],
            .publish: [401, 202, 403, 401, 401, 202, 401, 401, 401, 401],
        ]
    }()

    /// mona owns mona.pkg and mona.other; bob and erin maintain mona.pkg; carol has invitations to
    /// both packages; the policy is `publishing: approval` with two staged releases.
    struct Setup {
        let mona: Person, bob: Person, carol: Person
        let tokens: [Actor: String]
        let stagedA: String, stagedB: String
        let invitationX: String, invitationY: String
    }

    func setUp(_ team: Team, _ client: some TestClientProtocol, _ registry: TestRegistry) async throws -> Setup {
        let (mona, monaToken) = try await team.monaWithPackage(client)
        #expect(try await client.publish("/mona/other/1.0.0", PublishBody(archive: try Archives.package(root: "mona.other")), token: monaToken).status == .created)
        let bob = try await team.signUp(client, "bob")
        let erin = try await team.signUp(client, "erin")
        let carol = try await team.signUp(client, "carol")
        try await registry.storage.accounts.createAccount(Account(name: "dave", email: "dave@example.com", passwordHash: nil, createdAt: team.clock.now))
        try await team.join(mona, bob)
        try await team.join(mona, erin)
        let otherToken = try await team.token(mona, ["mona.other"])
        let bobToken = try await team.token(bob, ["mona.pkg"])
        try await team.stepUp(mona)
        let revokable = try await mona.send(.post, "/api/v1/tokens", json: ["scopes": ["publish"], "packages": ["mona.*"]])
        #expect(try await mona.send(.delete, "/api/v1/tokens/\(try #require(revokable.json["id"] as? String))").status == .noContent)
        let minted = APIToken.mint()
        try await registry.storage.tokens.insertToken(TokenRecord(
            id: "expired", hash: minted.hash, account: "mona", permissions: [.publish], packages: [try PackagePattern("mona.*")],
            createdAt: team.clock.now.addingTimeInterval(-7200), expiresAt: team.clock.now.addingTimeInterval(-1)
        ))
        #expect(try await mona.send(.put, "/api/v1/packages/mona/pkg/policy", json: ["secondFactor": "any", "publishing": "approval"]).status == .ok)
        func stage(_ version: String) async throws -> String {
            let response = try await team.publish(client, version, monaToken)
            #expect(response.status == .accepted)
            return String(try #require(response.headers[.location]).dropFirst("https://registry.test".count))
        }
        return Setup(
            mona: mona, bob: bob, carol: carol,
            tokens: [
                .token: monaToken, .tokenForAnotherPackage: otherToken, .expiredToken: minted.token,
                .revokedToken: try #require(revokable.json["token"] as? String), .maintainerToken: bobToken,
            ],
            stagedA: try await stage("1.1.0"), stagedB: try await stage("1.2.0"),
            invitationX: try await team.invite(mona, carol), invitationY: try await team.invite(mona, carol, package: "mona/other")
        )
    }

    @Test(arguments: Actor.allCases)
    func everyPackageEndpointAnswersEachCallerAsExpected(actor: Actor) async throws {
        let team = Team()
        let registry = try await team.registry()
        try await registry.test { client async throws in
            let setup = try await setUp(team, client, registry)
            let caller: Person?
            switch actor {
            case .otherAccount: caller = setup.carol
            case .maintainer:
                try await team.stepUp(setup.bob)
                caller = setup.bob
            case .ownerStale:
                team.clock.advance(11 * 60)
                caller = setup.mona
            case .ownerFresh:
                try await team.stepUp(setup.mona)
                caller = setup.mona
            default: caller = nil
            }
            let column = Actor.allCases.firstIndex(of: actor)!

            func call(_ method: HTTPRequest.Method, _ uri: String, json: [String: Any]? = nil) async throws -> TestResponse {
                if let caller { return try await caller.send(method, uri, json: json) }
                var headers: HTTPFields = [:]
                if let token = setup.tokens[actor] { headers[.authorization] = "Bearer \(token)" }
                var body: ByteBuffer?
                if let json {
                    headers[.contentType] = "application/json"
                    body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
                }
                return try await client.execute(uri: uri, method: method, headers: headers, body: body)
            }

            let package = "/api/v1/packages/mona/pkg"
            // Read-only endpoints first, then changes ordered so that none affects a later check
            // (carol accepts her invitations last: it makes her a maintainer).
            for endpoint in Endpoint.allCases {
                let response: TestResponse
                switch endpoint {
                case .packagePage: response = try await call(.get, package)
                case .securityPosture: response = try await call(.get, package + "/security")
                case .stagedStatus: response = try await call(.get, setup.stagedA)
                case .listInvitations: response = try await call(.get, "/api/v1/invitations")
                case .approve: response = try await call(.post, setup.stagedA + "/approve")
                case .reject: response = try await call(.post, setup.stagedB + "/reject")
                case .invite: response = try await call(.post, package + "/maintainers", json: ["username": "dave"])
                case .removeMaintainer: response = try await call(.delete, package + "/maintainers/erin")
                case .setPolicy: response = try await call(.put, package + "/policy", json: ["secondFactor": "any", "publishing": "approval"])
                case .acceptInvitation: response = try await call(.post, "/api/v1/invitations/\(setup.invitationX)/accept")
                case .declineInvitation: response = try await call(.post, "/api/v1/invitations/\(setup.invitationY)/decline")
                case .publish:
                    var headers = PublishBody(archive: nil).headers(token: setup.tokens[actor])
                    if let caller, let cookie = caller.browser.cookie { headers[.cookie] = "bulwark_session=\(cookie)" }
                    response = try await client.execute(
                        uri: "/mona/pkg/2.0.0", method: .put, headers: headers,
                        body: ByteBuffer(bytes: PublishBody(archive: try Archives.package(root: "mona.pkg")).bytes)
                    )
                }
                let want = try #require(Self.expected[endpoint])[column]
                #expect(Int(response.status.code) == want, "\(endpoint.rawValue) as \(actor.rawValue): \(response.status.code) \(response.text)")
                if actor == .ownerStale, want == 403, [.approve, .reject, .invite, .removeMaintainer, .setPolicy].contains(endpoint) {
                    #expect(response.json["type"] as? String == "https://bulwark.dev/problems/step-up-required", "\(endpoint.rawValue)")
                }
                if endpoint == .packagePage {
                    // Staged releases and pending invitations are shown to members / owners only.
                    let member = [.maintainer, .ownerStale, .ownerFresh].contains(actor)
                    #expect((response.json["staged"] != nil) == member, "staged shown to \(actor.rawValue)")
                    #expect((response.json["invitations"] != nil) == [.ownerStale, .ownerFresh].contains(actor))
                }
            }
            try await checkStoredEffects(registry, actor)
        }
    }

    /// What the allowed calls changed, and that the refused ones changed nothing.
    func checkStoredEffects(_ registry: TestRegistry, _ actor: Actor) async throws {
        let pkg = try PackageIdentifier("mona.pkg")
        let members = try await registry.storage.maintainers.members(of: pkg).map(\.account)
        #expect(members.contains("erin") == (actor != .ownerFresh), "erin removed only by the fresh owner")
        #expect(members.contains("carol") == (actor == .otherAccount), "carol joins only by accepting herself")
        let invited = try await registry.storage.maintainers.pendingInvitations(of: pkg).map(\.invitee)
        #expect(invited.contains("dave") == (actor == .ownerFresh))
        #expect(try await registry.storage.policies.policy(of: pkg)?.publishing == .approval)
        let staged = try await registry.storage.policies.pendingStaged(of: pkg).map(\.release.version.description)
        let decides = [.maintainer, .ownerFresh].contains(actor)
        #expect(staged.contains("1.1.0") == !decides)
        #expect(staged.contains("1.2.0") == !decides)
        #expect(staged.contains("2.0.0") == [.token, .maintainerToken].contains(actor))
    }
}
