import BulwarkAuth
import BulwarkCore
import BulwarkStorage
import Foundation
import HTTPTypes
import Hummingbird

/// The signed-in account: its second factors, recovery codes, API tokens and security log.
struct AccountController<Context: RequestContext>: Sendable {
    let storage: Storage
    let sessions: Sessions
    let log: SecurityLog
    let configuration: AccountSecurityConfiguration
    let ip: @Sendable (Context) -> String?
    let now: @Sendable () -> Date

    func addRoutes(to router: Router<Context>) {
        router.get("/api/v1/account", use: account)
        router.post("/api/v1/account/totp", use: startTOTP)
        router.post("/api/v1/account/totp/confirm", use: confirmTOTP)
        router.delete("/api/v1/account/totp", use: deleteTOTP)
        router.post("/api/v1/account/recovery-codes", use: regenerateRecoveryCodes)
        router.get("/api/v1/account/events", use: events)
        router.post("/api/v1/tokens", use: createToken)
        router.get("/api/v1/tokens", use: listTokens)
        router.delete("/api/v1/tokens/:id", use: revokeToken)
    }

    @Sendable func account(_ request: Request, context: Context) async throws -> Response {
        let signedIn = try await sessions.requireSignedIn(request)
        let name = signedIn.account.name
        let passkeys = try await storage.security.passkeys(account: name).map { p -> [String: Any] in
            var entry: [String: Any] = ["id": p.id, "name": p.name, "createdAt": Timestamp.iso8601(p.createdAt), "backedUp": p.backedUp]
            entry["lastUsedAt"] = p.lastUsedAt.map(Timestamp.iso8601) ?? NSNull()
            return entry
        }
        let totp = try await storage.security.totp(account: name)?.confirmed == true
        let codesLeft = try await storage.security.unusedRecoveryCodes(account: name).count
        return try jsonResponse([
            "username": name, "email": signedIn.account.email, "state": signedIn.session.state.rawValue,
            "secondFactors": ["totp": totp, "passkeys": passkeys, "recoveryCodesLeft": codesLeft] as [String: Any],
        ])
    }

    // MARK: TOTP enrolment

    @Sendable func startTOTP(_ request: Request, context: Context) async throws -> Response {
        let signedIn = try await sessions.requireSignedIn(request)
        guard signedIn.session.state != .secondFactorRequired else { throw BulwarkError.unauthorized("finish signing in first") }
        let name = signedIn.account.name
        if try await storage.security.totp(account: name)?.confirmed == true {
            throw BulwarkError.conflict("this account already has an authenticator app: remove it first")
        }
        var rng = SystemRandomNumberGenerator()
        let totp = TOTP(secret: TOTP.generateSecret(using: &rng))
        let sealed = try configuration.secretBox.seal(totp.secret, context: Data(name.lowercased().utf8))
        try await storage.security.saveTOTP(TOTPEnrolment(
            account: name, sealedSecret: Array(sealed), confirmed: false, lastUsedStep: nil, createdAt: now()
        ))
        return try jsonResponse([
            "secret": Base32.encode(totp.secret),
            "otpauthURI": totp.otpauthURI(issuer: configuration.issuer, account: name),
        ])
    }

    struct CodeBody: Decodable { let code: String }

    /// Activates the pending authenticator with one correct code; the first factor of an account
    /// also gets its recovery codes, shown once.
    @Sendable func confirmTOTP(_ request: Request, context: Context) async throws -> Response {
        let signedIn = try await sessions.requireSignedIn(request)
        guard signedIn.session.state != .secondFactorRequired else { throw BulwarkError.unauthorized("finish signing in first") }
        let name = signedIn.account.name
        let body = try await decodeBody(CodeBody.self, from: request, context: context)
        guard let pending = try await storage.security.totp(account: name), !pending.confirmed else {
            throw BulwarkError.conflict("there is no authenticator app waiting for confirmation: start with POST /api/v1/account/totp")
        }
        let secret = try configuration.secretBox.open(Data(pending.sealedSecret), context: Data(name.lowercased().utf8))
        guard let step = TOTPVerifier(totp: TOTP(secret: Array(secret))).verify(body.code, at: now(), lastAcceptedStep: nil) else {
            throw BulwarkError.unprocessable("the code doesn't match: check the time on your device and enter the current code")
        }
        // A first factor comes with its recovery codes, stored in the same transaction: a crash
        // can't leave the authenticator active without them.
        let codes = newRecoveryCodes(name)
        guard let codesStored = try await storage.security.confirmTOTP(account: name, step: Int64(step), firstFactorRecoveryCodes: codes.records) else {
            throw BulwarkError.conflict("the authenticator app was removed meanwhile")
        }
        await log.record(name, .factorAdded, "authenticator app", ip: ip(context))
        var result: [String: Any] = ["totp": true]
        if codesStored { result["recoveryCodes"] = codes.codes }
        // Enrolling the first factor completes a sign-in that was waiting for it.
        var cookie: Cookie?
        if signedIn.session.state == .enrolmentRequired {
            cookie = try await sessions.start(account: name, state: .authenticated, secondFactorVerified: true, replacing: signedIn.session)
        }
        return try jsonResponse(result, cookie: cookie)
    }

    func hasNoConfirmedFactor(_ name: String) async throws -> Bool {
        let totp = try await storage.security.totp(account: name)?.confirmed == true
        let passkeys = try await storage.security.passkeys(account: name)
        return !totp && passkeys.isEmpty
    }

    /// Ten new single-use codes; only their hashes are stored.
    func issueRecoveryCodes(_ name: String) async throws -> [String] {
        let generated = newRecoveryCodes(name)
        try await storage.security.replaceRecoveryCodes(account: name, codes: generated.records)
        return generated.codes
    }

    /// Ten new codes (to show once) and the records of their hashes (to store).
    func newRecoveryCodes(_ name: String) -> (codes: [String], records: [RecoveryCodeRecord]) {
        var rng = SystemRandomNumberGenerator()
        let generated = RecoveryCodes.generate(using: &rng)
        return (generated.codes, generated.hashes.map { RecoveryCodeRecord(id: UUID().uuidString.lowercased(), account: name, hash: $0) })
    }

    @Sendable func deleteTOTP(_ request: Request, context: Context) async throws -> Response {
        let signedIn = try await sessions.requireAuthenticated(request)
        try sessions.requireStepUp(signedIn)
        let name = signedIn.account.name
        guard try await storage.security.totp(account: name)?.confirmed == true else {
            throw BulwarkError.notFound("this account has no authenticator app")
        }
        if configuration.require2FA, try await storage.security.passkeys(account: name).isEmpty {
            throw BulwarkError.conflict("the authenticator app is your last second factor: add a passkey before removing it")
        }
        try await storage.security.deleteTOTP(account: name)
        await log.record(name, .factorRemoved, "authenticator app", ip: ip(context))
        return Response(status: .noContent)
    }

    @Sendable func regenerateRecoveryCodes(_ request: Request, context: Context) async throws -> Response {
        let signedIn = try await sessions.requireAuthenticated(request)
        try sessions.requireStepUp(signedIn)
        let name = signedIn.account.name
        if try await hasNoConfirmedFactor(name) { throw BulwarkError.conflict("enrol a second factor first") }
        let codes = try await issueRecoveryCodes(name)
        await log.record(name, .recoveryCodesRegenerated, "10 new recovery codes", ip: ip(context))
        return try jsonResponse(["recoveryCodes": codes])
    }

    @Sendable func events(_ request: Request, context: Context) async throws -> Response {
        let signedIn = try await sessions.requireAuthenticated(request)
        let events = try await storage.security.events(account: signedIn.account.name, limit: 200).map { e -> [String: Any] in
            ["kind": e.kind.rawValue, "detail": e.detail, "ip": e.ip ?? NSNull(), "at": Timestamp.iso8601(e.at)]
        }
        return try jsonResponse(["events": events])
    }

    // MARK: API tokens

    struct NewToken: Decodable {
        let name: String?
        let scopes: [String]
        let packages: [String]
        let expiresInDays: Int?
    }

    /// A sensitive action: needs a second factor within the step-up window.
    @Sendable func createToken(_ request: Request, context: Context) async throws -> Response {
        let signedIn = try await sessions.requireAuthenticated(request)
        try sessions.requireStepUp(signedIn)
        let body = try await decodeBody(NewToken.self, from: request, context: context)
        let permissions = try body.scopes.map { scope -> TokenPermission in
            guard let p = TokenPermission(rawValue: scope) else { throw BulwarkError.unprocessable("unknown token scope '\(scope)': use publish or yank") }
            return p
        }
        guard !permissions.isEmpty else { throw BulwarkError.unprocessable("a token needs at least one scope") }
        guard !body.packages.isEmpty, body.packages.count <= 100 else { throw BulwarkError.unprocessable("name 1 to 100 packages (scope.name or scope.*)") }
        let patterns = try body.packages.map { try PackagePattern($0) }
        try await PackageAccess(storage: storage, configuration: configuration, now: now).requireTokenCoverage(account: signedIn.account.name, of: patterns)
        // Tokens always expire: the default, and never later than the operator's maximum.
        let days = body.expiresInDays ?? min(configuration.defaultTokenDays, configuration.maxTokenDays)
        guard (1...configuration.maxTokenDays).contains(days) else {
            throw BulwarkError.badRequest("expiresInDays must be between 1 and \(configuration.maxTokenDays) (this registry's maximum token lifetime)")
        }
        let minted = APIToken.mint()
        let at = now()
        let record = TokenRecord(
            id: UUID().uuidString.lowercased(), hash: minted.hash, account: signedIn.account.name,
            permissions: TokenPermission.allCases.filter(permissions.contains), packages: patterns, createdAt: at, expiresAt: at.addingTimeInterval(Double(days) * 86_400)
        )
        try await storage.tokens.insertToken(record)
        await log.record(signedIn.account.name, .tokenCreated, "token \(record.id) for \(patterns.map(\.description).joined(separator: ", "))", ip: ip(context))
        return try jsonResponse(["id": record.id, "token": minted.token, "expiresAt": Timestamp.iso8601(record.expiresAt!)], status: .created)
    }

    @Sendable func listTokens(_ request: Request, context: Context) async throws -> Response {
        let signedIn = try await sessions.requireAuthenticated(request)
        let tokens = try await storage.tokens.tokens(ofAccount: signedIn.account.name).map { t -> [String: Any] in
            [
                "id": t.id, "scopes": t.permissions.map(\.rawValue), "packages": t.packages.map(\.description),
                "createdAt": Timestamp.iso8601(t.createdAt), "expiresAt": t.expiresAt.map(Timestamp.iso8601) ?? NSNull(),
                "lastUsedAt": t.lastUsedAt.map(Timestamp.iso8601) ?? NSNull(), "lastUsedIP": t.lastUsedIP ?? NSNull(), "revoked": t.revokedAt != nil,
            ]
        }
        return try jsonResponse(["tokens": tokens])
    }

    @Sendable func revokeToken(_ request: Request, context: Context) async throws -> Response {
        let signedIn = try await sessions.requireAuthenticated(request)
        let id = try RegistryPaths.segment("id", context)
        guard try await storage.tokens.tokens(ofAccount: signedIn.account.name).contains(where: { $0.id == id }) else {
            throw BulwarkError.notFound("you have no token with id \(id)")
        }
        try await storage.tokens.revokeToken(id: id, at: now())
        await log.record(signedIn.account.name, .tokenRevoked, "token \(id)", ip: ip(context))
        return Response(status: .noContent)
    }
}
