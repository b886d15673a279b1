import BulwarkAuth
import BulwarkCore
import BulwarkStorage
import Foundation
import HTTPTypes
import Hummingbird

/// Sign-up, sign-in with a password and a second factor, sign-out (`/api/v1/accounts`, `/api/v1/session…`).
struct SessionController<Context: RequestContext>: Sendable {
    let storage: Storage
    let sessions: Sessions
    let throttle: Throttle
    let log: SecurityLog
    let configuration: AccountSecurityConfiguration
    let ip: @Sendable (Context) -> String?
    let now: @Sendable () -> Date

    func addRoutes(to router: Router<Context>) {
        router.post("/api/v1/accounts", use: signUp)
        router.post("/api/v1/session", use: signIn)
        router.post("/api/v1/session/totp", use: totp)
        router.post("/api/v1/session/recovery-code", use: recoveryCode)
        router.delete("/api/v1/session", use: signOut)
    }

    struct SignUp: Decodable { let username: String; let email: String; let password: String }

    @Sendable func signUp(_ request: Request, context: Context) async throws -> Response {
        guard configuration.allowSignUp else { throw BulwarkError.forbidden("sign-up is closed on this registry: ask its operator for an account") }
        let body = try await decodeBody(SignUp.self, from: request, context: context)
        guard Account.isValidName(body.username) else {
            throw BulwarkError.unprocessable("invalid username: use 1–39 letters, digits, single hyphens or underscores")
        }
        guard body.email.contains("@"), body.email.count <= 254, !body.email.contains(where: \.isWhitespace) else {
            throw BulwarkError.unprocessable("invalid e-mail address")
        }
        guard body.password.count >= configuration.minimumPasswordLength, body.password.utf8.count <= 72 else {
            throw BulwarkError.unprocessable("the password must be \(configuration.minimumPasswordLength) to 72 bytes long")
        }
        let hash = PasswordHasher(cost: configuration.passwordCost).hash(body.password)
        try await storage.accounts.createAccount(Account(name: body.username, email: body.email, passwordHash: hash, createdAt: now()))
        return try jsonResponse(["username": body.username], status: .created)
    }

    struct SignIn: Decodable { let username: String; let password: String }

    @Sendable func signIn(_ request: Request, context: Context) async throws -> Response {
        let body = try await decodeBody(SignIn.self, from: request, context: context)
        let user = body.username.lowercased()
        let keys = ["password:\(user)"] + (ip(context).map { ["password-ip:\($0)"] } ?? [])
        try await throttle.check(keys)
        let account = try await storage.accounts.account(named: body.username)
        let hasher = PasswordHasher(cost: configuration.passwordCost)
        let valid = hasher.verify(body.password, against: account?.passwordHash ?? dummyPasswordHash)
        guard valid, let account, account.passwordHash != nil else {
            try await throttle.fail(keys)
            if let account { await log.record(account.name, .signInFailed, "wrong password", ip: ip(context)) }
            throw BulwarkError.unauthorized("wrong username or password")
        }
        let methods = try await secondFactorMethods(account.name)
        let state: SessionState = !methods.isEmpty ? .secondFactorRequired : (configuration.require2FA ? .enrolmentRequired : .authenticated)
        let cookie = try await sessions.start(account: account.name, state: state, secondFactorVerified: false)
        if state == .authenticated { await log.record(account.name, .signInSucceeded, "password (no second factor required)", ip: ip(context)) }
        var result: [String: Any] = ["state": state.rawValue]
        if state == .secondFactorRequired { result["methods"] = methods }
        return try jsonResponse(result, cookie: cookie)
    }

    /// The second factors an account can use now: `passkey`, `totp`, `recovery-code`.
    func secondFactorMethods(_ account: String) async throws -> [String] {
        var methods: [String] = []
        if !(try await storage.security.passkeys(account: account)).isEmpty { methods.append("passkey") }
        if try await storage.security.totp(account: account)?.confirmed == true { methods.append("totp") }
        if !methods.isEmpty, !(try await storage.security.unusedRecoveryCodes(account: account)).isEmpty { methods.append("recovery-code") }
        return methods
    }

    struct CodeBody: Decodable { let code: String }

    /// The second step of a sign-in, or a step-up when already signed in.
    @Sendable func totp(_ request: Request, context: Context) async throws -> Response {
        let signedIn = try await sessions.requireSignedIn(request)
        let body = try await decodeBody(CodeBody.self, from: request, context: context)
        let account = signedIn.account.name
        let keys = ["totp:\(account.lowercased())"] + (ip(context).map { ["second-factor-ip:\($0)"] } ?? [])
        try await throttle.check(keys)
        guard let enrolment = try await storage.security.totp(account: account), enrolment.confirmed else {
            throw BulwarkError.unprocessable("this account has no authenticator app")
        }
        let secret = try configuration.secretBox.open(Data(enrolment.sealedSecret), context: Data(account.lowercased().utf8))
        let verifier = TOTPVerifier(totp: TOTP(secret: Array(secret)))
        let last = enrolment.lastUsedStep.map { UInt64(max(0, $0)) }
        guard let step = verifier.verify(body.code, at: now(), lastAcceptedStep: last),
            try await storage.security.advanceTOTPStep(account: account, to: Int64(step))
        else {
            try await throttle.fail(keys)
            await log.record(account, .secondFactorFailed, "authenticator app code refused", ip: ip(context))
            throw BulwarkError.unauthorized("the code is wrong, expired or was used already")
        }
        return try await completeSecondFactor(signedIn, method: "authenticator app", context: context)
    }

    @Sendable func recoveryCode(_ request: Request, context: Context) async throws -> Response {
        let signedIn = try await sessions.requireSignedIn(request)
        let body = try await decodeBody(CodeBody.self, from: request, context: context)
        let account = signedIn.account.name
        let keys = ["recovery:\(account.lowercased())"] + (ip(context).map { ["second-factor-ip:\($0)"] } ?? [])
        try await throttle.check(keys)
        let codes = try await storage.security.unusedRecoveryCodes(account: account)
        // Check every stored hash (no early exit), then consume atomically: a code works once.
        var match: RecoveryCodeRecord?
        for code in codes where RecoveryCodes.matches(body.code, hash: code.hash) { match = match ?? code }
        guard let match, try await storage.security.consumeRecoveryCode(id: match.id, at: now()) else {
            try await throttle.fail(keys)
            await log.record(account, .secondFactorFailed, "recovery code refused", ip: ip(context))
            throw BulwarkError.unauthorized("the recovery code is wrong or was used already")
        }
        await log.record(account, .recoveryCodeUsed, "\(codes.count - 1) recovery codes left", ip: ip(context))
        return try await completeSecondFactor(signedIn, method: "recovery code", context: context)
    }

    /// Marks the second factor verified: a sign-in becomes authenticated with a fresh session id;
    /// an authenticated session just records the step-up time.
    func completeSecondFactor(_ signedIn: SignedIn, method: String, passkey: Bool = false, context: Context) async throws -> Response {
        if signedIn.session.state == .authenticated {
            var session = signedIn.session
            session.secondFactorAt = now()
            if passkey { session.passkeyAt = session.secondFactorAt }
            try await storage.security.saveSession(session)
            return try jsonResponse(["state": SessionState.authenticated.rawValue])
        }
        let cookie = try await sessions.start(
            account: signedIn.account.name, state: .authenticated, secondFactorVerified: true, passkey: passkey, replacing: signedIn.session
        )
        await log.record(signedIn.account.name, .signInSucceeded, "password and \(method)", ip: ip(context))
        return try jsonResponse(["state": SessionState.authenticated.rawValue], cookie: cookie)
    }

    @Sendable func signOut(_ request: Request, context: Context) async throws -> Response {
        if let signedIn = try await sessions.current(request) {
            try await storage.security.deleteSession(id: signedIn.session.id)
            await log.record(signedIn.account.name, .signedOut, "signed out", ip: ip(context))
        }
        var response = Response(status: .noContent)
        response.setCookie(sessions.cookie(value: "", maxAge: 0))
        return response
    }
}

/// A bcrypt hash of nothing in particular, checked when the account doesn't exist so that the
/// answer takes as long either way.
let dummyPasswordHash = PasswordHasher(cost: 12).hash("not a password of anyone")
