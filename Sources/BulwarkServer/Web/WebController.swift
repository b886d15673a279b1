import BulwarkAuth
import BulwarkCore
import BulwarkQR
import BulwarkStorage
import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore

/// The server-rendered pages. They only read; every change goes through the JSON API from
/// `/static/bulwark.js`, so the API's `Origin` check and step-up rules protect the pages too.
struct WebController<Context: RequestContext>: Sendable {
    let storage: Storage
    let sessions: Sessions
    let configuration: AccountSecurityConfiguration
    /// Whether passkeys can be used (the server knows its public URL).
    let passkeysAvailable: Bool
    let now: @Sendable () -> Date

    static var contentSecurityPolicy: String { "default-src 'self'; img-src 'self' data:; style-src 'self'" }

    func addRoutes(to router: Router<Context>) {
        router.get("/", use: home)
        router.get("/sign-up", use: signUp)
        router.get("/sign-in", use: signIn)
        router.get("/sign-in/verify", use: verify)
        router.get("/account", use: account)
        router.get("/account/totp", use: totp)
        router.get("/account/security-log", use: securityLog)
        router.get("/static/bulwark.js") { _, _ in Self.asset(WebAssets.script, type: "text/javascript; charset=utf-8") }
        router.get("/static/bulwark.css") { _, _ in Self.asset(WebAssets.stylesheet, type: "text/css; charset=utf-8") }
    }

    // MARK: Responses

    static func securityHeaders(_ headers: inout HTTPFields) {
        headers[HTTPField.Name("Content-Security-Policy")!] = contentSecurityPolicy
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
    }

    static func asset(_ text: String, type: String) -> Response {
        var headers: HTTPFields = [.contentType: type, .cacheControl: "no-cache"]
        securityHeaders(&headers)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// A page: the template rendered into the layout, never cached (some show one-time secrets).
    func page(_ template: String, title: String, model: Any, signedIn: SignedIn?, narrow: Bool = false) -> Response {
        let body = WebTemplates.library.render(model, withTemplate: template) ?? ""
        let layout = LayoutModel(
            title: title, body: body, narrow: narrow, signedIn: signedIn.map { $0.session.state != .secondFactorRequired } ?? false
        )
        let html = WebTemplates.library.render(layout, withTemplate: "layout") ?? ""
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
        Self.securityHeaders(&headers)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func redirect(_ location: String) -> Response {
        var headers: HTTPFields = [.location: location, .cacheControl: "no-store"]
        securityHeaders(&headers)
        return Response(status: .seeOther, headers: headers)
    }

    /// The signed-in caller for a page that needs one, or where to send them instead.
    func require(_ request: Request, allowEnrolment: Bool) async throws -> Result<SignedIn, RedirectTo> {
        guard let signedIn = try await sessions.current(request) else { return .failure(RedirectTo("/sign-in")) }
        switch signedIn.session.state {
        case .secondFactorRequired: return .failure(RedirectTo("/sign-in/verify"))
        case .enrolmentRequired where !allowEnrolment: return .failure(RedirectTo("/account"))
        default: return .success(signedIn)
        }
    }

    struct RedirectTo: Error { let location: String; init(_ location: String) { self.location = location } }

    // MARK: Pages

    @Sendable func home(_ request: Request, context: Context) async throws -> Response {
        let signedIn = try await sessions.current(request)
        let active = signedIn.flatMap { $0.session.state == .secondFactorRequired ? nil : $0 }
        return page("home", title: "Home", model: HomeModel(
            signedIn: active != nil, username: active?.account.name ?? "", signUpOpen: configuration.allowSignUp
        ), signedIn: signedIn)
    }

    @Sendable func signUp(_ request: Request, context: Context) async throws -> Response {
        if let signedIn = try await sessions.current(request), signedIn.session.state != .secondFactorRequired { return Self.redirect("/account") }
        return page("sign-up", title: "Create an account", model: SignUpModel(
            open: configuration.allowSignUp, minimumPasswordLength: configuration.minimumPasswordLength
        ), signedIn: nil, narrow: true)
    }

    @Sendable func signIn(_ request: Request, context: Context) async throws -> Response {
        if let signedIn = try await sessions.current(request) {
            return Self.redirect(signedIn.session.state == .secondFactorRequired ? "/sign-in/verify" : "/account")
        }
        return page("sign-in", title: "Sign in", model: SignInModel(signUpOpen: configuration.allowSignUp), signedIn: nil, narrow: true)
    }

    @Sendable func verify(_ request: Request, context: Context) async throws -> Response {
        guard let signedIn = try await sessions.current(request) else { return Self.redirect("/sign-in") }
        guard signedIn.session.state == .secondFactorRequired else { return Self.redirect("/account") }
        let name = signedIn.account.name
        let hasPasskeys = !(try await storage.security.passkeys(account: name)).isEmpty
        let passkey = passkeysAvailable && hasPasskeys
        let totp = try await storage.security.totp(account: name)?.confirmed == true
        let codes = !(try await storage.security.unusedRecoveryCodes(account: name)).isEmpty
        return page("verify", title: "Confirm it's you", model: VerifyModel(
            username: name, passkey: passkey, totp: totp, recoveryCode: codes
        ), signedIn: signedIn, narrow: true)
    }

    @Sendable func account(_ request: Request, context: Context) async throws -> Response {
        let signedIn: SignedIn
        switch try await require(request, allowEnrolment: true) {
        case .failure(let redirect): return Self.redirect(redirect.location)
        case .success(let s): signedIn = s
        }
        let name = signedIn.account.name
        let passkeys = try await storage.security.passkeys(account: name).map { p in
            PasskeyRow(
                id: p.id, name: p.name, createdISO: Timestamp.iso8601(p.createdAt), created: Self.display(p.createdAt),
                lastUsedISO: p.lastUsedAt.map(Timestamp.iso8601), lastUsed: p.lastUsedAt.map(Self.display) ?? "never",
                kind: p.backedUp ? "synced" : "device-bound"
            )
        }
        let enrolment = try await storage.security.totp(account: name)
        let totp = enrolment?.confirmed == true
        let codesLeft = try await storage.security.unusedRecoveryCodes(account: name).count
        let authenticated = signedIn.session.state == .authenticated
        var tokens: [TokenRow] = []
        var scopes: [String] = []
        if authenticated {
            scopes = try await storage.scopes.scopes(ownedBy: name).sorted()
            tokens = try await storage.tokens.tokens(ofAccount: name).sorted { $0.createdAt > $1.createdAt }.map { t in
                TokenRow(
                    id: t.id, packages: t.packages.map(\.description).joined(separator: ", "),
                    createdISO: Timestamp.iso8601(t.createdAt), created: Self.display(t.createdAt),
                    expires: t.expiresAt.map(Self.display) ?? "never", lastUsed: t.lastUsedAt.map(Self.display) ?? "never",
                    revoked: t.revokedAt != nil
                )
            }
        }
        let model = AccountModel(
            username: name, email: signedIn.account.email, enrolmentRequired: signedIn.session.state == .enrolmentRequired,
            authenticated: authenticated, passkeysAvailable: passkeysAvailable, passkeys: passkeys, hasPasskeys: !passkeys.isEmpty,
            totp: totp, totpCreated: totp ? enrolment.map { Self.display($0.createdAt) } : nil,
            totpCreatedISO: enrolment.map { Timestamp.iso8601($0.createdAt) } ?? "",
            recoveryCodesLeft: codesLeft, hasFactor: totp || !passkeys.isEmpty, tokens: tokens, hasTokens: !tokens.isEmpty,
            scopes: scopes, hasScopes: !scopes.isEmpty, suggestedScope: scopes.isEmpty ? name : "",
            tokenPackages: (scopes.isEmpty ? [name] : scopes).map { "\($0).*" }.joined(separator: ", ")
        )
        return page("account", title: "Your account", model: model, signedIn: signedIn)
    }

    /// Starts (or restarts) a pending authenticator-app enrolment and shows its secret once:
    /// the QR code of the `otpauth://` URI and the base32 key. The secret is stored sealed and
    /// becomes active only after `POST /api/v1/account/totp/confirm` with a correct code.
    @Sendable func totp(_ request: Request, context: Context) async throws -> Response {
        let signedIn: SignedIn
        switch try await require(request, allowEnrolment: true) {
        case .failure(let redirect): return Self.redirect(redirect.location)
        case .success(let s): signedIn = s
        }
        let name = signedIn.account.name
        if try await storage.security.totp(account: name)?.confirmed == true {
            return page("totp", title: "Add an authenticator app", model: TOTPModel(alreadyActive: true), signedIn: signedIn)
        }
        var rng = SystemRandomNumberGenerator()
        let generator = TOTP(secret: TOTP.generateSecret(using: &rng))
        let sealed = try configuration.secretBox.seal(generator.secret, context: Data(name.lowercased().utf8))
        try await storage.security.saveTOTP(TOTPEnrolment(
            account: name, sealedSecret: Array(sealed), confirmed: false, lastUsedStep: nil, createdAt: now()
        ))
        let uri = generator.otpauthURI(issuer: configuration.issuer, account: name)
        let secret = Base32.encode(generator.secret)
        let model = TOTPModel(
            alreadyActive: false, qrSVG: try Self.inlineQRCode(uri), secretGrouped: Self.grouped(secret), otpauthURI: uri,
            username: name, issuer: configuration.issuer
        )
        return page("totp", title: "Add an authenticator app", model: model, signedIn: signedIn)
    }

    @Sendable func securityLog(_ request: Request, context: Context) async throws -> Response {
        let signedIn: SignedIn
        switch try await require(request, allowEnrolment: false) {
        case .failure(let redirect): return Self.redirect(redirect.location)
        case .success(let s): signedIn = s
        }
        let events = try await storage.security.events(account: signedIn.account.name, limit: 200).map { e in
            EventRow(atISO: Timestamp.iso8601(e.at), at: Self.display(e.at), label: Self.label(e.kind), detail: e.detail, ip: e.ip ?? "—")
        }
        return page("security-log", title: "Security log", model: SecurityLogModel(
            username: signedIn.account.name, events: events, hasEvents: !events.isEmpty
        ), signedIn: signedIn)
    }

    // MARK: Formatting

    /// The QR code as an inline `<svg>` element (no XML declaration), labelled for screen readers.
    static func inlineQRCode(_ text: String) throws -> String {
        let svg = try QRCode(text: text, errorCorrection: .medium).svg(moduleSize: 5, quietZone: 4)
        guard let start = svg.range(of: "<svg") else { return svg }
        return String(svg[start.lowerBound...])
            .replacingOccurrences(of: "<svg ", with: "<svg aria-hidden=\"true\" focusable=\"false\" ")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `JBSWY3DPEHPK3PXP` → `JBSW Y3DP EHPK 3PXP`, easier to type.
    static func grouped(_ secret: String) -> String {
        var out = ""
        for (i, c) in secret.enumerated() {
            if i > 0, i % 4 == 0 { out.append(" ") }
            out.append(c)
        }
        return out
    }

    static func display(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        func two(_ n: Int?) -> String { String(format: "%02d", n ?? 0) }
        return "\(c.year ?? 0)-\(two(c.month))-\(two(c.day)) \(two(c.hour)):\(two(c.minute)) UTC"
    }

    static var labels: [String: String] {
        [
        "sign-in-succeeded": "Signed in", "sign-in-failed": "Sign-in failed", "second-factor-failed": "Second factor refused",
        "factor-added": "Factor added", "factor-removed": "Factor removed", "recovery-code-used": "Recovery code used",
        "recovery-codes-regenerated": "New recovery codes", "token-created": "Token created", "token-revoked": "Token revoked",
        "signed-out": "Signed out",
        ]
    }

    static func label(_ kind: SecurityEvent.Kind) -> String { labels[kind.rawValue] ?? kind.rawValue }
}
