import BulwarkCore
import BulwarkStorage
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// After a release is published: yank / un-yank (a maintainer with a fresh second factor, or a
/// token with the `yank` scope), delete (an owner with a fresh second factor; leaves a tombstone
/// forever) and the package's audit log.
///
/// Deleted versions stay in the Swift registry's release list with a `410 Gone` problem (as
/// SE-0292's example and the reference server do), and their metadata, manifests and archive
/// answer `410` with a detail: SwiftPM skips problem entries when resolving, and prints the detail
/// of a 410 (while a 404 only says "package version not found"), so a consumer pinned to a deleted
/// version learns why.
struct ReleaseLifecycleController<Context: RequestContext>: Sendable {
    let storage: Storage
    let sessions: Sessions
    let authenticator: TokenAuthenticator
    let readCache: ReadCache
    let configuration: ServerConfiguration
    let ip: @Sendable (Context) -> String?
    let now: @Sendable () -> Date

    func addRoutes(to router: Router<Context>) {
        router.post("/api/v1/packages/:scope/:name/releases/:version/yank", use: yank)
        router.post("/api/v1/packages/:scope/:name/releases/:version/unyank", use: unyank)
        router.delete("/api/v1/packages/:scope/:name/releases/:version", use: delete)
        router.get("/api/v1/packages/:scope/:name/audit-log", use: auditLog)
    }

    // MARK: Who may act

    /// Who acted and how they proved it.
    struct Actor {
        let account: String
        let credential: CredentialUse
    }

    /// A signed-in owner or maintainer with a fresh second factor, or (when `tokenPermission` is
    /// given) a token with that permission covering the package whose account still has a role on it.
    func requireActor(_ request: Request, _ id: PackageIdentifier, role needed: PackageRole, tokenPermission: TokenPermission?, ip: String?)
        async throws -> Actor
    {
        if request.headers[.authorization] != nil, request.cookies[Sessions.cookieName] == nil {
            guard let permission = tokenPermission else {
                throw BulwarkError.forbidden("an API token can't do this: sign in with your second factor")
            }
            let publisher = try await authenticator.authenticate(request.headers, ip: ip)
            guard publisher.token.allows(permission, on: id) else {
                throw BulwarkError.forbidden(
                    "this token may not \(permission.rawValue) \(id): it has the scopes \(publisher.token.permissions.map(\.rawValue).joined(separator: ", ")) "
                        + "for \(publisher.token.packages.map(\.description).joined(separator: ", "))"
                )
            }
            guard let role = try await access.roles(of: id).role(of: publisher.account), Self.role(role, satisfies: needed) else {
                throw BulwarkError.forbidden("the token's account is no longer a maintainer of \(id)")
            }
            return Actor(account: publisher.account, credential: .token(publisher.token.id))
        }
        let signedIn = try await sessions.requireAuthenticated(request)
        try await access.requireRole(needed, signedIn, on: id)
        try await access.requireStepUp(signedIn, for: id)
        return Actor(account: signedIn.account.name, credential: try await Self.stepUpCredential(signedIn, storage: storage))
    }

    var access: PackageAccess { PackageAccess(storage: storage, configuration: configuration.security, now: now) }

    /// An owner may do whatever a maintainer may.
    static func role(_ role: PackageRole, satisfies needed: PackageRole) -> Bool {
        role == .owner || needed == .maintainer
    }

    /// Which second factor the session's last step-up used (the audit log's credential kind).
    static func stepUpCredential(_ signedIn: SignedIn, storage: Storage) async throws -> CredentialUse {
        guard let at = signedIn.session.secondFactorAt else { return CredentialUse(kind: .secondFactor) }
        if let passkeyAt = signedIn.session.passkeyAt, abs(passkeyAt.timeIntervalSince(at)) < 1 { return CredentialUse(kind: .passkey) }
        let recent = try await storage.security.events(account: signedIn.account.name, limit: 20)
        if recent.contains(where: { $0.kind == .recoveryCodeUsed && abs($0.at.timeIntervalSince(at)) < 2 }) {
            return CredentialUse(kind: .recoveryCode)
        }
        if let passkey = recent.first(where: { $0.kind == .signInSucceeded && abs($0.at.timeIntervalSince(at)) < 2 }), passkey.detail.contains("passkey") {
            return CredentialUse(kind: .passkey)
        }
        return CredentialUse(kind: .totp)
    }

    /// A staged release's decision as an audit event: an approval passes it to
    /// ``ReleaseStore/insert(_:recording:)`` so it lands with the release, a rejection to
    /// ``PackagePolicyStore/decide(id:from:to:by:at:recording:)`` so it lands with the decision.
    /// `method` is how the approver proved it: `passkey '<name>'` (an assertion sent with the
    /// approval), `passkey step-up`, or `step-up` (the session's last second factor).
    static func decisionEvent(
        _ kind: PackageEvent.Kind, _ release: Release, _ signedIn: SignedIn, method: String, storage: Storage, ip: String?, at: Date
    ) async -> PackageEvent {
        var credential = CredentialUse(kind: .passkey)
        if method.hasPrefix("passkey '"), method.hasSuffix("'") {
            credential.id = String(method.dropFirst("passkey '".count).dropLast())
        } else if !method.hasPrefix("passkey") {
            credential = (try? await stepUpCredential(signedIn, storage: storage)) ?? CredentialUse(kind: .secondFactor)
        }
        return PackageEvent(
            package: release.package, version: release.version, kind: kind, actor: signedIn.account.name, credential: credential, ip: ip, at: at
        )
    }

    /// The path's package and version.
    func target(_ context: Context) async throws -> (PackageIdentifier, SemanticVersion) {
        let id = try RegistryPaths.packageID(context)
        let version = try SemanticVersion(try RegistryPaths.segment("version", context))
        return (id, version)
    }

    /// The stored release, or 410 for a deleted version and 404 for an unknown one.
    func requireRelease(_ id: PackageIdentifier, _ version: SemanticVersion) async throws -> Release {
        if let release = try await storage.releases.release(id, version: version) { return release }
        if let tombstone = try await storage.lifecycle.tombstone(of: id, version: version) {
            throw BulwarkError(.gone, "version \(tombstone.version) of \(tombstone.package) was deleted on \(Timestamp.iso8601(tombstone.deletedAt))")
        }
        if try await storage.releases.package(id) == nil { throw BulwarkError.notFound("package \(id) not found") }
        throw BulwarkError.notFound("version \(version) of \(id) not found")
    }

    func invalidate(_ release: Release) {
        readCache.invalidate(package: release.package.canonicalKey)
        readCache.invalidateRelease(release.package.canonicalKey + "@" + release.version.precedenceKey)
    }

    /// The audit event of a yank, un-yank or deletion: passed to the store's change so it lands in
    /// the same transaction (and not at all if nothing changed).
    func event(_ kind: PackageEvent.Kind, _ release: Release, _ actor: Actor, detail: String = "", ip: String?, at: Date) -> PackageEvent {
        PackageEvent(
            package: release.package, version: release.version, kind: kind, actor: actor.account, credential: actor.credential, detail: detail,
            ip: ip, at: at
        )
    }

    // MARK: Yank

    struct YankBody: Decodable { let reason: String? }

    @Sendable func yank(_ request: Request, context: Context) async throws -> Response {
        let (id, version) = try await target(context)
        let ip = ip(context)
        let actor = try await requireActor(request, id, role: .maintainer, tokenPermission: .yank, ip: ip)
        let release = try await requireRelease(id, version)
        let body = try await decodeBody(YankBody.self, from: request, context: context)
        let reason = (body.reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else {
            throw BulwarkError.unprocessable("a yank needs a reason, e.g. {\"reason\": \"CVE-2026-1234: use 1.2.4\"}: resolvers show it")
        }
        guard reason.count <= configuration.maxYankReasonLength else {
            throw BulwarkError.unprocessable("the reason is \(reason.count) characters long; the limit is \(configuration.maxYankReasonLength)")
        }
        guard !reason.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw BulwarkError.unprocessable("the reason must be one line without control characters")
        }
        let yank = Yank(reason: reason, by: actor.account, at: now())
        // The yank and its `yanked` event: one transaction.
        let yanked = event(.yanked, release, actor, detail: reason, ip: ip, at: yank.at)
        guard try await storage.lifecycle.yank(id, version: version, yank, recording: yanked) else {
            throw BulwarkError(.gone, "version \(version) of \(id) was deleted meanwhile")
        }
        invalidate(release)
        context.logger.info("yanked", metadata: ["package": "\(release.package)", "version": "\(release.version)", "account": "\(actor.account)"])
        return try jsonResponse([
            "package": release.package.description, "version": release.version.description, "yanked": true, "reason": reason,
            "yankedBy": actor.account, "yankedAt": Timestamp.iso8601(yank.at),
        ])
    }

    @Sendable func unyank(_ request: Request, context: Context) async throws -> Response {
        let (id, version) = try await target(context)
        let ip = ip(context)
        let actor = try await requireActor(request, id, role: .maintainer, tokenPermission: .yank, ip: ip)
        let release = try await requireRelease(id, version)
        guard try await storage.lifecycle.unyank(id, version: version, recording: event(.unyanked, release, actor, ip: ip, at: now())) else {
            throw BulwarkError.conflict("version \(release.version) of \(release.package) isn't yanked")
        }
        invalidate(release)
        return try jsonResponse(["package": release.package.description, "version": release.version.description, "yanked": false])
    }

    // MARK: Delete

    @Sendable func delete(_ request: Request, context: Context) async throws -> Response {
        let (id, version) = try await target(context)
        let ip = ip(context)
        let actor = try await requireActor(request, id, role: .owner, tokenPermission: nil, ip: ip)
        let release = try await requireRelease(id, version)
        // The deletion, its tombstone and its `deleted` event: one transaction.
        let at = now()
        let deletion = event(.deleted, release, actor, ip: ip, at: at)
        guard let deleted = try await storage.lifecycle.deleteRelease(id, version: version, by: actor.account, at: at, recording: deletion) else {
            throw BulwarkError(.gone, "version \(version) of \(id) was deleted meanwhile")
        }
        invalidate(release)
        if !release.repositoryURLs.isEmpty { readCache.invalidate(package: "/identifiers") }
        // Content addressed: the archive goes only when nothing else uses the same bytes, checked
        // again under a removal claim (a publish of the same bytes may be under way).
        if !deleted.archiveStillReferenced {
            do { try await storage.removeArchiveIfUnused(checksum: release.checksum) } catch {
                context.logger.warning("a deleted release's archive couldn't be removed", metadata: ["checksum": "\(release.checksum)"])
            }
        }
        context.logger.info("deleted", metadata: ["package": "\(release.package)", "version": "\(release.version)", "account": "\(actor.account)"])
        return try jsonResponse([
            "package": release.package.description, "version": release.version.description, "deleted": true,
            "deletedAt": Timestamp.iso8601(deleted.tombstone.deletedAt),
        ])
    }

    // MARK: Audit log

    @Sendable func auditLog(_ request: Request, context: Context) async throws -> Response {
        let id = try RegistryPaths.packageID(context)
        if request.headers[.authorization] != nil, request.cookies[Sessions.cookieName] == nil {
            throw BulwarkError.forbidden("an API token can't read the audit log: sign in")
        }
        let signedIn = try await sessions.requireAuthenticated(request)
        guard let canonical = try await storage.releases.package(id) else { throw BulwarkError.notFound("package \(id) not found") }
        guard try await access.roles(of: canonical).role(of: signedIn.account.name) != nil else {
            throw BulwarkError.forbidden("only an owner or maintainer of \(canonical) can read its audit log")
        }
        var limit = 100
        if let raw = request.uri.queryParameters.get("limit") {
            guard let n = Int(raw), (1...configuration.maxAuditLogEvents).contains(n) else {
                throw BulwarkError.badRequest("invalid limit '\(raw)': expected 1 to \(configuration.maxAuditLogEvents)")
            }
            limit = n
        }
        let events = try await storage.lifecycle.packageEvents(of: canonical, limit: limit)
        return try jsonResponse(["package": canonical.description, "events": events.map(Self.json)])
    }

    static func json(_ e: PackageEvent) -> [String: Any] {
        [
            "kind": e.kind.rawValue, "version": e.version?.description ?? NSNull(), "actor": e.actor,
            "credential": ["kind": e.credential.kind.rawValue, "id": e.credential.id ?? NSNull()] as [String: Any],
            "detail": e.detail, "ip": e.ip ?? NSNull(), "at": Timestamp.iso8601(e.at),
        ]
    }

    // MARK: The package page's release details

    /// Releases with their yank and who published them with which credential, and deleted versions,
    /// for `GET /api/v1/packages/{scope}/{name}` and the web page. Newest first.
    static func releaseDetails(_ id: PackageIdentifier, storage: Storage, releaseURL: (SemanticVersion) -> String) async throws -> [[String: Any]] {
        let releases = try await storage.releases.releases(of: id)
        var yanks: [String: Yank] = [:]
        for y in try await storage.lifecycle.yanks(of: id) { yanks[y.version.precedenceKey] = y.yank }
        var published: [String: PackageEvent] = [:]
        var approved: [String: PackageEvent] = [:]
        for e in try await storage.lifecycle.packageEvents(of: id, limit: 10_000).reversed() {
            guard let v = e.version?.precedenceKey else { continue }
            switch e.kind {
            case .published, .staged: published[v] = e
            case .approved: approved[v] = e
            case .deleted: published[v] = nil; approved[v] = nil
            default: break
            }
        }
        var rows: [(SemanticVersion, [String: Any])] = releases.map { r in
            let key = r.version.precedenceKey
            var row: [String: Any] = [
                "version": r.version.description, "publishedAt": Timestamp.iso8601(r.publishedAt), "url": releaseURL(r.version),
                "yanked": yanks[key].map { ["reason": $0.reason, "by": $0.by, "at": Timestamp.iso8601($0.at)] as [String: Any] } ?? NSNull(),
                "deleted": false,
            ]
            row["publishedBy"] = published[key].map { ["account": $0.actor, "credential": Self.credentialJSON($0.credential)] as [String: Any] } ?? NSNull()
            row["approvedBy"] = approved[key].map { ["account": $0.actor, "credential": Self.credentialJSON($0.credential)] as [String: Any] } ?? NSNull()
            return (r.version, row)
        }
        for t in try await storage.lifecycle.tombstones(of: id) {
            rows.append((t.version, [
                "version": t.version.description, "deleted": true, "deletedBy": t.deletedBy, "deletedAt": Timestamp.iso8601(t.deletedAt),
            ]))
        }
        return rows.sorted { $0.0 > $1.0 }.map(\.1)
    }

    static func credentialJSON(_ c: CredentialUse) -> [String: Any] {
        ["kind": c.kind.rawValue, "id": c.id ?? NSNull()]
    }
}
