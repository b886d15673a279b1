import BulwarkAuth
import BulwarkServer
import BulwarkTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The server-rendered pages: they render, send signed-out visitors to sign in, carry the
/// security headers, and show no secret except the one-time TOTP secret on the enrolment page.
@Suite struct WebPageTests {
    let clock = TestClock()

    func registry(_ configure: @escaping (inout ServerConfiguration) -> Void = { _ in }) async throws -> TestRegistry {
        try await TestRegistry(configure: {
            $0.security.passwordCost = 4
            configure(&$0)
        }, now: { [clock] in clock.now })
    }

    func expectPageHeaders(_ response: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.headers[.contentType] == "text/html; charset=utf-8", sourceLocation: sourceLocation)
        #expect(
            response.headers[HTTPField.Name("Content-Security-Policy")!] == "default-src 'self'; img-src 'self' data:; style-src 'self'",
            sourceLocation: sourceLocation
        )
        #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY", sourceLocation: sourceLocation)
        #expect(response.headers[.cacheControl] == "no-store", sourceLocation: sourceLocation)
        let html = response.text
        #expect(html.hasPrefix("<!doctype html>"), sourceLocation: sourceLocation)
        // No inline scripts or styles: the CSP would block them.
        #expect(!html.contains("<script>") && !html.contains("<style"), sourceLocation: sourceLocation)
        #expect(!html.contains(" style=\""), sourceLocation: sourceLocation)
        #expect(!html.contains(" onclick="), sourceLocation: sourceLocation)
        #expect(html.contains("<script src=\"/static/bulwark.js\" defer></script>"), sourceLocation: sourceLocation)
    }

    /// Signs up `mona` and signs in with the password (enrolment-required).
    func signUp(_ browser: Browser, email: String = "mona@example.com") async throws {
        #expect(try await browser.send(.post, "/api/v1/accounts", json: ["username": "mona", "email": email, "password": "correct horse battery"]).status == .created)
        let signIn = try await browser.send(.post, "/api/v1/session", json: ["username": "mona", "password": "correct horse battery"])
        #expect(signIn.json["state"] as? String == "enrolment-required")
    }

    /// The base32 secret shown on the enrolment page.
    func secret(in html: String) throws -> String {
        let marker = "<code id=\"totp-secret\" class=\"secret\">"
        let start = try #require(html.range(of: marker))
        let rest = html[start.upperBound...]
        return String(rest.prefix { $0 != "<" }).replacingOccurrences(of: " ", with: "")
    }

    @Test func publicPagesRender() async throws {
        let registry = try await registry()
        try await registry.test { client async throws in
            let browser = Browser(client)
            for (path, text) in [("/", "Sign in"), ("/sign-in", "Sign in with a passkey"), ("/sign-up", "Create account")] {
                let response = try await browser.send(.get, path)
                #expect(response.status == .ok, "\(path)")
                expectPageHeaders(response)
                #expect(response.text.contains(text), "\(path)")
            }
            let signIn = try await browser.send(.get, "/sign-in").text
            #expect(signIn.contains("<form id=\"sign-in-form\""))
            #expect(signIn.contains("autocomplete=\"current-password\""))
            #expect(signIn.contains("<label for=\"username\">"))
        }
    }

    @Test func staticAssetsAreServed() async throws {
        let registry = try await registry()
        try await registry.test { client async throws in
            let script = try await client.execute(uri: "/static/bulwark.js", method: .get)
            #expect(script.status == .ok)
            #expect(script.headers[.contentType] == "text/javascript; charset=utf-8")
            for api in ["parseCreationOptionsFromJSON", "parseRequestOptionsFromJSON", "toJSON()", "/api/v1/session/webauthn"] {
                #expect(script.text.contains(api), "\(api)")
            }
            let css = try await client.execute(uri: "/static/bulwark.css", method: .get)
            #expect(css.status == .ok)
            #expect(css.headers[.contentType] == "text/css; charset=utf-8")
        }
    }

    @Test func signedOutVisitorsAreSentToSignIn() async throws {
        let registry = try await registry()
        try await registry.test { client async throws in
            let browser = Browser(client)
            for path in ["/account", "/account/totp", "/account/security-log", "/sign-in/verify"] {
                let response = try await browser.send(.get, path)
                #expect(response.status == .seeOther, "\(path)")
                #expect(response.headers[.location] == "/sign-in", "\(path)")
            }
            // A made-up cookie is no session either.
            browser.cookie = "not-a-session"
            #expect(try await browser.send(.get, "/account").headers[.location] == "/sign-in")
        }
    }

    @Test func signUpPageSaysWhenSignUpIsClosed() async throws {
        let registry = try await registry { $0.security.allowSignUp = false }
        try await registry.test { client async throws in
            let page = try await client.execute(uri: "/sign-up", method: .get)
            #expect(page.status == .ok)
            #expect(page.text.contains("Sign-up is closed"))
            #expect(!page.text.contains("sign-up-form"))
            #expect(!(try await client.execute(uri: "/", method: .get).text.contains("Create an account")))
        }
    }

    @Test func enrolmentPageShowsTheSecretOnceAndActivatesWithACode() async throws {
        let registry = try await registry()
        try await registry.test { client async throws in
            let browser = Browser(client)
            try await signUp(browser)
            let account = try await browser.send(.get, "/account")
            #expect(account.status == .ok)
            expectPageHeaders(account)
            #expect(account.text.contains("requires a second factor"))
            #expect(account.text.contains("href=\"/account/totp\""))
            #expect(account.text.contains("id=\"add-passkey-form\""))
            // The security log needs a second factor first.
            #expect(try await browser.send(.get, "/account/security-log").headers[.location] == "/account")

            let enrolment = try await browser.send(.get, "/account/totp")
            #expect(enrolment.status == .ok)
            expectPageHeaders(enrolment)
            let html = enrolment.text
            #expect(html.contains("<svg aria-hidden=\"true\""))
            #expect(!html.contains("<?xml"))
            #expect(html.contains("role=\"img\" aria-label=\"QR code for your authenticator app\""))
            let secret = try secret(in: html)
            #expect(secret.count == 32)
            // The otpauth:// URI (for a phone's authenticator app) carries the same secret.
            #expect(html.contains("href=\"otpauth://totp/Bulwark:mona?secret=\(secret)&amp;issuer=Bulwark"))
            let totp = TOTP(secret: try Base32.decode(secret))
            let confirm = try await browser.send(.post, "/api/v1/account/totp/confirm", json: ["code": totp.code(at: clock.now)])
            #expect(confirm.status == .ok, "\(confirm.text)")
            let codes = try #require(confirm.json["recoveryCodes"] as? [String])

            // Now active: the enrolment page no longer shows a secret, and no page shows the
            // secret, a recovery code or the session cookie.
            let again = try await browser.send(.get, "/account/totp").text
            #expect(again.contains("already has an authenticator app"))
            #expect(!again.contains("totp-secret"))
            let cookie = try #require(browser.cookie)
            for path in ["/", "/account", "/account/totp", "/account/security-log"] {
                let page = try await browser.send(.get, path)
                #expect(page.status == .ok, "\(path)")
                for secretText in [secret, TOTP_grouped(secret), cookie] + codes {
                    #expect(!page.text.contains(secretText), "\(path) shows a secret")
                }
            }
            let accountPage = try await browser.send(.get, "/account").text
            #expect(accountPage.contains("<span class=\"pill on\">Active</span>"))
            #expect(accountPage.contains("<strong id=\"recovery-codes-left\">10</strong>"))
            #expect(!accountPage.contains("requires a second factor"))
        }
    }

    /// The inline SVG decodes, with an independent decoder, to the page's otpauth:// URI.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/rsvg-convert")
        && FileManager.default.isExecutableFile(atPath: "/usr/bin/zbarimg"), "needs rsvg-convert and zbarimg"))
    func enrolmentQRCodeDecodesToTheOTPAuthURI() async throws {
        let registry = try await registry()
        try await registry.test { client async throws in
            let browser = Browser(client)
            try await signUp(browser)
            let html = try await browser.send(.get, "/account/totp").text
            let svgStart = try #require(html.range(of: "<svg "))
            let svgEnd = try #require(html.range(of: "</svg>", range: svgStart.upperBound..<html.endIndex))
            let svg = String(html[svgStart.lowerBound..<svgEnd.upperBound])
            let hrefStart = try #require(html.range(of: "<a id=\"otpauth-link\" href=\""))
            let uri = String(html[hrefStart.upperBound...].prefix { $0 != "\"" }).replacingOccurrences(of: "&amp;", with: "&")

            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-qr-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            try Data(svg.utf8).write(to: directory.appendingPathComponent("qr.svg"))
            _ = try run("/usr/bin/rsvg-convert", ["-w", "400", "-b", "white", "qr.svg", "-o", "qr.png"], in: directory)
            let decoded = try run("/usr/bin/zbarimg", ["--raw", "-q", "qr.png"], in: directory)
            #expect(decoded.trimmingCharacters(in: .whitespacesAndNewlines) == uri)
            #expect(uri.hasPrefix("otpauth://totp/Bulwark:mona?secret=\(try secret(in: html))&issuer=Bulwark"))
        }
    }

    func run(_ executable: String, _ arguments: [String], in directory: URL) throws -> String {
        let outcome = try ChildProcess.runBlocking(executable, arguments, directory: directory.path, stderr: .discard)
        #expect(outcome.termination == .exited(0), "\(executable) \(arguments)")
        return outcome.stdoutText
    }

    @Test func secondStepPageOffersTheAccountsFactors() async throws {
        let registry = try await registry()
        try await registry.test { client async throws in
            let browser = Browser(client)
            try await signUp(browser)
            let secret = try secret(in: try await browser.send(.get, "/account/totp").text)
            let totp = TOTP(secret: try Base32.decode(secret))
            _ = try await browser.send(.post, "/api/v1/account/totp/confirm", json: ["code": totp.code(at: clock.now)])
            #expect(try await browser.send(.delete, "/api/v1/session").status == .noContent)
            _ = try await browser.send(.post, "/api/v1/session", json: ["username": "mona", "password": "correct horse battery"])

            // Half signed in: account pages send to the second step, which offers TOTP and recovery codes.
            #expect(try await browser.send(.get, "/account").headers[.location] == "/sign-in/verify")
            #expect(try await browser.send(.get, "/sign-in").headers[.location] == "/sign-in/verify")
            let verify = try await browser.send(.get, "/sign-in/verify")
            #expect(verify.status == .ok)
            expectPageHeaders(verify)
            #expect(verify.text.contains("id=\"totp-form\""))
            #expect(verify.text.contains("id=\"recovery-form\""))
            #expect(!verify.text.contains("id=\"second-factor-passkey\""))
            #expect(verify.text.contains("Signing in as <strong>mona</strong>"))

            clock.advance(30)
            #expect(try await browser.send(.post, "/api/v1/session/totp", json: ["code": totp.code(at: clock.now)]).status == .ok)
            #expect(try await browser.send(.get, "/sign-in/verify").headers[.location] == "/account")
        }
    }

    @Test func accountPageListsTokensWithoutTheirSecretsAndTheLogShowsEvents() async throws {
        let registry = try await registry()
        try await registry.test { client async throws in
            let browser = Browser(client)
            try await signUp(browser, email: "<b>mona</b>@example.com")
            let secret = try secret(in: try await browser.send(.get, "/account/totp").text)
            let totp = TOTP(secret: try Base32.decode(secret))
            _ = try await browser.send(.post, "/api/v1/account/totp/confirm", json: ["code": totp.code(at: clock.now)])
            #expect(try await browser.send(.get, "/account").text.contains("You own no scope yet"))
            #expect(try await browser.send(.post, "/api/v1/scopes", json: ["name": "mona"]).status == .created)
            let created = try await browser.send(.post, "/api/v1/tokens", json: ["scopes": ["publish"], "packages": ["mona.*"], "expiresInDays": 30])
            #expect(created.status == .created, "\(created.text)")
            let token = try #require(created.json["token"] as? String)
            let id = try #require(created.json["id"] as? String)

            let account = try await browser.send(.get, "/account").text
            #expect(account.contains("data-revoke-token=\"\(id)\""))
            #expect(account.contains("mona.*"))
            #expect(account.contains("<span class=\"pill mono\">mona</span>"))
            #expect(!account.contains(token))
            // Values are escaped.
            #expect(account.contains("&lt;b&gt;mona&lt;/b&gt;@example.com"))
            #expect(!account.contains("<b>mona</b>"))

            let log = try await browser.send(.get, "/account/security-log")
            #expect(log.status == .ok)
            expectPageHeaders(log)
            #expect(log.text.contains("Token created"))
            #expect(log.text.contains("Factor added"))
            #expect(!log.text.contains(token))
        }
    }

    @Test func routesDoNotShadowTheRegistry() async throws {
        let registry = try await registry()
        try await registry.test { client async throws in
            // Two-segment page paths win over /{scope}/{name}, and registry paths still work.
            #expect(try await client.execute(uri: "/account/totp", method: .get).status == .seeOther)
            let releases = try await client.execute(uri: "/test/pkg", method: .get, headers: [.accept: "application/vnd.swift.registry.v1+json"])
            #expect(releases.status == .notFound)
            #expect(releases.headers[.contentType] == "application/problem+json")
        }
    }
}

/// The secret as the page groups it.
func TOTP_grouped(_ secret: String) -> String {
    stride(from: 0, to: secret.count, by: 4).map { i -> String in
        let start = secret.index(secret.startIndex, offsetBy: i)
        return String(secret[start..<(secret.index(start, offsetBy: 4, limitedBy: secret.endIndex) ?? secret.endIndex)])
    }.joined(separator: " ")
}
