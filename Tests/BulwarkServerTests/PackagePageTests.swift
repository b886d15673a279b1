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

/// `/packages/{scope}/{name}`: maintainers, policy, releases (yanked and deleted marked, with who
/// published each); Approve / Reject for the package's signed-in maintainers only.
@Suite struct PackagePageTests {
    let fixture = LifecycleFixture()

    /// The cast, plus: 1.0.0 yanked (with a reason that tries to inject HTML), 1.1.0 deleted, the
    /// policy `publishing: approval` and 2.0.0 staged by the publish token.
    func prepared(_ client: some TestClientProtocol, _ registry: TestRegistry) async throws -> (LifecycleCast, String) {
        let cast = try await fixture.cast(client, registry)
        let yanked = try await client.withToken(
            cast.yankToken, .post, "/api/v1/packages/mona/pkg/releases/1.0.0/yank", json: ["reason": "broken <script>alert(1)</script> build"]
        )
        #expect(yanked.status == .ok)
        #expect(try await cast.mona.send(.delete, "/api/v1/packages/mona/pkg/releases/1.1.0").status == .ok)
        #expect(try await cast.mona.send(.put, "/api/v1/packages/mona/pkg/policy", json: ["secondFactor": "any", "publishing": "approval"]).status == .ok)
        let staged = try await client.publish("/mona/pkg/2.0.0", PublishBody(archive: try Archives.package(root: "mona.pkg")), token: cast.publishToken)
        #expect(staged.status == .accepted)
        let stagedID = try #require(staged.headers[.location]?.split(separator: "/").last.map(String.init))
        return (cast, stagedID)
    }

    @Test func everyoneSeesMaintainersPolicyAndReleasesButOnlyMaintainersSeeTheButtons() async throws {
        let registry = try await fixture.registry()
        try await registry.test { client async throws in
            let (cast, stagedID) = try await prepared(client, registry)

            let anonymous = try await Browser(client).send(.get, "/packages/mona/pkg")
            #expect(anonymous.status == .ok)
            #expect(anonymous.headers[.contentType] == "text/html; charset=utf-8")
            #expect(anonymous.headers[HTTPField.Name("Content-Security-Policy")!] != nil)
            let html = anonymous.text
            #expect(html.contains("<span class=\"mono\">mona.pkg</span>"))
            #expect(html.contains("<td>mona</td><td>owner</td>"))
            #expect(html.contains("<td>mary</td><td>maintainer</td>"))
            #expect(html.contains(">approval</span>"))
            #expect(html.contains(">1.0.0</td>"))
            #expect(html.contains("yanked</span>"))
            #expect(html.contains("broken &lt;script&gt;alert(1)&lt;/script&gt; build"))
            #expect(!html.contains("<script>alert(1)"))
            #expect(html.contains("<del>1.1.0</del>"))
            #expect(html.contains("deleted</span>"))
            #expect(html.contains("with token \(cast.publishTokenID.prefix(8))"))
            // The staged version is invisible to the public, and there is nothing to click.
            #expect(!html.contains("2.0.0"))
            #expect(!html.contains("data-approve"))
            #expect(!html.contains("data-reject"))
            #expect(!html.contains("/static/package.js"))

            let other = try await cast.bob.send(.get, "/packages/mona/pkg")
            #expect(other.status == .ok)
            #expect(!other.text.contains("data-approve"))
            #expect(!other.text.contains("2.0.0"))

            for maintainer in [cast.mary, cast.mona] {
                let page = try await maintainer.send(.get, "/packages/MONA/PKG")
                #expect(page.status == .ok)
                #expect(page.text.contains("data-approve=\"\(stagedID)\""))
                #expect(page.text.contains("data-reject=\"\(stagedID)\""))
                #expect(page.text.contains(">2.0.0</td>"))
                #expect(page.text.contains("/static/package.js"))
                #expect(page.text.contains("id=\"step-up-totp\""))
            }

            // Approved through the API the buttons call: the page then lists 2.0.0 as a release.
            try await fixture.stepUp(cast.mary, cast.maryTOTP)
            #expect(try await cast.mary.send(.post, "/api/v1/packages/mona/pkg/staged/\(stagedID)/approve", json: [:]).status == .ok)
            let after = try await Browser(client).send(.get, "/packages/mona/pkg").text
            #expect(after.contains(">2.0.0</td>"))
            #expect(after.contains("approved by mary (authenticator app)"))
            #expect(!(try await cast.mary.send(.get, "/packages/mona/pkg").text.contains("data-approve")))
        }
    }

    @Test func onlyOwnersSeeThePolicyFormWithThePackagesOwnPolicySelected() async throws {
        let registry = try await fixture.registry()
        try await registry.test { client async throws in
            let (cast, _) = try await prepared(client, registry)

            let owner = try await cast.mona.send(.get, "/packages/mona/pkg").text
            #expect(owner.contains("<form id=\"policy-form\""))
            #expect(owner.contains("<select id=\"policy-second-factor\" name=\"secondFactor\">"))
            #expect(owner.contains("<select id=\"policy-publishing\" name=\"publishing\">"))
            // `prepared` set `any` / `approval`: those are selected.
            #expect(owner.contains("<option value=\"any\" selected>"))
            #expect(owner.contains("<option value=\"passkey\">"))
            #expect(owner.contains("<option value=\"approval\" selected>"))
            #expect(owner.contains("<option value=\"tokens\">"))
            #expect(owner.contains("id=\"policy-missing\""))
            #expect(owner.contains("/static/package.js"))
            #expect(!owner.contains("This registry demands passkeys"))

            // A maintainer approves releases but doesn't change the policy; others and anonymous
            // visitors see the policy, not the form.
            for (who, browser) in [("maintainer", cast.mary), ("someone else", cast.bob), ("anonymous", Browser(client))] {
                let page = try await browser.send(.get, "/packages/mona/pkg")
                #expect(page.status == .ok)
                #expect(page.text.contains(">approval</span>"), "\(who)")
                #expect(!page.text.contains("policy-form"), "\(who) sees the policy form")
                #expect(!page.text.contains("policy-second-factor"), "\(who) sees the policy form")
            }
            // An owner whose session still waits for its second factor sees no form either.
            let half = Browser(client)
            _ = try await half.send(.post, "/api/v1/session", json: ["username": "mona", "password": "correct horse battery"])
            #expect(!(try await half.send(.get, "/packages/mona/pkg").text.contains("policy-form")))

            // The form posts what the API stores; the page then shows the new policy selected.
            try await fixture.stepUp(cast.mona, cast.monaTOTP)
            #expect(try await cast.mona.send(.put, "/api/v1/packages/mona/pkg/policy", json: ["secondFactor": "any", "publishing": "tokens"]).status == .ok)
            let after = try await cast.mona.send(.get, "/packages/mona/pkg").text
            #expect(after.contains("<option value=\"tokens\" selected>"))
            #expect(after.contains("<option value=\"approval\">"))
        }
    }

    @Test func theFormShowsTheRegistryFloorAndTheScriptNamesWhoLacksAPasskey() async throws {
        let registry = try await fixture.registry { $0.security.minimumPolicy = PackagePolicy(secondFactor: .any, publishing: .approval) }
        try await registry.test { client async throws in
            let mona = Browser(client)
            let monaTOTP = try await fixture.account(mona, "mona")
            #expect(try await mona.send(.post, "/api/v1/scopes", json: ["name": "mona"]).status == .created)
            let publish = try await fixture.token(mona, scopes: ["publish"], packages: ["mona.*"])
            // The first release waits for approval too; once approved, the package exists.
            let staged = try await client.publish("/mona/pkg/1.0.0", PublishBody(archive: try Archives.package(root: "mona.pkg")), token: publish.token)
            #expect(staged.status == .accepted)
            let stagedID = try #require(staged.headers[.location]?.split(separator: "/").last.map(String.init))
            try await fixture.stepUp(mona, monaTOTP)
            #expect(try await mona.send(.post, "/api/v1/packages/mona/pkg/staged/\(stagedID)/approve", json: [:]).status == .ok)
            let page = try await mona.send(.get, "/packages/mona/pkg").text
            #expect(page.contains("policy-form"))
            // The package's own policy is the default; the registry's floor holds releases anyway.
            #expect(page.contains("<option value=\"tokens\" selected>"))
            #expect(page.contains("This registry holds every token-published release for approval"))
            #expect(page.contains(">approval</span>"))

            // The refusal the form shows: the API's problem names who lacks a passkey and what they
            // have instead; the script reads `withoutPasskey` from it.
            let refused = try await mona.send(.put, "/api/v1/packages/mona/pkg/policy", json: ["secondFactor": "passkey", "publishing": "tokens"])
            #expect(refused.status == .conflict)
            let missing = try #require(refused.json["withoutPasskey"] as? [[String: Any]])
            #expect(missing.first?["username"] as? String == "mona")
            #expect(missing.first?["has"] as? [String] == ["totp"])
            let script = try await Browser(client).send(.get, "/static/package.js").text
            #expect(script.contains("withoutPasskey"))
            #expect(script.contains("\"/policy\""))
        }
    }

    @Test func anUnknownPackageIsAnHTMLNotFoundAndTheScriptIsServed() async throws {
        let registry = try await fixture.registry()
        try await registry.test { client async throws in
            let missing = try await Browser(client).send(.get, "/packages/nobody/nothing")
            #expect(missing.status == .notFound)
            #expect(missing.headers[.contentType] == "text/html; charset=utf-8")
            #expect(missing.text.contains("There is no package <span class=\"mono\">nobody.nothing</span>"))
            #expect(try await Browser(client).send(.get, "/packages/bad%20scope/x").status == .badRequest)

            let script = try await Browser(client).send(.get, "/static/package.js")
            #expect(script.status == .ok)
            #expect(script.headers[.contentType] == "text/javascript; charset=utf-8")
            #expect(script.text.contains("/staged/"))
            #expect(script.text.contains("passkey-required"))
        }
    }
}
