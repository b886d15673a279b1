import BulwarkCore
import BulwarkStorage
import BulwarkWebAuthn
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Passkeys (WebAuthn with user verification): registering them, signing in with one alone
/// (discoverable credential, no username), and using one as a step-up.
struct PasskeyController<Context: RequestContext>: Sendable {
    let storage: Storage
    let sessions: Sessions
    let log: SecurityLog
    let relyingParty: RelyingParty?
    let accountController: AccountController<Context>
    let sessionController: SessionController<Context>
    let ip: @Sendable (Context) -> String?
    let now: @Sendable () -> Date
    /// How long a WebAuthn challenge stays usable.
    let challengeLifetime: TimeInterval = 300

    func addRoutes(to router: Router<Context>) {
        router.post("/api/v1/account/passkeys/options", use: registrationOptions)
        router.post("/api/v1/account/passkeys", use: register)
        router.delete("/api/v1/account/passkeys/:id", use: remove)
        router.post("/api/v1/session/webauthn/options", use: signInOptions)
        router.post("/api/v1/session/webauthn", use: signIn)
    }

    func requireRelyingParty() throws -> RelyingParty {
        guard let relyingParty else {
            throw BulwarkError(.unavailable, "passkeys need the registry's public URL: start the server with --base-url")
        }
        return relyingParty
    }

    /// The WebAuthn user handle of an account: stable, not the name itself.
    static func userHandle(_ account: String) -> [UInt8] {
        Array(SHA256.hash(data: Array("bulwark-user:\(account.lowercased())".utf8)).prefix(16))
    }

    func newChallenge(_ purpose: ChallengeRecord.Purpose, account: String?) async throws -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        try await storage.security.saveChallenge(ChallengeRecord(
            id: Base64URL.encode(bytes), purpose: purpose, bytes: bytes, account: account, expiresAt: now().addingTimeInterval(challengeLifetime)
        ))
        return bytes
    }

    /// Takes (single use) the challenge the client answered, checking purpose, expiry and account.
    func takeChallenge(from clientDataJSON: [UInt8], _ purpose: ChallengeRecord.Purpose, account: String?) async throws -> [UInt8] {
        let clientData: CollectedClientData
        do { clientData = try CollectedClientData(json: clientDataJSON) } catch { throw error.bulwarkError }
        guard let challenge = try await storage.security.takeChallenge(id: Base64URL.encode(clientData.challenge)),
            challenge.purpose == purpose, challenge.expiresAt > now(),
            account == nil || challenge.account?.lowercased() == account?.lowercased()
        else {
            throw BulwarkError.unauthorized("the passkey challenge is unknown, expired or used already: start again")
        }
        return challenge.bytes
    }

    // MARK: Registration

    @Sendable func registrationOptions(_ request: Request, context: Context) async throws -> Response {
        let rp = try requireRelyingParty()
        let signedIn = try await sessions.requireSignedIn(request)
        guard signedIn.session.state != .secondFactorRequired else { throw BulwarkError.unauthorized("finish signing in first") }
        let name = signedIn.account.name
        let existing = try await storage.security.passkeys(account: name).compactMap { p in
            Base64URL.decode(p.id).map { CredentialDescriptor(id: $0, transports: p.transports) }
        }
        let options = rp.creationOptions(
            userId: Self.userHandle(name), userName: name, displayName: name,
            challenge: try await newChallenge(.registration, account: name), excludeCredentials: existing
        )
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: .init(bytes: try options.jsonData())))
    }

    @Sendable func register(_ request: Request, context: Context) async throws -> Response {
        let rp = try requireRelyingParty()
        let signedIn = try await sessions.requireSignedIn(request)
        guard signedIn.session.state != .secondFactorRequired else { throw BulwarkError.unauthorized("finish signing in first") }
        let name = signedIn.account.name
        // Packages that demand passkeys trust every passkey of the account: adding one to an account
        // that has passkeys needs one of them, fresh (so a TOTP session can't mint its own passkey).
        if signedIn.session.state == .authenticated, try await !storage.security.passkeys(account: name).isEmpty {
            try sessions.requirePasskeyStepUp(signedIn, for: "adding a passkey to an account that has one")
        }
        let body = try await request.body.collect(upTo: 64 * 1024)
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
            let credentialObject = object["credential"], JSONSerialization.isValidJSONObject(credentialObject),
            let credentialJSON = try? JSONSerialization.data(withJSONObject: credentialObject)
        else { throw BulwarkError.badRequest("expected {\"credential\": PublicKeyCredential JSON, \"name\": \"…\"}") }
        let label = ((object["name"] as? String) ?? "Passkey").trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...64).contains(label.count) else { throw BulwarkError.unprocessable("a passkey name has 1 to 64 characters") }

        let response: RegistrationResponse
        do { response = try RegistrationResponse(json: credentialJSON) } catch { throw error.bulwarkError }
        let challenge = try await takeChallenge(from: response.clientDataJSON, .registration, account: name)
        let credential: RegisteredCredential
        do { credential = try rp.verifyRegistration(response, expectedChallenge: challenge) } catch { throw error.bulwarkError }

        // A first factor comes with its recovery codes, stored in the same transaction.
        let codes = accountController.newRecoveryCodes(name)
        let codesStored = try await storage.security.addPasskey(Passkey(
            id: Base64URL.encode(credential.id), account: name, name: label, publicKey: credential.publicKey,
            algorithm: credential.algorithm.rawValue, signCount: credential.signCount, backupEligible: credential.backupEligible,
            backedUp: credential.backedUp, transports: credential.transports, createdAt: now()
        ), firstFactorRecoveryCodes: codes.records)
        await log.record(name, .factorAdded, "passkey '\(label)'", ip: ip(context))
        var result: [String: Any] = ["id": Base64URL.encode(credential.id), "name": label, "backedUp": credential.backedUp]
        if codesStored { result["recoveryCodes"] = codes.codes }
        var cookie: Cookie?
        if signedIn.session.state == .enrolmentRequired {
            cookie = try await sessions.start(account: name, state: .authenticated, secondFactorVerified: true, passkey: true, replacing: signedIn.session)
        }
        return try jsonResponse(result, status: .created, cookie: cookie)
    }

    @Sendable func remove(_ request: Request, context: Context) async throws -> Response {
        let signedIn = try await sessions.requireAuthenticated(request)
        try sessions.requireStepUp(signedIn)
        let name = signedIn.account.name
        let id = try RegistryPaths.segment("id", context)
        let passkeys = try await storage.security.passkeys(account: name)
        guard let passkey = passkeys.first(where: { $0.id == id }) else { throw BulwarkError.notFound("you have no passkey with id \(id)") }
        let hasTOTP = try await storage.security.totp(account: name)?.confirmed == true
        if sessions.configuration.require2FA, passkeys.count == 1, !hasTOTP {
            throw BulwarkError.conflict("this passkey is your last second factor: add another before removing it")
        }
        _ = try await storage.security.deletePasskey(id: id, account: name)
        await log.record(name, .factorRemoved, "passkey '\(passkey.name)'", ip: ip(context))
        return Response(status: .noContent)
    }

    // MARK: Sign-in and step-up

    struct OptionsBody: Decodable { let username: String? }

    @Sendable func signInOptions(_ request: Request, context: Context) async throws -> Response {
        let rp = try requireRelyingParty()
        // The body is optional (`{}` or nothing), but one that is sent must be the JSON object.
        let raw = try await request.body.collect(upTo: 64 * 1024)
        let body: OptionsBody
        if raw.readableBytes == 0 {
            body = OptionsBody(username: nil)
        } else if let decoded = try? JSONDecoder().decode(OptionsBody.self, from: Data(raw.readableBytesView)) {
            body = decoded
        } else {
            throw BulwarkError.badRequest("the request body must be a JSON object, optionally with a string 'username'")
        }
        var allow: [CredentialDescriptor] = []
        if let username = body.username {
            allow = try await storage.security.passkeys(account: username).compactMap { p in
                Base64URL.decode(p.id).map { CredentialDescriptor(id: $0, transports: p.transports) }
            }
        }
        let options = rp.requestOptions(challenge: try await newChallenge(.authentication, account: nil), allowCredentials: allow)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: .init(bytes: try options.jsonData())))
    }

    /// Verifies a passkey assertion (`PublicKeyCredential` JSON answering
    /// `POST /api/v1/session/webauthn/options`): takes its challenge (single use), checks the
    /// signature, user verification and counter, records the use, and returns the passkey. A
    /// refused assertion is logged for the passkey's account.
    func verifyAssertion(_ json: [UInt8], ip: String?) async throws -> Passkey {
        let rp = try requireRelyingParty()
        let response: AuthenticationResponse
        do { response = try AuthenticationResponse(json: json) } catch { throw error.bulwarkError }
        let challenge = try await takeChallenge(from: response.clientDataJSON, .authentication, account: nil)
        guard let passkey = try await storage.security.passkey(id: Base64URL.encode(response.rawId)),
            let algorithm = COSEAlgorithm(rawValue: passkey.algorithm)
        else { throw BulwarkError.unauthorized("this passkey is not registered here") }
        let stored = StoredCredential(
            id: response.rawId, publicKey: passkey.publicKey, algorithm: algorithm, signCount: passkey.signCount,
            backupEligible: passkey.backupEligible, userHandle: response.userHandle == nil ? nil : Self.userHandle(passkey.account)
        )
        let verified: VerifiedAuthentication
        do { verified = try rp.verifyAuthentication(response, expectedChallenge: challenge, credential: stored) } catch {
            let detail = error.reason == .counterRegression ? "passkey '\(passkey.name)' refused: its counter went back (possibly cloned)" : "passkey '\(passkey.name)' refused"
            await log.record(passkey.account, .secondFactorFailed, detail, ip: ip)
            throw error.bulwarkError
        }
        try await storage.security.updatePasskeyUse(id: passkey.id, signCount: verified.signCount, backedUp: verified.backedUp, at: now())
        return passkey
    }

    @Sendable func signIn(_ request: Request, context: Context) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 * 1024)
        let passkey = try await verifyAssertion(Array(buffer: body), ip: ip(context))

        if let signedIn = try await sessions.current(request), signedIn.account.name.lowercased() == passkey.account.lowercased() {
            return try await sessionController.completeSecondFactor(signedIn, method: "passkey '\(passkey.name)'", passkey: true, context: context)
        }
        // A passkey with user verification is both factors: no password needed.
        let cookie = try await sessions.start(account: passkey.account, state: .authenticated, secondFactorVerified: true, passkey: true)
        await log.record(passkey.account, .signInSucceeded, "passkey '\(passkey.name)'", ip: ip(context))
        return try jsonResponse(["state": SessionState.authenticated.rawValue, "username": passkey.account], cookie: cookie)
    }
}
