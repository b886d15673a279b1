import BulwarkCore
import BulwarkStorage
import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore

/// `/packages/{scope}/{name}`: a package's maintainers, policy and releases (yanked and deleted
/// ones marked, with who published each and how); for its signed-in owners and maintainers also
/// the staged releases waiting for approval, with Approve / Reject buttons that run the step-up the
/// package's policy demands (a passkey under `secondFactor: passkey`) and call the JSON API.
/// Like every page it only reads; `/static/package.js` makes the changes through the API.
struct PackagePage<Context: RequestContext>: Sendable {
    let storage: Storage
    let sessions: Sessions
    let configuration: AccountSecurityConfiguration
    let passkeysAvailable: Bool
    let now: @Sendable () -> Date

    func addRoutes(to router: Router<Context>) {
        router.get("/packages/:scope/:name", use: page)
        router.get("/static/package.js") { _, _ in WebController<Context>.asset(PackagePageTemplates.script, type: "text/javascript; charset=utf-8") }
    }

    struct Model {
        let package: String
        let scope: String
        let name: String
        let secondFactor: String
        let passkeyPolicy: Bool
        let publishing: String
        let approvalPolicy: Bool
        let maintainers: [MaintainerRow]
        let releases: [ReleaseRow]
        let hasReleases: Bool
        let canDecide: Bool
        let staged: [StagedRow]
        let hasStaged: Bool
        let role: String
        let hasPasskeys: Bool
        let totp: Bool
        /// Owners change the policy: the form shows the package's own policy (what the API stores),
        /// and the registry's floor when it is stricter.
        let isOwner: Bool
        let ownPasskey: Bool
        let ownApproval: Bool
        let floorPasskey: Bool
        let floorApproval: Bool
    }

    struct MaintainerRow {
        let username: String
        let role: String
    }

    struct ReleaseRow {
        let version: String
        let publishedISO: String
        let published: String
        let publishedBy: String
        let credential: String
        let approvedBy: String?
        let yankReason: String?
        let deleted: Bool
        let deletedISO: String
        let deletedAt: String
        let deletedBy: String
    }

    struct StagedRow {
        let id: String
        let version: String
        let publisher: String
        let credential: String
        let createdISO: String
        let created: String
        let expiresISO: String
        let expires: String
    }

    static func credentialLabel(_ c: CredentialUse) -> String {
        switch c.kind {
        case .token: "token \(c.id.map { String($0.prefix(8)) } ?? "")"
        case .passkey: c.id.map { "passkey “\($0)”" } ?? "passkey"
        case .totp: "authenticator app"
        case .recoveryCode: "recovery code"
        case .secondFactor: "second factor"
        }
    }

    @Sendable func page(_ request: Request, context: Context) async throws -> Response {
        let id = try RegistryPaths.packageID(context)
        let signedIn = try await sessions.current(request)
        guard let canonical = try await storage.releases.package(id) else {
            return render(PackagePageTemplates.notFound, title: "Not found", model: ["package": id.description], signedIn: signedIn, status: .notFound)
        }
        let access = PackageAccess(storage: storage, configuration: configuration, now: now)
        let roles = try await access.roles(of: canonical)
        let policy = try await access.effectivePolicy(of: canonical)
        let ownPolicy = try await storage.policies.policy(of: canonical) ?? .default
        let floor = configuration.minimumPolicy
        let display = WebController<Context>.display

        // Who published each version with which credential, from the package's audit log.
        var published: [String: PackageEvent] = [:]
        var approved: [String: PackageEvent] = [:]
        for e in try await storage.lifecycle.packageEvents(of: canonical, limit: 10_000).reversed() {
            guard let v = e.version?.precedenceKey else { continue }
            if e.kind == .published || e.kind == .staged { published[v] = e }
            if e.kind == .approved { approved[v] = e }
        }
        var yanks: [String: Yank] = [:]
        for y in try await storage.lifecycle.yanks(of: canonical) { yanks[y.version.precedenceKey] = y.yank }
        var rows: [(SemanticVersion, ReleaseRow)] = try await storage.releases.releases(of: canonical).map { r in
            let key = r.version.precedenceKey
            let event = published[key]
            return (r.version, ReleaseRow(
                version: r.version.description, publishedISO: Timestamp.iso8601(r.publishedAt), published: display(r.publishedAt),
                publishedBy: event?.actor ?? "—", credential: event.map { Self.credentialLabel($0.credential) } ?? "",
                approvedBy: approved[key].map { "\($0.actor) (\(Self.credentialLabel($0.credential)))" }, yankReason: yanks[key]?.reason,
                deleted: false, deletedISO: "", deletedAt: "", deletedBy: ""
            ))
        }
        for t in try await storage.lifecycle.tombstones(of: canonical) {
            rows.append((t.version, ReleaseRow(
                version: t.version.description, publishedISO: "", published: "", publishedBy: "", credential: "", approvedBy: nil,
                yankReason: nil, deleted: true, deletedISO: Timestamp.iso8601(t.deletedAt), deletedAt: display(t.deletedAt), deletedBy: t.deletedBy
            )))
        }
        let releases = rows.sorted { $0.0 > $1.0 }.map(\.1)

        var role: PackageRole?
        if let signedIn, signedIn.session.state == .authenticated { role = roles.role(of: signedIn.account.name) }
        var staged: [StagedRow] = []
        var hasPasskeys = false
        var totp = false
        if role != nil, let signedIn {
            let at = now()
            staged = try await storage.policies.pendingStaged(of: canonical).filter { $0.effectiveState(at: at) == .pending }.map { s in
                let event = published[s.release.version.precedenceKey]
                return StagedRow(
                    id: s.id, version: s.release.version.description, publisher: s.release.publisher,
                    credential: event.map { Self.credentialLabel($0.credential) } ?? "", createdISO: Timestamp.iso8601(s.createdAt),
                    created: display(s.createdAt), expiresISO: Timestamp.iso8601(s.expiresAt), expires: display(s.expiresAt)
                )
            }
            let passkeys = try await storage.security.passkeys(account: signedIn.account.name)
            hasPasskeys = passkeysAvailable && !passkeys.isEmpty
            let confirmed = try await storage.security.totp(account: signedIn.account.name)?.confirmed == true
            totp = confirmed && policy.secondFactor != .passkey
        }
        let model = Model(
            package: canonical.description, scope: canonical.scope, name: canonical.name, secondFactor: policy.secondFactor.rawValue,
            passkeyPolicy: policy.secondFactor == .passkey, publishing: policy.publishing.rawValue, approvalPolicy: policy.publishing == .approval,
            maintainers: roles.everyone.map { MaintainerRow(username: $0.username, role: $0.role.rawValue) }, releases: releases,
            hasReleases: !releases.isEmpty, canDecide: role != nil, staged: staged, hasStaged: !staged.isEmpty, role: role?.rawValue ?? "",
            hasPasskeys: hasPasskeys, totp: totp, isOwner: role == .owner, ownPasskey: ownPolicy.secondFactor == .passkey,
            ownApproval: ownPolicy.publishing == .approval, floorPasskey: floor.secondFactor == .passkey, floorApproval: floor.publishing == .approval
        )
        return render("package", title: canonical.description, model: model, signedIn: signedIn)
    }

    func render(_ template: String, title: String, model: Any, signedIn: SignedIn?, status: HTTPResponse.Status = .ok) -> Response {
        let body = PackagePageTemplates.library.render(model, withTemplate: template) ?? ""
        let layout = LayoutModel(title: title, body: body, narrow: false, signedIn: signedIn.map { $0.session.state != .secondFactorRequired } ?? false)
        let html = PackagePageTemplates.library.render(layout, withTemplate: "layout") ?? ""
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
        WebController<Context>.securityHeaders(&headers)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

/// The package page's templates and script (stored statics can't live in the generic page type).
enum PackagePageTemplates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in ["layout": WebTemplates.layout, "package": template, notFound: notFoundTemplate] {
            do { try library.register(text, named: name) } catch { preconditionFailure("the \(name) template does not parse: \(error)") }
        }
        return library
    }()

    static let notFound = "package-not-found"

    static let template = #"""
<h1><span class="mono">{{package}}</span></h1>
<section class="card" aria-labelledby="policy-title">
  <h2 id="policy-title">Policy</h2>
  <p>Second factor for sensitive actions: <span class="pill{{#passkeyPolicy}} on{{/passkeyPolicy}}">{{secondFactor}}</span>
  · Publishing: <span class="pill{{#approvalPolicy}} on{{/approvalPolicy}}">{{publishing}}</span></p>
  <p class="hint">{{#passkeyPolicy}}Every maintainer has a passkey, and sensitive actions accept only passkeys.{{/passkeyPolicy}}{{^passkeyPolicy}}Sensitive actions accept any second factor.{{/passkeyPolicy}}
  {{#approvalPolicy}}Releases published with a token wait for a maintainer's approval.{{/approvalPolicy}}</p>
  {{#isOwner}}
  <form id="policy-form" novalidate>
    <h3>Change the policy</h3>
    <div class="row">
      <div>
        <label for="policy-second-factor">Second factor for sensitive actions</label>
        <select id="policy-second-factor" name="secondFactor">
          <option value="any"{{^ownPasskey}} selected{{/ownPasskey}}>any second factor</option>
          <option value="passkey"{{#ownPasskey}} selected{{/ownPasskey}}>passkeys only</option>
        </select>
      </div>
      <div>
        <label for="policy-publishing">Publishing with a token</label>
        <select id="policy-publishing" name="publishing">
          <option value="tokens"{{^ownApproval}} selected{{/ownApproval}}>publishes at once</option>
          <option value="approval"{{#ownApproval}} selected{{/ownApproval}}>waits for a maintainer's approval</option>
        </select>
      </div>
    </div>
    <p class="hint">Passkeys only needs every owner and maintainer to have a passkey first.{{#floorPasskey}} This registry demands passkeys of every package whatever is chosen here.{{/floorPasskey}}{{#floorApproval}} This registry holds every token-published release for approval whatever is chosen here.{{/floorApproval}}</p>
    <button type="submit">Save policy</button>
    <p class="status" id="policy-status" role="status" aria-live="polite"></p>
    <div id="policy-missing" class="notice hidden">
      <p>Without a passkey (they can add one on their account page):</p>
      <ul></ul>
    </div>
  </form>
  {{/isOwner}}
</section>

<section class="card" aria-labelledby="maintainers-title">
  <h2 id="maintainers-title">Maintainers</h2>
  <table>
    <thead><tr><th scope="col">Account</th><th scope="col">Role</th></tr></thead>
    <tbody>
    {{#maintainers}}<tr><td>{{username}}</td><td>{{role}}</td></tr>{{/maintainers}}
    </tbody>
  </table>
</section>

{{#canDecide}}
<section class="card" aria-labelledby="staged-title" id="staged">
  <h2 id="staged-title">Waiting for approval</h2>
  {{#hasStaged}}
  <table>
    <thead><tr><th scope="col">Version</th><th scope="col">Published by</th><th scope="col">Staged</th><th scope="col">Expires</th><th scope="col"><span class="skip">Actions</span></th></tr></thead>
    <tbody>
    {{#staged}}
    <tr>
      <td class="mono">{{version}}</td>
      <td>{{publisher}}{{#credential}} <span class="hint">with {{credential}}</span>{{/credential}}</td>
      <td class="when"><time datetime="{{createdISO}}">{{created}}</time></td>
      <td class="when"><time datetime="{{expiresISO}}">{{expires}}</time></td>
      <td class="actions">
        <button type="button" class="small" data-approve="{{id}}" data-version="{{version}}">Approve</button>
        <button type="button" class="danger small" data-reject="{{id}}" data-version="{{version}}">Reject</button>
      </td>
    </tr>
    {{/staged}}
    </tbody>
  </table>
  {{/hasStaged}}
  {{^hasStaged}}<p>Nothing is waiting for approval.</p>{{/hasStaged}}
  <p class="status" id="staged-status" role="status" aria-live="polite"></p>
</section>

<section id="step-up" class="card hidden" aria-labelledby="step-up-title">
  <h2 id="step-up-title">Confirm it's you</h2>
  <p>{{#passkeyPolicy}}{{package}} accepts only passkeys: confirm with yours.{{/passkeyPolicy}}{{^passkeyPolicy}}This action needs a second factor from the last few minutes.{{/passkeyPolicy}}</p>
  {{#hasPasskeys}}<button type="button" id="step-up-passkey">Use a passkey</button>{{/hasPasskeys}}
  {{#totp}}
  <form id="step-up-totp" novalidate>
    <label for="step-up-code">Authenticator app code</label>
    <input id="step-up-code" name="code" class="code" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="6">
    <button type="submit">Verify</button>
  </form>
  {{/totp}}
  <p class="status" role="status" aria-live="polite"></p>
</section>
<script src="/static/package.js" defer></script>
{{/canDecide}}

<section class="card" aria-labelledby="releases-title">
  <h2 id="releases-title">Releases</h2>
  {{#hasReleases}}
  <table>
    <thead><tr><th scope="col">Version</th><th scope="col">Published</th><th scope="col">By</th><th scope="col">Status</th></tr></thead>
    <tbody>
    {{#releases}}
    {{^deleted}}
    <tr>
      <td class="mono">{{version}}</td>
      <td class="when"><time datetime="{{publishedISO}}">{{published}}</time></td>
      <td>{{publishedBy}}{{#credential}} <span class="hint">with {{credential}}</span>{{/credential}}{{#approvedBy}}<br><span class="hint">approved by {{approvedBy}}</span>{{/approvedBy}}</td>
      <td>{{#yankReason}}<span class="pill yanked">yanked</span> <span class="hint">{{yankReason}}</span>{{/yankReason}}{{^yankReason}}<span class="pill on">available</span>{{/yankReason}}</td>
    </tr>
    {{/deleted}}
    {{#deleted}}
    <tr class="deleted">
      <td class="mono"><del>{{version}}</del></td>
      <td></td>
      <td></td>
      <td><span class="pill">deleted</span> <span class="hint">by {{deletedBy}}, <time datetime="{{deletedISO}}">{{deletedAt}}</time>; this version can't be published again</span></td>
    </tr>
    {{/deleted}}
    {{/releases}}
    </tbody>
  </table>
  {{/hasReleases}}
  {{^hasReleases}}<p>No releases.</p>{{/hasReleases}}
  <p class="hint">With SwiftPM: <code>.package(id: "{{package}}", from: "…")</code></p>
</section>
"""#

    static let notFoundTemplate = #"""
<h1>Not found</h1>
<p>There is no package <span class="mono">{{package}}</span> in this registry.</p>
<p><a href="/">Home</a></p>
"""#

    /// Approve / Reject and (for owners) the policy form on the package page; uses `api`, `stepUp`,
    /// `say` and `describe` from bulwark.js.
    static let script = #"""
"use strict";
(function () {
  const apiPath = location.pathname.replace(/^\/packages\//, "/api/v1/packages/");
  // Runs an action; on `…/step-up-required` or `…/passkey-required` it shows the step-up panel,
  // waits for a factor (a passkey under a passkey policy), then tries once more.
  async function withPackageStepUp(action) {
    try { return await action(); } catch (error) {
      const type = String(error && error.type);
      if (!(error instanceof ProblemError) || !(type.endsWith("/step-up-required") || type.endsWith("/passkey-required"))) throw error;
      await stepUp();
      return action();
    }
  }
  function decide(button, verb) {
    button.addEventListener("click", async () => {
      const status = document.getElementById("staged-status");
      const version = button.dataset.version;
      if (verb === "reject" && !confirm("Reject version " + version + "? It will never be published from this upload.")) return;
      for (const b of document.querySelectorAll("button[data-approve], button[data-reject]")) b.disabled = true;
      say(status, "");
      try {
        const url = apiPath + "/staged/" + encodeURIComponent(button.dataset[verb]) + "/" + verb;
        await withPackageStepUp(() => api("POST", url, {}));
        say(status, verb === "approve" ? "Version " + version + " approved: it is now published." : "Version " + version + " rejected.", "ok");
        setTimeout(() => location.reload(), 800);
      } catch (error) {
        say(status, describe(error), "error");
        for (const b of document.querySelectorAll("button[data-approve], button[data-reject]")) b.disabled = false;
      }
    });
  }
  for (const button of document.querySelectorAll("button[data-approve]")) decide(button, "approve");
  for (const button of document.querySelectorAll("button[data-reject]")) decide(button, "reject");

  // The owners' policy form. A `409` for `passkey` lists who has no passkey yet (`withoutPasskey`).
  const form = document.getElementById("policy-form");
  if (!form) return;
  const status = document.getElementById("policy-status");
  const missing = document.getElementById("policy-missing");
  const factorNames = { totp: "an authenticator app", passkey: "a passkey" };
  function showMissing(people) {
    const list = missing.querySelector("ul");
    list.textContent = "";
    for (const person of people) {
      const item = document.createElement("li");
      item.dataset.username = person.username;
      const has = (person.has || []).map((f) => factorNames[f] || f);
      item.textContent = person.username + " (" + person.role + ") has no passkey" + (has.length ? ", only " + has.join(" and ") : "");
      list.appendChild(item);
    }
    missing.classList.toggle("hidden", people.length === 0);
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    say(status, "");
    showMissing([]);
    const body = { secondFactor: form.secondFactor.value, publishing: form.publishing.value };
    try {
      const result = await withPackageStepUp(() => api("PUT", apiPath + "/policy", body));
      say(status, "Policy saved: second factor " + result.policy.secondFactor + ", publishing " + result.policy.publishing + ".", "ok");
      setTimeout(() => location.reload(), 800);
    } catch (error) {
      const people = (error && error.problem && Array.isArray(error.problem.withoutPasskey)) ? error.problem.withoutPasskey : [];
      if (people.length) {
        const names = people.map((p) => p.username).join(", ");
        say(status, "Not changed: passkeys only needs every owner and maintainer to have a passkey, and " + names + (people.length === 1 ? " has" : " have") + " none yet.", "error");
        showMissing(people);
      } else {
        say(status, describe(error), "error");
      }
      button.disabled = false;
    }
  });
})();
"""#
}
