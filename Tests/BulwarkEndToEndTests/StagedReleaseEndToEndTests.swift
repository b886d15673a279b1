// End-to-end test: staged releases (`publishing: approval`), yank and delete, with the real
// `swift` client (SwiftPM 6.3.1) against a real `bulwark serve` over TLS.
//
// The scenario, step by step:
//  1. A throwaway PKI (TestPKI.swift) and `bulwark serve` with TLS, `--base-url
//     https://127.0.0.1:PORT` (a port picked beforehand: the base URL's host is the WebAuthn rpId
//     and its origin the one passkeys must sign) and `--staged-days 2`.
//  2. Through the JSON API (curl with the test CA and a cookie jar; state-changing cookie
//     requests carry `Origin: <base URL>`): sign up, sign in, enrol TOTP (codes computed with
//     BulwarkAuth's TOTP), register a passkey (SoftPasskey from BulwarkTestSupport, a software
//     authenticator: ES256, user verification, origin = the base URL), claim the scope `staged`,
//     create a publish token and a yank-only token.
//  3. `swift package-registry login` with the publish token; publish staged.lib 1.0.0 (201).
//  4. Sign out and in again with password + TOTP; as the owner, set the policy to
//     `secondFactor: passkey, publishing: approval`.
//  5. Publish 1.1.0 with the real client: the server answers 202 + Location + Retry-After. The
//     6.3.1 client prints "successfully submitted … Publishing status is available at '<URL>'",
//     exits 0 and does not poll. The status URL answers 202 + Retry-After and expires 2 days after
//     its creation (`--staged-days`); the version is invisible, and a consumer (`from: "1.0.0"`)
//     resolves 1.0.0.
//  6. A token can't approve, nor can the owner after a fresh TOTP step-up (403, passkey-required).
//     The owner steps up with the passkey (`POST /api/v1/session/webauthn/options`, then the
//     assertion to `POST /api/v1/session/webauthn`) and approves; the release records the passkey
//     as the approving credential; the status URL answers 301 to the release; `swift package
//     update` moves the consumer to 1.1.0, and the client's fingerprint of the archive is the
//     SHA-256 of the archive it uploaded.
//  7. After another passkey step-up, the policy goes back to `secondFactor: any, publishing:
//     tokens`; publish 1.2.0 (201); a consumer pinned `exact: "1.2.0"` resolves it.
//     The yank-only token yanks 1.2.0 (the publish token can't). The release list marks it with a
//     410 problem carrying the reason; `swift package update` of the range consumer skips it
//     (stays at 1.1.0); the archive stays downloadable by exact version (same bytes), and the
//     already-resolved pinned consumer keeps resolving. A fresh exact resolve of 1.2.0 is reported
//     as the client behaves: SwiftPM 6.3.1 drops every release-list entry that has a `problem`,
//     so it answers "no versions of 'staged.lib' match the requirement 1.2.0".
//  8. The owner deletes 1.2.0 (a token can't); publishing 1.2.0 again with the real client fails
//     with the server's 409, whose detail the client prints. The audit log has every step.
//
// Prerequisites, skip and BULWARK_E2E_REQUIRED / BULWARK_E2E_KEEP / BULWARK_E2E_WORKDIR /
// BULWARK_BIN work as in SwiftPMEndToEndTests.swift; this test needs `curl` too.

import BulwarkAuth
import BulwarkCore
import BulwarkTestSupport
import Foundation
import Testing

@Suite("StagedReleaseEndToEnd", .serialized, .tags(.swiftPMEndToEnd))
struct StagedReleaseEndToEndTests {
    @Test(
        "The real swift client meets staged releases (202, approval with a passkey step-up), yanked and deleted versions",
        .enabled(
            if: StagedReleasePrerequisites.shouldRun,
            "needs Linux, root, unshare, openssl, zip, unzip and curl; set BULWARK_E2E_REQUIRED=1 to fail instead of skipping"
        ),
        .timeLimit(.minutes(10))
    )
    func stagedReleaseYankAndDelete() async throws {
        if let reason = StagedReleasePrerequisites.missingReason {
            // Only reachable with BULWARK_E2E_REQUIRED=1: without it, the trait skipped the test.
            Issue.record("BULWARK_E2E_REQUIRED=1, but the staged-release end-to-end test cannot run: \(reason)")
            return
        }
        let scenario = try StagedReleaseScenario()
        let started = Date()
        await runScenario(scenario, suite: "StagedReleaseEndToEnd")
        print("StagedReleaseEndToEnd: scenario took \(Int(Date().timeIntervalSince(started))) s")
        scenario.finish()
    }
}

/// The SwiftPM end-to-end prerequisites, plus curl for the JSON API.
enum StagedReleasePrerequisites {
    static let missingReason: String? = {
        var problems: [String] = []
        if let reason = E2EPrerequisites.missingReason { problems.append(reason) }
        if findExecutable(named: "curl") == nil { problems.append("missing on PATH: curl") }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }()

    static var shouldRun: Bool {
        guard let reason = missingReason else { return true }
        if E2EPrerequisites.isRequired { return true }  // Run it, so that it fails with the reason.
        print("StagedReleaseEndToEnd skipped: \(reason). Set BULWARK_E2E_REQUIRED=1 to turn this into a failure.")
        return false
    }
}

// MARK: - The scenario

/// Not `Sendable`: used from a single task only.
final class StagedReleaseScenario: E2EScenario {
    static let host = "127.0.0.1"
    static let commandTimeout: TimeInterval = 300
    static let scope = "staged"
    static let name = "lib"
    static var identifier: String { "\(scope).\(name)" }
    static let password = "correct horse battery staple"
    static let yankReason = "CVE-2026-0001: use 1.1.0"
    /// `serve --staged-days`: a staged release expires this long after its publish.
    static let stagedDays = 2

    let packageRoot: URL
    let workDirectory: URL
    let logsDirectory: URL
    let swiftPMHome: URL
    let runner: CommandRunner
    var failed = false
    private var server: ServerProcess?

    init(filePath: String = #filePath) throws {
        packageRoot = URL(fileURLWithPath: filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        // Outside the home directory, which the client isolation hides.
        workDirectory = try makeScenarioWorkDirectory(prefix: "bulwark-staged-e2e-")
        logsDirectory = workDirectory.appendingPathComponent("logs")
        swiftPMHome = workDirectory.appendingPathComponent("home")
        for directory in [logsDirectory, swiftPMHome] {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        runner = CommandRunner(logsDirectory: logsDirectory)
    }

    func run() async throws {
        // 1. PKI and server.
        let bulwark = try locateBulwarkExecutable(packageRoot: packageRoot)
        let pki = try await TestPKI.generate(in: workDirectory.appendingPathComponent("pki"), runner: runner)
        let swift = IsolatedSwift(
            runner: runner, script: packageRoot.appendingPathComponent("scripts/swiftpm-isolated.sh"),
            home: swiftPMHome, testCA: pki.caCertificatePEM
        )
        guard FileManager.default.fileExists(atPath: swift.script.path) else {
            throw E2EFailure("isolation script missing at \(swift.script.path)")
        }
        let dataDirectory = workDirectory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        // Passkeys need --base-url, which must name the port before the server starts.
        let port = try BrowserScenario.freePort()
        let registryURL = "https://\(Self.host):\(port)"
        let server = try await ServerProcess.start(
            executable: bulwark,
            arguments: [
                "serve", "--data-dir", dataDirectory.path, "--host", Self.host, "--port", String(port), "--base-url", registryURL,
                "--tls-cert", pki.serverCertificatePEM.path, "--tls-key", pki.serverPrivateKeyPEM.path,
                "--staged-days", String(Self.stagedDays),
            ],
            logPrefix: logsDirectory.appendingPathComponent("bulwark-serve"), readinessTimeout: 60
        )
        self.server = server
        defer { server.stop() }
        guard server.port == port else { throw E2EFailure("bulwark serve listens on \(server.port), not on the port \(port) it was given") }
        let api = try RegistryAPI(
            baseURL: registryURL, caCertificate: pki.caCertificatePEM,
            directory: workDirectory.appendingPathComponent("api"), runner: runner
        )
        let context = StagedContext(swift: swift, api: api, registryURL: registryURL)

        // 2. Account, TOTP, a passkey, scope and tokens through the JSON API.
        let device = try await enrol(api)
        let passkey = try await registerPasskey(api, origin: registryURL)
        try expect(try await api.call("POST", "/api/v1/scopes", json: ["name": Self.scope], label: "claim-scope"), 201, "claiming the scope")
        let publishToken = try await createToken(api, scopes: ["publish"], packages: ["\(Self.scope).*"])
        let yankToken = try await createToken(api, scopes: ["yank"], packages: [Self.identifier])

        // 3. Login and the first release, published at once (policy `tokens`).
        let login = try await swift.run(
            ["package-registry", "login", registryURL, "--token", publishToken, "--no-confirm"],
            in: workDirectory, timeout: Self.commandTimeout, label: "swift-login"
        )
        check(login.output.contains("Login successful"), "login did not report success\n\(login.report)")
        _ = try await publish(context, version: "1.0.0", expecting: "successfully published")

        // 4. A fresh sign-in with password and TOTP; the owner turns on approval, with passkeys.
        try await signIn(api, device: device)
        let policy = try await api.call(
            "PUT", "/api/v1/packages/\(Self.scope)/\(Self.name)/policy",
            json: ["secondFactor": "passkey", "publishing": "approval"], label: "policy-approval"
        )
        try expect(policy, 200, "setting secondFactor: passkey, publishing: approval")

        // 5. The staged publish.
        let (submitted, stagedChecksums) = try await publish(context, version: "1.1.0", expecting: "successfully submitted")
        let stagedID = try await checkSubmission(context, submitted)
        let rangeConsumer = try await makeConsumer(context, name: "RangeConsumer", requirement: "from: \"1.0.0\"")
        try await swift.run(["package", "resolve"], in: rangeConsumer, timeout: Self.commandTimeout, label: "swift-resolve-range-staged")
        check(try pinnedVersion(in: rangeConsumer) == "1.0.0", "while 1.1.0 waits for approval the consumer must resolve 1.0.0; Package.resolved has \(String(describing: try? pinnedVersion(in: rangeConsumer)))")

        // 6. Approval: refused for a token and after a TOTP step-up, accepted after a passkey step-up.
        try await approve(context, stagedID: stagedID, device: device, passkey: passkey, publishToken: publishToken)
        let update = try await swift.run(["package", "update"], in: rangeConsumer, timeout: Self.commandTimeout, label: "swift-update-range-approved")
        check(try pinnedVersion(in: rangeConsumer) == "1.1.0", "after the approval `swift package update` must move to 1.1.0\n\(update.report)")
        try checkDownloaded(version: "1.1.0", in: rangeConsumer, publishedChecksums: stagedChecksums)

        // 7. Yank.
        try await yank(context, passkey: passkey, yankToken: yankToken, publishToken: publishToken, rangeConsumer: rangeConsumer)

        // 8. Delete, then a re-publish with the real client.
        try await deleteAndRepublish(context, yankToken: yankToken, rangeConsumer: rangeConsumer)
        try await checkAuditLog(api)
    }

    /// What most steps need.
    struct StagedContext {
        let swift: IsolatedSwift
        let api: RegistryAPI
        let registryURL: String
    }

    // MARK: Account

    /// Sign-up, password sign-in (enrolment required) and TOTP enrolment: the confirmation completes
    /// the sign-in with a fresh second factor.
    private func enrol(_ api: RegistryAPI) async throws -> TOTPDevice {
        try expect(
            try await api.call("POST", "/api/v1/accounts", json: ["username": "alice", "email": "alice@example.com", "password": Self.password], label: "sign-up"),
            201, "sign-up"
        )
        let signIn = try await api.call("POST", "/api/v1/session", json: ["username": "alice", "password": Self.password], label: "sign-in-password")
        try expect(signIn, 200, "the password step")
        check(signIn.json["state"] as? String == "enrolment-required", "a new account must be asked to enrol a second factor: \(signIn.summary)")
        let start = try await api.call("POST", "/api/v1/account/totp", label: "totp-start")
        try expect(start, 200, "starting TOTP enrolment")
        guard let secret = start.json["secret"] as? String else { throw E2EFailure("TOTP enrolment returned no secret: \(start.summary)") }
        let device = TOTPDevice(totp: TOTP(secret: try Base32.decode(secret)))
        let confirm = try await api.call("POST", "/api/v1/account/totp/confirm", json: ["code": try await device.nextCode()], label: "totp-confirm")
        try expect(confirm, 200, "confirming TOTP enrolment")
        check((confirm.json["recoveryCodes"] as? [String])?.count == 10, "the first factor must come with 10 recovery codes: \(confirm.summary)")
        return device
    }

    /// Signs out, then in again with the password and a TOTP code.
    private func signIn(_ api: RegistryAPI, device: TOTPDevice) async throws {
        try expect(try await api.call("DELETE", "/api/v1/session", label: "sign-out"), 204, "signing out")
        let password = try await api.call("POST", "/api/v1/session", json: ["username": "alice", "password": Self.password], label: "sign-in-password-2")
        try expect(password, 200, "the password step")
        check(
            password.json["state"] as? String == "second-factor-required" && (password.json["methods"] as? [String] ?? []).contains("totp"),
            "the password step must ask for the TOTP code: \(password.summary)"
        )
        let code = try await api.call("POST", "/api/v1/session/totp", json: ["code": try await device.nextCode()], label: "sign-in-totp")
        try expect(code, 200, "the TOTP step")
        check(code.json["state"] as? String == "authenticated", "the TOTP step must complete the sign-in: \(code.summary)")
    }

    /// Registers a software passkey through the real API (`POST /api/v1/account/passkeys/options`,
    /// then the credential to `POST /api/v1/account/passkeys`); the session is fresh from the TOTP
    /// enrolment and the account has no passkey yet, so no passkey step-up is asked for.
    private func registerPasskey(_ api: RegistryAPI, origin: String) async throws -> SoftPasskey {
        let options = try await api.call("POST", "/api/v1/account/passkeys/options", label: "passkey-options")
        try expect(options, 200, "the passkey registration options")
        let rp = options.json["rp"] as? [String: Any]
        check(rp?["id"] as? String == Self.host, "the rpId must be the base URL's host \(Self.host): \(options.summary)")
        guard options.json["challenge"] is String, rp?["id"] is String else {
            throw E2EFailure("the passkey registration options lack a challenge or an rp id: \(options.summary)")
        }
        let passkey = SoftPasskey(origin: origin)
        let registered = try await api.call(
            "POST", "/api/v1/account/passkeys", json: ["credential": passkey.register(options: options.json), "name": "Soft passkey"],
            label: "passkey-register"
        )
        try expect(registered, 201, "registering the passkey")
        check(registered.json["id"] as? String == SoftPasskey.b64url(passkey.credentialId), "the registered passkey's id: \(registered.summary)")
        let account = try await api.call("GET", "/api/v1/account", label: "account-with-passkey")
        try expect(account, 200, "the account")
        check(account.text.contains("Soft passkey"), "the account must list the passkey: \(account.summary)")
        return passkey
    }

    /// A step-up with the passkey while signed in: `POST /api/v1/session/webauthn/options`, then
    /// the authenticator's assertion to `POST /api/v1/session/webauthn`.
    private func stepUpWithPasskey(_ api: RegistryAPI, _ passkey: SoftPasskey, label: String) async throws {
        let options = try await api.call("POST", "/api/v1/session/webauthn/options", json: [:], label: "\(label)-options")
        try expect(options, 200, "the passkey assertion options")
        guard options.json["challenge"] is String, options.json["rpId"] as? String == Self.host else {
            throw E2EFailure("the assertion options must carry a challenge and the rpId \(Self.host): \(options.summary)")
        }
        let assertion = try passkey.assert(options: options.json)
        let stepUp = try await api.call("POST", "/api/v1/session/webauthn", json: assertion, label: label)
        try expect(stepUp, 200, "the passkey step-up")
        check(stepUp.json["state"] as? String == "authenticated", "the passkey step-up keeps the session signed in: \(stepUp.summary)")
    }

    private func createToken(_ api: RegistryAPI, scopes: [String], packages: [String]) async throws -> String {
        let response = try await api.call(
            "POST", "/api/v1/tokens", json: ["scopes": scopes, "packages": packages, "expiresInDays": 1],
            label: "token-\(scopes.joined(separator: "-"))"
        )
        try expect(response, 201, "creating a \(scopes.joined(separator: "+")) token")
        guard let token = response.json["token"] as? String, token.hasPrefix("bwk_") else {
            throw E2EFailure("token creation returned no bwk_ token: \(response.status)")
        }
        return token
    }

    // MARK: Staged release

    /// Checks what the client printed for the 202, the status URL and the version's invisibility;
    /// returns the staged release's id.
    private func checkSubmission(_ context: StagedContext, _ submitted: CommandResult) async throws -> String {
        let api = context.api
        let base = "/api/v1/packages/\(Self.scope)/\(Self.name)"
        print("StagedReleaseEndToEnd: `swift package-registry publish` of a staged release: \(submitted.outcome); it printed: \(submitted.stdout.trimmingCharacters(in: .whitespacesAndNewlines))")
        let page = try await api.call("GET", base, label: "package-staged")
        try expect(page, 200, "the package page")
        check((page.json["policy"] as? [String: Any])?["publishing"] as? String == "approval", "the package page must show publishing: approval: \(page.summary)")
        let staged = (page.json["staged"] as? [[String: Any]] ?? []).filter { $0["version"] as? String == "1.1.0" }
        guard staged.count == 1, let stagedID = staged[0]["id"] as? String, let location = staged[0]["location"] as? String else {
            throw E2EFailure("the owner's package page must list exactly one staged 1.1.0: \(page.summary)")
        }
        // The client prints the Location of the 202 and exits 0 without polling it.
        check(
            submitted.output.contains("Publishing status is available at '\(location)'"),
            "the client did not print the status URL \(location) of the 202\n\(submitted.report)"
        )
        check(location.hasPrefix(context.registryURL + base + "/staged/"), "the status URL \(location) is not under \(context.registryURL + base)/staged/")

        let status = try await api.call("GET", location, as: .anonymous, label: "staged-status-pending")
        try expect(status, 202, "the status URL while waiting")
        check(status.header("retry-after").flatMap(Int.init).map { $0 > 0 } == true, "the pending status must carry a Retry-After in seconds: \(status.headers)")
        check(status.json["state"] as? String == "pending", "the pending status body: \(status.summary)")
        // `serve --staged-days` sets how long it waits.
        func date(_ key: String) -> Date? { (status.json[key] as? String).flatMap(Timestamp.parse) }
        if let created = date("createdAt"), let expires = date("expiresAt") {
            check(
                abs(expires.timeIntervalSince(created) - Double(Self.stagedDays) * 86_400) <= 1,
                "with --staged-days \(Self.stagedDays) the staged release must expire \(Self.stagedDays) days after its creation: \(status.summary)"
            )
        } else {
            check(false, "the pending status must carry createdAt and expiresAt: \(status.summary)")
        }

        // Invisible to consumers: neither listed nor fetchable.
        let list = try await api.call("GET", "/\(Self.scope)/\(Self.name)", as: .anonymous, accept: RegistryAPI.registryJSON, label: "list-staged")
        try expect(list, 200, "the release list")
        let releases = list.json["releases"] as? [String: Any] ?? [:]
        check(releases["1.0.0"] != nil && releases["1.1.0"] == nil, "the release list must show 1.0.0 but not the staged 1.1.0: \(list.summary)")
        try expect(
            try await api.call("GET", "/\(Self.scope)/\(Self.name)/1.1.0", as: .anonymous, accept: RegistryAPI.registryJSON, label: "release-staged"),
            404, "the staged release's metadata before approval"
        )
        return stagedID
    }

    private func approve(_ context: StagedContext, stagedID: String, device: TOTPDevice, passkey: SoftPasskey, publishToken: String) async throws {
        let api = context.api
        let base = "/api/v1/packages/\(Self.scope)/\(Self.name)/staged/\(stagedID)"
        let byToken = try await api.call("POST", "\(base)/approve", as: .bearer(publishToken), label: "approve-with-token")
        check([401, 403].contains(byToken.status), "a publish token must not approve a staged release: \(byToken.summary)")
        let noOrigin = try await api.call("POST", "\(base)/approve", origin: false, label: "approve-without-origin")
        check(noOrigin.status == 403, "a cookie request without Origin must be refused: \(noOrigin.summary)")
        try expect(try await api.call("GET", base, as: .anonymous, label: "staged-status-still-pending"), 202, "the status after refused approvals")

        // Under `secondFactor: passkey` a fresh TOTP code is not enough to approve.
        let stepUp = try await api.call("POST", "/api/v1/session/totp", json: ["code": try await device.nextCode()], label: "step-up-totp")
        try expect(stepUp, 200, "the TOTP step-up")
        let byTOTP = try await api.call("POST", "\(base)/approve", label: "approve-after-totp")
        check(
            byTOTP.status == 403 && (byTOTP.json["type"] as? String)?.hasSuffix("/passkey-required") == true,
            "under secondFactor: passkey, approving after a TOTP step-up must be refused with passkey-required: \(byTOTP.summary)"
        )
        try expect(try await api.call("GET", base, as: .anonymous, label: "staged-status-after-totp"), 202, "the status after the TOTP attempt")

        // The passkey step-up, then the approval.
        try await stepUpWithPasskey(api, passkey, label: "step-up-passkey")
        let approval = try await api.call("POST", "\(base)/approve", label: "approve")
        try expect(approval, 200, "approving the staged release after the passkey step-up")
        check(approval.json["state"] as? String == "approved", "approval body: \(approval.summary)")

        let status = try await api.call("GET", base, as: .anonymous, label: "staged-status-approved")
        try expect(status, 301, "the status URL once approved")
        let releaseURL = "\(context.registryURL)/\(Self.scope)/\(Self.name)/1.1.0"
        check(status.header("location") == releaseURL, "the approved status must redirect to \(releaseURL): \(status.headers)")

        let page = try await api.call("GET", "/api/v1/packages/\(Self.scope)/\(Self.name)", label: "package-approved")
        let row = (page.json["releases"] as? [[String: Any]] ?? []).first { $0["version"] as? String == "1.1.0" }
        let publishedBy = row?["publishedBy"] as? [String: Any]
        let approvedBy = row?["approvedBy"] as? [String: Any]
        check(
            (publishedBy?["credential"] as? [String: Any])?["kind"] as? String == "token"
                && approvedBy?["account"] as? String == "alice"
                && (approvedBy?["credential"] as? [String: Any])?["kind"] as? String == "passkey",
            "1.1.0 must show it was published with a token and approved by alice with a passkey: \(String(describing: row))"
        )
        check((page.json["staged"] as? [Any])?.isEmpty == true, "no staged release may be left waiting: \(page.summary)")
    }

    // MARK: Yank

    private func yank(_ context: StagedContext, passkey: SoftPasskey, yankToken: String, publishToken: String, rangeConsumer: URL) async throws {
        let api = context.api
        let swift = context.swift
        // Under `secondFactor: passkey`, turning it off needs a fresh passkey too.
        try await stepUpWithPasskey(api, passkey, label: "step-up-passkey-policy")
        let policy = try await api.call(
            "PUT", "/api/v1/packages/\(Self.scope)/\(Self.name)/policy", json: ["secondFactor": "any", "publishing": "tokens"], label: "policy-tokens"
        )
        try expect(policy, 200, "setting secondFactor: any, publishing: tokens again")
        let (_, checksums) = try await publish(context, version: "1.2.0", expecting: "successfully published")

        // Resolved (and downloaded) while 1.2.0 is still a normal release.
        let pinConsumer = try await makeConsumer(context, name: "PinConsumer", requirement: "exact: \"1.2.0\"")
        try await swift.run(["package", "resolve"], in: pinConsumer, timeout: Self.commandTimeout, label: "swift-resolve-pin-before-yank")
        check(try pinnedVersion(in: pinConsumer) == "1.2.0", "the exact consumer must resolve 1.2.0 before the yank")

        let yankPath = "/api/v1/packages/\(Self.scope)/\(Self.name)/releases/1.2.0/yank"
        let byPublishToken = try await api.call("POST", yankPath, json: ["reason": "nope"], as: .bearer(publishToken), label: "yank-with-publish-token")
        check(byPublishToken.status == 403, "a token without the yank scope must not yank: \(byPublishToken.summary)")
        let yank = try await api.call("POST", yankPath, json: ["reason": Self.yankReason], as: .bearer(yankToken), label: "yank")
        try expect(yank, 200, "yanking with the yank token")
        check(yank.json["yanked"] as? Bool == true && yank.json["yankedBy"] as? String == "alice", "yank body: \(yank.summary)")

        let list = try await api.call("GET", "/\(Self.scope)/\(Self.name)", as: .anonymous, accept: RegistryAPI.registryJSON, label: "list-yanked")
        let entry = (list.json["releases"] as? [String: Any])?["1.2.0"] as? [String: Any]
        let problem = entry?["problem"] as? [String: Any]
        check(
            problem?["status"] as? Int == 410 && problem?["detail"] as? String == Self.yankReason,
            "the release list must mark 1.2.0 with a 410 problem whose detail is the reason: \(list.summary)"
        )

        // The range consumer skips the yanked version: `update` ignores the pin and picks the newest.
        let update = try await swift.run(["package", "update"], in: rangeConsumer, timeout: Self.commandTimeout, label: "swift-update-range-yanked")
        check(try pinnedVersion(in: rangeConsumer) == "1.1.0", "`swift package update` must skip the yanked 1.2.0 and stay at 1.1.0\n\(update.report)")

        // Downloadable by exact version: the metadata (with its problem) and the very same archive.
        let metadata = try await api.call("GET", "/\(Self.scope)/\(Self.name)/1.2.0", as: .anonymous, accept: RegistryAPI.registryJSON, label: "release-yanked")
        try expect(metadata, 200, "the yanked release's metadata")
        check((metadata.json["problem"] as? [String: Any])?["detail"] as? String == Self.yankReason, "the yanked release's metadata must carry the problem: \(metadata.summary)")
        let archive = try await api.call("GET", "/\(Self.scope)/\(Self.name)/1.2.0.zip", as: .anonymous, accept: RegistryAPI.registryZip, label: "archive-yanked")
        try expect(archive, 200, "the yanked release's archive")
        let served = try await sha256(of: archive.bodyFile)
        check(checksums.contains(served), "the yanked archive served (sha256 \(served)) differs from the one published (\(checksums))")

        // The consumer that had resolved 1.2.0 before the yank keeps it.
        let again = try await swift.run(["package", "resolve"], in: pinConsumer, timeout: Self.commandTimeout, label: "swift-resolve-pin-after-yank")
        check(try pinnedVersion(in: pinConsumer) == "1.2.0", "the already-resolved exact consumer must keep 1.2.0 after the yank\n\(again.report)")

        // A fresh exact resolve: SwiftPM 6.3.1 drops problem entries from the release list before
        // resolving, so it can't select a yanked version even by exact requirement. Record what it
        // does; either way it must not be a server error.
        let fresh = try await makeConsumer(context, name: "FreshPinConsumer", requirement: "exact: \"1.2.0\"")
        let freshResolve = try await swiftAttempt(swift, ["package", "resolve"], in: fresh, label: "swift-resolve-fresh-pin-yanked")
        if freshResolve.succeeded {
            print("StagedReleaseEndToEnd: the client resolved the yanked 1.2.0 by exact version")
            check(try pinnedVersion(in: fresh) == "1.2.0", "the fresh exact consumer resolved something other than 1.2.0")
        } else {
            print("StagedReleaseEndToEnd: the client refuses a fresh exact requirement on a yanked version (\(freshResolve.outcome)): \(freshResolve.output.split(whereSeparator: \.isNewline).filter { $0.contains("error") }.joined(separator: " | "))")
            check(
                freshResolve.output.contains("no versions of '\(Self.identifier)' match the requirement 1.2.0"),
                "a fresh exact resolve of the yanked 1.2.0 failed for another reason than the client skipping it\n\(freshResolve.report)"
            )
        }
    }

    // MARK: Delete

    private func deleteAndRepublish(_ context: StagedContext, yankToken: String, rangeConsumer: URL) async throws {
        let api = context.api
        let path = "/api/v1/packages/\(Self.scope)/\(Self.name)/releases/1.2.0"
        let byToken = try await api.call("DELETE", path, as: .bearer(yankToken), label: "delete-with-token")
        check(byToken.status == 403, "a token must never delete a release: \(byToken.summary)")
        // The passkey step-up before the policy change is still fresh (10 minutes by default).
        let delete = try await api.call("DELETE", path, label: "delete")
        try expect(delete, 200, "deleting 1.2.0 as the owner")
        check(delete.json["deleted"] as? Bool == true, "delete body: \(delete.summary)")

        let list = try await api.call("GET", "/\(Self.scope)/\(Self.name)", as: .anonymous, accept: RegistryAPI.registryJSON, label: "list-deleted")
        let problem = ((list.json["releases"] as? [String: Any])?["1.2.0"] as? [String: Any])?["problem"] as? [String: Any]
        check(problem?["status"] as? Int == 410 && (problem?["detail"] as? String)?.isEmpty == false, "the deleted 1.2.0 must stay listed with a 410 problem: \(list.summary)")
        try expect(
            try await api.call("GET", "/\(Self.scope)/\(Self.name)/1.2.0.zip", as: .anonymous, accept: RegistryAPI.registryZip, label: "archive-deleted"),
            410, "the deleted release's archive"
        )
        let update = try await context.swift.run(["package", "update"], in: rangeConsumer, timeout: Self.commandTimeout, label: "swift-update-range-deleted")
        check(try pinnedVersion(in: rangeConsumer) == "1.1.0", "after the delete the range consumer must stay at 1.1.0\n\(update.report)")

        // Publishing the deleted version again: the server's 409, printed by the client.
        let directory = workDirectory.appendingPathComponent("packages/1.2.0")
        var result: CommandResult?
        for attempt in 1...IsolatedSwift.maximumAttempts {
            let scratch = workDirectory.appendingPathComponent("publish-scratch/1.2.0-again-\(attempt)")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            let attempted = try await context.swift.attempt(
                ["package-registry", "publish", Self.identifier, "1.2.0", "--url", context.registryURL, "--scratch-directory", scratch.path],
                in: directory, timeout: Self.commandTimeout, label: "swift-republish-deleted-\(attempt)"
            )
            result = attempted
            if !attempted.crashed || attempted.output.contains("error 409") { break }
        }
        guard let result else { throw E2EFailure("unreachable: no re-publish attempt") }
        print("StagedReleaseEndToEnd: re-publishing a deleted version: \(result.outcome); the client printed: \(result.output.split(whereSeparator: \.isNewline).filter { $0.contains("409") }.joined(separator: " | "))")
        check(!result.succeeded, "re-publishing the deleted 1.2.0 must fail\n\(result.report)")
        check(
            result.output.contains("server error 409: version 1.2.0 of \(Self.identifier) was deleted on")
                && result.output.contains("can never be published again"),
            "the client must print the server's 409 detail for a deleted version\n\(result.report)"
        )
    }

    private func checkAuditLog(_ api: RegistryAPI) async throws {
        let log = try await api.call("GET", "/api/v1/packages/\(Self.scope)/\(Self.name)/audit-log", label: "audit-log")
        try expect(log, 200, "the audit log")
        let kinds = Set((log.json["events"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String })
        for kind in ["published", "staged", "approved", "yanked", "deleted"] {
            check(kinds.contains(kind), "the audit log has no '\(kind)' event: \(log.summary)")
        }
    }

    // MARK: Publishing with the real client

    /// Publishes staged.lib at `version` from a fresh directory, and returns the client's result and
    /// the SHA-256 of the archive it uploaded. A client crash (SwiftPM 6.3.1 sometimes dies with
    /// SIGSEGV at exit, after the upload) is handled as in SwiftPMEndToEndTests: a retry that gets
    /// 409 means an earlier, crashed attempt went through, so every candidate archive is returned.
    private func publish(_ context: StagedContext, version: String, expecting marker: String) async throws -> (CommandResult, [String]) {
        let directory = workDirectory.appendingPathComponent("packages/\(version)")
        try writeFiles(Self.libraryFiles(version: version), to: directory)
        var crashedArchives: [URL] = []
        var crashed: [CommandResult] = []
        for attempt in 1...IsolatedSwift.maximumAttempts {
            let scratch = workDirectory.appendingPathComponent("publish-scratch/\(version)-\(attempt)")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            let result = try await context.swift.attempt(
                ["package-registry", "publish", Self.identifier, version, "--url", context.registryURL, "--scratch-directory", scratch.path],
                in: directory, timeout: Self.commandTimeout, label: "swift-publish-\(version)-\(attempt)"
            ).following(crashed)
            let archive = publishedArchive(inScratch: scratch)
            if result.succeeded {
                check(result.output.contains(marker), "publish of \(version) exited 0 but did not print '\(marker)'\n\(result.report)")
                guard let archive else { throw E2EFailure("publish of \(version) left no archive in \(scratch.path)\n\(result.report)") }
                return (result, [try await sha256(of: archive)])
            }
            if result.crashed {
                print("StagedReleaseEndToEnd: publish of \(version) crashed (\(result.outcome)), a client bug; attempt \(attempt) of \(IsolatedSwift.maximumAttempts)")
                if let archive {
                    if result.output.contains(marker) { return (result, [try await sha256(of: archive)]) }
                    crashedArchives.append(archive)
                }
                crashed.append(result)
                continue
            }
            if !crashedArchives.isEmpty, result.output.contains("error 409") {
                var checksums: [String] = []
                for archive in crashedArchives { checksums.append(try await sha256(of: archive)) }
                return (result, checksums)
            }
            throw E2EFailure("publish of \(version) failed\n\(result.report)")
        }
        throw E2EFailure("swift package-registry publish of \(version) crashed \(IsolatedSwift.maximumAttempts) times; see \(logsDirectory.path)")
    }

    /// One attempt, retried only when the client crashed (for commands that are expected to fail).
    private func swiftAttempt(_ swift: IsolatedSwift, _ arguments: [String], in directory: URL, label: String) async throws -> CommandResult {
        var result = try await swift.attempt(arguments, in: directory, timeout: Self.commandTimeout, label: label)
        var attempt = 1
        while result.crashed, attempt < IsolatedSwift.maximumAttempts {
            attempt += 1
            result = try await swift.attempt(arguments, in: directory, timeout: Self.commandTimeout, label: "\(label)-\(attempt)").following([result])
        }
        return result
    }

    static func libraryFiles(version: String) -> [String: String] {
        [
            "Package.swift": FixturePackage.libraryManifest(name: "StagedLib"),
            "Sources/StagedLib/StagedLib.swift": "public let stagedLibVersion = \"\(version)\"\n",
        ]
    }

    // MARK: Consumers

    private func makeConsumer(_ context: StagedContext, name: String, requirement: String) async throws -> URL {
        let directory = workDirectory.appendingPathComponent("consumers/\(name)")
        try writeFiles(
            [
                "Package.swift": """
                    // swift-tools-version:5.9
                    import PackageDescription

                    let package = Package(
                        name: "\(name)",
                        dependencies: [.package(id: "\(Self.identifier)", \(requirement))],
                        targets: [.target(name: "\(name)", dependencies: [.product(name: "StagedLib", package: "\(Self.identifier)")])]
                    )

                    """,
                "Sources/\(name)/\(name).swift": "import StagedLib\n\npublic let seen = stagedLibVersion\n",
            ],
            to: directory
        )
        try await context.swift.run(
            ["package-registry", "set", context.registryURL], in: directory, timeout: Self.commandTimeout, label: "swift-registry-set-\(name)"
        )
        return directory
    }

    /// The version Package.resolved pins staged.lib at.
    private func pinnedVersion(in package: URL) throws -> String? {
        let resolved = package.appendingPathComponent("Package.resolved")
        guard FileManager.default.fileExists(atPath: resolved.path) else { return nil }
        let pins = try readJSONObject(resolved)["pins"] as? [[String: Any]] ?? []
        let pin = pins.first { ($0["identity"] as? String)?.lowercased() == Self.identifier }
        return (pin?["state"] as? [String: Any])?["version"] as? String
    }

    /// The client downloaded `version` with the exact archive bytes published: its TOFU fingerprint
    /// is the uploaded archive's SHA-256, and the unpacked source is that version's.
    private func checkDownloaded(version: String, in consumer: URL, publishedChecksums: [String]) throws {
        let fingerprints = swiftPMHome.appendingPathComponent(".swiftpm/security/fingerprints/\(Self.identifier).json")
        let json = try readJSONObject(fingerprints)
        let entry = ((json["versionFingerprints"] as? [String: Any])?[version] as? [String: Any])?["registry"] as? [String: Any]
        let fingerprint = ((entry?["sourceCode"] as? [String: Any])?["fingerprint"] as? String)?.lowercased()
        check(
            fingerprint.map { publishedChecksums.contains($0) } == true,
            "the client's fingerprint of \(version) (\(fingerprint ?? "none")) is not the SHA-256 of the archive it published (\(publishedChecksums))"
        )
        let source = consumer.appendingPathComponent(".build/registry/downloads/\(Self.scope)/\(Self.name)/\(version)/Sources/StagedLib/StagedLib.swift")
        check(readText(source).contains("\"\(version)\""), "the downloaded source of \(version) at \(source.path) is not that version's: \(readText(source))")
    }

    // MARK: Helpers

    /// Fails the scenario unless the response has the status.
    private func expect(_ response: APIResponse, _ status: Int, _ what: String) throws {
        guard response.status == status else {
            throw E2EFailure("\(what): expected \(status), got \(response.summary)")
        }
    }

    private func check(_ condition: Bool, _ message: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard !condition else { return }
        failed = true
        Issue.record(Comment(rawValue: message()), sourceLocation: sourceLocation)
    }

    private func sha256(of file: URL) async throws -> String {
        try await sha256Hex(of: file, runner: runner, in: workDirectory)
    }

    func finish() {
        finishScenario("StagedReleaseEndToEnd", workDirectory: workDirectory, logsDirectory: logsDirectory, server: server, failed: failed)
    }

    func diagnosticContext() -> String {
        scenarioDiagnosticContext(workDirectory: workDirectory, logsDirectory: logsDirectory, server: server)
    }
}

// MARK: - TOTP

/// The test's authenticator app. The server accepts a code for the steps around now (one step of
/// drift either way) but never a step at or before the last one it accepted, so each code is for
/// the next unused step, waiting (at most one period) when that step is not yet within reach.
final class TOTPDevice {
    let totp: TOTP
    private var lastStep: UInt64?

    init(totp: TOTP) { self.totp = totp }

    func nextCode() async throws -> String {
        let current = totp.step(at: Date())
        let step = lastStep.map { max(current, $0 + 1) } ?? current
        while totp.step(at: Date()) + 1 < step {
            try await Task.sleep(nanoseconds: 500_000_000)
        }
        lastStep = step
        return totp.code(forStep: step)
    }
}

// MARK: - The JSON API through curl

/// One HTTP exchange: status, the final response's headers (lowercased names) and the body, kept
/// in a file.
struct APIResponse {
    let status: Int
    let headers: [String: String]
    let bodyFile: URL

    var text: String { readText(bodyFile) }
    var json: [String: Any] {
        (FileManager.default.contents(atPath: bodyFile.path).flatMap { try? JSONSerialization.jsonObject(with: $0) }) as? [String: Any] ?? [:]
    }
    func header(_ name: String) -> String? { headers[name.lowercased()] }
    var summary: String { "HTTP \(status): \(text.tail(2_000))" }
}

/// Calls the registry over HTTPS with `curl --cacert <test CA>`. The session cookie lives in a
/// cookie jar; cookie requests send `Origin: <base URL>` (the server checks it on state-changing
/// requests). Request bodies and the Authorization header go through files, so no token or
/// password appears on a command line. Redirects are not followed.
final class RegistryAPI {
    static let registryJSON = "application/vnd.swift.registry.v1+json"
    static let registryZip = "application/vnd.swift.registry.v1+zip"

    enum Credential {
        case anonymous
        case session
        case bearer(String)
    }

    let baseURL: String
    let caCertificate: URL
    let directory: URL
    let runner: CommandRunner
    private let curl: URL
    private var counter = 0

    var cookieJar: URL { directory.appendingPathComponent("cookies.txt") }

    init(baseURL: String, caCertificate: URL, directory: URL, runner: CommandRunner) throws {
        self.baseURL = baseURL
        self.caCertificate = caCertificate
        self.directory = directory
        self.runner = runner
        curl = try requireExecutable("curl")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// `pathOrURL`: a path under the base URL, or an absolute URL (a status URL).
    func call(
        _ method: String, _ pathOrURL: String, json body: [String: Any]? = nil, as credential: Credential = .session,
        origin: Bool = true, accept: String = "application/json", label: String
    ) async throws -> APIResponse {
        counter += 1
        let prefix = numberedFilePrefix(in: directory, counter, label)
        let bodyFile = prefix.appendingPathExtension("body")
        let headersFile = prefix.appendingPathExtension("headers")
        var arguments = [
            "-sS", "--cacert", caCertificate.path, "-X", method, "-o", bodyFile.path, "-D", headersFile.path,
            "-w", "%{http_code}", "-H", "Accept: \(accept)", "--max-time", "60",
        ]
        switch credential {
        case .anonymous:
            break
        case .session:
            arguments += ["-b", cookieJar.path, "-c", cookieJar.path]
            if origin { arguments += ["-H", "Origin: \(baseURL)"] }
        case .bearer(let token):
            let authorization = prefix.appendingPathExtension("authorization")
            try "Authorization: Bearer \(token)\n".write(to: authorization, atomically: true, encoding: .utf8)
            arguments += ["-H", "@\(authorization.path)"]
        }
        if let body {
            let requestFile = prefix.appendingPathExtension("request.json")
            try JSONSerialization.data(withJSONObject: body).write(to: requestFile)
            arguments += ["-H", "Content-Type: application/json", "--data-binary", "@\(requestFile.path)"]
        }
        arguments.append(pathOrURL.hasPrefix("https://") ? pathOrURL : baseURL + pathOrURL)
        let result = try await runner.checked(curl, arguments, in: directory, timeout: 90, label: "api-\(label)")
        guard let status = Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw E2EFailure("curl printed no status code\n\(result.report)")
        }
        return APIResponse(status: status, headers: Self.lastHeaderBlock(readText(headersFile)), bodyFile: bodyFile)
    }

    /// The header fields of the last response in a `curl -D` dump (after any 100 Continue).
    static func lastHeaderBlock(_ dump: String) -> [String: String] {
        let normalized = dump.replacingOccurrences(of: "\r\n", with: "\n")
        let block = normalized.components(separatedBy: "\n\n").last { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty } ?? ""
        var fields: [String: String] = [:]
        for line in block.split(separator: "\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return fields
    }
}
