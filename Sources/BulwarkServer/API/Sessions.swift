import BulwarkAuth
import BulwarkCore
import BulwarkStorage
import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// A signed-in caller, as the API sees it.
struct SignedIn: Sendable {
    let session: SessionRecord
    let account: Account
}

/// Server-side sessions behind an `HttpOnly`, `SameSite=Strict` cookie that carries a random token;
/// only the token's SHA-256 is stored, so a database leak doesn't leak sessions.
struct Sessions: Sendable {
    static let cookieName = "bulwark_session"

    let storage: Storage
    let configuration: AccountSecurityConfiguration
    let secureCookies: Bool
    let now: @Sendable () -> Date

    /// Starts a new session (a new id at every sign-in: no fixation) and returns its cookie.
    /// `passkey`: the second factor was a passkey (packages with `secondFactor: passkey` need one fresh).
    func start(
        account: String, state: SessionState, secondFactorVerified: Bool, passkey: Bool = false, replacing old: SessionRecord? = nil
    ) async throws -> Cookie {
        if let old { try await storage.security.deleteSession(id: old.id) }
        var bytes = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
        let token = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let at = now()
        try await storage.security.saveSession(SessionRecord(
            id: Self.hash(token), account: account, state: state, createdAt: old?.createdAt ?? at, lastSeenAt: at,
            secondFactorAt: secondFactorVerified ? at : old?.secondFactorAt, passkeyAt: passkey ? at : old?.passkeyAt
        ))
        // At most `maxSessionsPerAccount`: the least recently used ones beyond it are signed out.
        if configuration.maxSessionsPerAccount > 0, let limiting = storage.security as? any SessionLimiting {
            _ = try await limiting.trimSessions(account: account, keep: configuration.maxSessionsPerAccount, sparing: Self.hash(token))
        }
        return cookie(value: token, maxAge: Int(configuration.sessionAbsoluteTimeout))
    }

    func cookie(value: String, maxAge: Int) -> Cookie {
        Cookie(name: Self.cookieName, value: value, maxAge: maxAge, path: "/", secure: secureCookies, httpOnly: true, sameSite: .strict)
    }

    /// The caller's session, if the cookie names a live one (idle and absolute timeouts applied).
    func current(_ request: Request) async throws -> SignedIn? {
        guard let token = request.cookies[Self.cookieName]?.value, !token.isEmpty, token.utf8.count <= 100 else { return nil }
        let id = Self.hash(token)
        guard var session = try await storage.security.session(id: id) else { return nil }
        let at = now()
        if at.timeIntervalSince(session.lastSeenAt) > configuration.sessionIdleTimeout
            || at.timeIntervalSince(session.createdAt) > configuration.sessionAbsoluteTimeout
        {
            try await storage.security.deleteSession(id: id)
            return nil
        }
        guard let account = try await storage.accounts.account(named: session.account) else { return nil }
        if at.timeIntervalSince(session.lastSeenAt) > 60 {
            session.lastSeenAt = at
            try await storage.security.saveSession(session)
        }
        return SignedIn(session: session, account: account)
    }

    /// A fully signed-in caller, or 401.
    func requireAuthenticated(_ request: Request) async throws -> SignedIn {
        guard let signedIn = try await current(request) else { throw BulwarkError.unauthorized("sign in first") }
        guard signedIn.session.state == .authenticated else {
            throw BulwarkError.unauthorized("finish signing in with your second factor first")
        }
        return signedIn
    }

    /// A caller who has at least passed the password step (enrolment pages need this).
    func requireSignedIn(_ request: Request) async throws -> SignedIn {
        guard let signedIn = try await current(request) else { throw BulwarkError.unauthorized("sign in first") }
        return signedIn
    }

    /// A sensitive action needs a second factor verified within the step-up window.
    func requireStepUp(_ signedIn: SignedIn) throws {
        guard let at = signedIn.session.secondFactorAt, now().timeIntervalSince(at) <= configuration.stepUpWindow else {
            throw StepUpRequired(window: configuration.stepUpWindow)
        }
    }

    /// A sensitive action that only a passkey may authorise: a passkey verified within the step-up
    /// window (a TOTP or recovery-code step-up doesn't count).
    func requirePasskeyStepUp(_ signedIn: SignedIn, for what: String) throws {
        guard let at = signedIn.session.passkeyAt, now().timeIntervalSince(at) <= configuration.stepUpWindow else {
            throw PasskeyStepUpRequired(what: what, window: configuration.stepUpWindow)
        }
    }

    static func hash(_ token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// 403 with problem type `…/step-up-required`: the client should ask for a second factor
/// (`POST /api/v1/session/totp` or `/webauthn`) and retry.
struct StepUpRequired: Error {
    let window: TimeInterval
    static let type = "https://bulwark.dev/problems/step-up-required"
}

/// 403 with problem type `…/passkey-required`: the package demands passkeys, and the session has no
/// passkey verified within the step-up window. The client should step up with a passkey
/// (`POST /api/v1/session/webauthn/options`, then `POST /api/v1/session/webauthn`) and retry.
struct PasskeyStepUpRequired: Error {
    let what: String
    let window: TimeInterval
    static let type = "https://bulwark.dev/problems/passkey-required"

    var detail: String {
        "\(what) needs a passkey verified in the last \(Int(window / 60)) minutes (an authenticator-app or recovery code doesn't count): "
            + "step up with POST /api/v1/session/webauthn/options and POST /api/v1/session/webauthn"
    }
}
