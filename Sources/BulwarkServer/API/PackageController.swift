import BulwarkCore
import BulwarkStorage
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// A package's management API: its page (`GET /api/v1/packages/{scope}/{name}`), its policy, and
/// the staged releases that `publishing: approval` creates, with their status URL and the owners'
/// approve / reject. Roles (scope owners, invited owners and maintainers), the effective policy and
/// the step-up a sensitive action needs come from ``PackageAccess``.
struct PackageController<Context: RequestContext>: Sendable {
    let storage: Storage
    let sessions: Sessions
    let log: SecurityLog
    let passkeys: PasskeyController<Context>
    let paths: RegistryPaths
    let readCache: ReadCache
    let ip: @Sendable (Context) -> String?
    let now: @Sendable () -> Date

    static var passkeyRequiredType: String { "https://bulwark.dev/problems/passkey-required" }

    func addRoutes(to router: Router<Context>) {
        router.get("/api/v1/packages/:scope/:name", use: package)
        router.put("/api/v1/packages/:scope/:name/policy", use: setPolicy)
        router.get("/api/v1/packages/:scope/:name/staged/:id", use: stagedStatus)
        router.post("/api/v1/packages/:scope/:name/staged/:id/approve", use: approve)
        router.post("/api/v1/packages/:scope/:name/staged/:id/reject", use: reject)
    }

    /// The package as first published, or 404.
    func requirePackage(_ context: Context) async throws -> PackageIdentifier {
        let id = try RegistryPaths.packageID(context)
        guard let canonical = try await storage.releases.package(id) else { throw BulwarkError.notFound("package \(id) not found") }
        return canonical
    }

    /// Roles, effective policy and step-ups on packages.
    var access: PackageAccess { PackageAccess(storage: storage, configuration: sessions.configuration, now: now) }

    func requireOwner(_ signedIn: SignedIn, of id: PackageIdentifier) async throws {
        try await access.requireRole(.owner, signedIn, on: id)
    }

    /// The step-up every sensitive action on a package needs (maintainers, policy, approve, yank,
    /// delete): a fresh second factor, and under an effective `secondFactor: passkey` a fresh passkey
    /// (else `403`, type `…/passkey-required`).
    func requireStepUp(_ signedIn: SignedIn, for id: PackageIdentifier) async throws {
        try await access.requireStepUp(signedIn, for: id)
    }

    func statusURL(_ request: Request, _ id: PackageIdentifier, _ stagedID: String) -> String {
        Self.statusURL(base: paths.baseURL(for: request), id, stagedID)
    }

    /// The status URL of a staged release (what a `202 Accepted` publish answers as `Location`).
    static func statusURL(base: String, _ id: PackageIdentifier, _ stagedID: String) -> String {
        "\(base)/api/v1/packages/\(id.scope)/\(id.name)/staged/\(stagedID)"
    }

    // MARK: Package page

    @Sendable func package(_ request: Request, context: Context) async throws -> Response {
        let id = try await requirePackage(context)
        let roles = try await access.roles(of: id)
        let ownPolicy = try await storage.policies.policy(of: id) ?? .default
        let policy = ownPolicy.atLeast(sessions.configuration.minimumPolicy)
        var result: [String: Any] = [
            "package": id.description,
            "owners": roles.owners,
            "maintainers": roles.everyone.map { ["username": $0.username, "role": $0.role.rawValue, "via": $0.via] },
            // The effective policy: the package's own raised to the registry-wide floor.
            "policy": policy.json,
            "packagePolicy": ownPolicy.json,
            "registryPolicy": sessions.configuration.minimumPolicy.json,
            // Newest first, with yanks, who published each with which credential, and deleted versions.
            "releases": try await ReleaseLifecycleController<Context>.releaseDetails(id, storage: storage) {
                paths.releaseURL(paths.baseURL(for: request), id, $0)
            },
        ]
        // Staged releases are shown to the package's owners and maintainers only: until approved they
        // stay invisible; pending invitations to its owners.
        if let signedIn = try await sessions.current(request), signedIn.session.state == .authenticated,
            let role = roles.role(of: signedIn.account.name)
        {
            let at = now()
            result["role"] = role.rawValue
            if role == .owner {
                result["invitations"] = try await storage.maintainers.pendingInvitations(of: id).filter { $0.effectiveState(at: at) == .pending }
                    .map { MaintainerController<Context>.json($0) }
            }
            result["staged"] = try await storage.policies.pendingStaged(of: id).filter { $0.effectiveState(at: at) == .pending }.map { s -> [String: Any] in
                [
                    "id": s.id, "version": s.release.version.description, "publisher": s.release.publisher,
                    "createdAt": Timestamp.iso8601(s.createdAt), "expiresAt": Timestamp.iso8601(s.expiresAt),
                    "location": statusURL(request, id, s.id),
                ]
            }
        }
        return try jsonResponse(result)
    }

    // MARK: Policy

    struct PolicyBody: Decodable {
        let secondFactor: PackagePolicy.SecondFactor
        let publishing: PackagePolicy.Publishing
    }

    @Sendable func setPolicy(_ request: Request, context: Context) async throws -> Response {
        let signedIn = try await sessions.requireAuthenticated(request)
        let id = try await requirePackage(context)
        let roles = try await access.requireRole(.owner, signedIn, on: id)
        // Under the current policy: turning passkeys off needs a passkey too.
        try await access.requireStepUp(signedIn, for: id)
        let body = try await decodeBody(PolicyBody.self, from: request, context: context)
        let policy = PackagePolicy(secondFactor: body.secondFactor, publishing: body.publishing)
        if policy.secondFactor == .passkey {
            let missing = try await access.withoutPasskey(roles.everyone)
            if !missing.isEmpty {
                let names = missing.compactMap { $0["username"] as? String }
                return problem(
                    status: 409,
                    detail: "secondFactor 'passkey' needs every owner and maintainer to have a passkey; without one: \(names.joined(separator: ", "))",
                    extra: [
                        "ownersWithoutPasskey": missing.filter { $0["role"] as? String == "owner" }.compactMap { $0["username"] as? String },
                        "maintainersWithoutPasskey": missing.filter { $0["role"] as? String == "maintainer" }.compactMap { $0["username"] as? String },
                        "withoutPasskey": missing,
                    ]
                )
            }
        }
        let old = try await storage.policies.policy(of: id) ?? .default
        try await storage.policies.setPolicy(policy, for: id, at: now())
        await log.record(
            signedIn.account.name, .policyChanged,
            "\(id): secondFactor \(old.secondFactor.rawValue) → \(policy.secondFactor.rawValue), publishing \(old.publishing.rawValue) → \(policy.publishing.rawValue)",
            ip: ip(context)
        )
        return try jsonResponse(["package": id.description, "policy": ["secondFactor": policy.secondFactor.rawValue, "publishing": policy.publishing.rawValue]])
    }

    // MARK: Staged releases

    /// The staged release named in the path, if it belongs to the path's package; else 404.
    func requireStaged(_ context: Context, of id: PackageIdentifier) async throws -> StagedRelease {
        let stagedID = try RegistryPaths.segment("id", context)
        guard let staged = try await storage.policies.staged(id: stagedID), staged.release.package == id else {
            throw BulwarkError.notFound("\(id) has no staged release \(stagedID)")
        }
        return staged
    }

    /// Public, like the release it leads to: 202 while waiting, 301 to the release once approved,
    /// 410 once rejected or expired.
    @Sendable func stagedStatus(_ request: Request, context: Context) async throws -> Response {
        let id = try RegistryPaths.packageID(context)
        let staged = try await requireStaged(context, of: id)
        let version = staged.release.version
        switch staged.effectiveState(at: now()) {
        case .pending:
            var response = try jsonResponse(
                ["state": "pending", "package": staged.release.package.description, "version": version.description,
                 "createdAt": Timestamp.iso8601(staged.createdAt), "expiresAt": Timestamp.iso8601(staged.expiresAt)],
                status: .accepted
            )
            response.headers[HTTPField.Name("Retry-After")!] = "60"
            return response
        case .approved:
            let canonical = try await storage.releases.package(id) ?? staged.release.package
            return Response(status: .movedPermanently, headers: [.location: paths.releaseURL(paths.baseURL(for: request), canonical, version)])
        case .rejected:
            return problem(status: 410, detail: "version \(version) of \(staged.release.package) was rejected by a maintainer")
        case .expired:
            return problem(status: 410, detail: "version \(version) of \(staged.release.package) expired without being approved")
        }
    }

    /// The staged release, if the caller (an owner or maintainer with a fresh second factor) may
    /// decide on it now. Approving under a passkey policy checks its passkey itself (`approve`).
    func decidable(
        _ request: Request, _ context: Context, approving: Bool
    ) async throws -> (SignedIn, PackageIdentifier, StagedRelease, PackagePolicy) {
        let signedIn = try await sessions.requireAuthenticated(request)
        // A new package's first release may be the staged one (`publishing: approval`).
        let path = try RegistryPaths.packageID(context)
        let staged = try await requireStaged(context, of: path)
        let id = try await storage.releases.package(path) ?? staged.release.package
        try await access.requireRole(.maintainer, signedIn, on: id)
        let policy = try await access.effectivePolicy(of: id)
        if !approving || policy.secondFactor != .passkey { try sessions.requireStepUp(signedIn) }
        switch staged.effectiveState(at: now()) {
        case .pending: return (signedIn, id, staged, policy)
        case .expired: throw BulwarkError(.gone, "version \(staged.release.version) of \(id) expired without being approved: publish it again")
        case .approved, .rejected:
            throw BulwarkError.conflict("version \(staged.release.version) of \(id) was \(staged.state.rawValue) already")
        }
    }

    @Sendable func approve(_ request: Request, context: Context) async throws -> Response {
        let (signedIn, id, staged, policy) = try await decidable(request, context, approving: true)
        let account = signedIn.account.name
        var method = "step-up"
        if policy.secondFactor == .passkey {
            try await access.requirePasskeyHolder(account, for: id, action: "approving a release")
        }
        if policy.secondFactor == .passkey, let at = signedIn.session.passkeyAt, now().timeIntervalSince(at) <= sessions.configuration.stepUpWindow {
            method = "passkey step-up"
        } else if policy.secondFactor == .passkey {
            let body = try await request.body.collect(upTo: 64 * 1024)
            let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
            guard let credential = object?["credential"], JSONSerialization.isValidJSONObject(credential),
                let json = try? JSONSerialization.data(withJSONObject: credential)
            else {
                return problem(
                    status: 403, detail: "\(id) requires a passkey to approve a release: step up with a passkey (POST /api/v1/session/webauthn) or send {\"credential\": …} answering POST /api/v1/session/webauthn/options",
                    type: Self.passkeyRequiredType
                )
            }
            let passkey = try await passkeys.verifyAssertion(Array(json), ip: ip(context))
            guard passkey.account.lowercased() == account.lowercased() else {
                return problem(status: 403, detail: "the passkey must be one of your own", type: Self.passkeyRequiredType)
            }
            method = "passkey '\(passkey.name)'"
        }
        let at = now()
        var release = staged.release
        release.publishedAt = at
        // Between the decision and the insert neither a pending staged release nor a release uses
        // the archive: a publish claim keeps a removal of the same bytes out of that moment.
        try await storage.withArchivePublishClaim(checksum: release.checksum) {
            guard try await storage.policies.decide(id: staged.id, from: .pending, to: .approved, by: account, at: at) else {
                throw BulwarkError.conflict("version \(staged.release.version) of \(id) was decided already")
            }
            // The release and its `approved` event land together, or neither does.
            let approval = await ReleaseLifecycleController<Context>.decisionEvent(
                .approved, release, signedIn, method: method, storage: storage, ip: ip(context), at: at
            )
            do { try await storage.releases.insert(release, recording: approval) } catch {
                // The version was published some other way meanwhile: leave the staged release undecided.
                _ = try? await storage.policies.decide(id: staged.id, from: .approved, to: .pending, by: account, at: at)
                throw error
            }
        }
        readCache.invalidate(package: id.canonicalKey)
        if !release.repositoryURLs.isEmpty { readCache.invalidate(package: "/identifiers") }
        await log.record(account, .releaseApproved, "\(id) \(release.version) (published by \(release.publisher)) with \(method)", ip: ip(context))
        let url = paths.releaseURL(paths.baseURL(for: request), id, release.version)
        return try jsonResponse(["state": "approved", "version": release.version.description, "url": url])
    }

    @Sendable func reject(_ request: Request, context: Context) async throws -> Response {
        let (signedIn, id, staged, _) = try await decidable(request, context, approving: false)
        let account = signedIn.account.name
        let at = now()
        // The decision and its `rejected` audit event: one transaction.
        let event = await ReleaseLifecycleController<Context>.decisionEvent(
            .rejected, staged.release, signedIn, method: "step-up", storage: storage, ip: ip(context), at: at
        )
        guard try await storage.policies.decide(id: staged.id, from: .pending, to: .rejected, by: account, at: at, recording: event) else {
            throw BulwarkError.conflict("version \(staged.release.version) of \(id) was decided already")
        }
        // Its archive goes unless a release or another pending staged release has the same bytes.
        do { try await storage.removeArchiveIfUnused(checksum: staged.release.checksum) } catch {
            context.logger.warning("a rejected release's archive couldn't be removed", metadata: ["checksum": "\(staged.release.checksum)"])
        }
        await log.record(account, .releaseRejected, "\(id) \(staged.release.version) (published by \(staged.release.publisher))", ip: ip(context))
        return try jsonResponse(["state": "rejected", "version": staged.release.version.description])
    }

    /// A problem detail with a type and extension members.
    func problem(status: Int, detail: String, type: String = "about:blank", extra: [String: Any] = [:]) -> Response {
        var body: [String: Any] = extra
        body["type"] = type
        body["title"] = ProblemResponse.title(status)
        body["status"] = status
        body["detail"] = detail
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return Response(
            status: HTTPResponse.Status(code: status, reasonPhrase: ProblemResponse.title(status)),
            headers: [.contentType: "application/problem+json", .contentVersion: "1"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}
