import BulwarkCore
import BulwarkStorage
import Foundation
import HTTPTypes
import Hummingbird

/// A package's maintainers: owners invite (`POST …/maintainers`), the invitee accepts or declines
/// (`/api/v1/invitations/{id}/…`), owners remove (`DELETE …/maintainers/{username}`).
///
/// Ownership is transferred in the same way: an owner invites the new owner with role `owner`; once
/// they accept, the old owner removes themselves (the last owner can't be removed). The scope's
/// owners own every package in it and are not managed here.
struct MaintainerController<Context: RequestContext>: Sendable {
    let storage: Storage
    let sessions: Sessions
    let log: SecurityLog
    let ip: @Sendable (Context) -> String?
    let now: @Sendable () -> Date

    static var passkeyMissingType: String { "https://bulwark.dev/problems/passkey-missing" }

    var access: PackageAccess { PackageAccess(storage: storage, configuration: sessions.configuration, now: now) }

    func addRoutes(to router: Router<Context>) {
        router.post("/api/v1/packages/:scope/:name/maintainers", use: invite)
        router.delete("/api/v1/packages/:scope/:name/maintainers/:username", use: remove)
        router.get("/api/v1/invitations", use: list)
        router.post("/api/v1/invitations/:id/accept", use: accept)
        router.post("/api/v1/invitations/:id/decline", use: decline)
    }

    static func json(_ invitation: Invitation) -> [String: Any] {
        [
            "id": invitation.id, "package": invitation.package.description, "username": invitation.invitee,
            "role": invitation.role.rawValue, "invitedBy": invitation.invitedBy, "createdAt": Timestamp.iso8601(invitation.createdAt),
            "expiresAt": Timestamp.iso8601(invitation.expiresAt),
        ]
    }

    /// The package as first published, or 404.
    func requirePackage(_ context: Context) async throws -> PackageIdentifier {
        let id = try RegistryPaths.packageID(context)
        guard let canonical = try await storage.releases.package(id) else { throw BulwarkError.notFound("package \(id) not found") }
        return canonical
    }

    // MARK: Invite

    struct InviteBody: Decodable {
        let username: String
        let role: String?
    }

    @Sendable func invite(_ request: Request, context: Context) async throws -> Response {
        let signedIn = try await sessions.requireAuthenticated(request)
        let id = try await requirePackage(context)
        let roles = try await access.requireRole(.owner, signedIn, on: id)
        try await access.requireStepUp(signedIn, for: id)
        let body = try await decodeBody(InviteBody.self, from: request, context: context)
        guard let role = PackageRole(rawValue: body.role ?? PackageRole.maintainer.rawValue) else {
            throw BulwarkError.unprocessable("unknown role '\(body.role ?? "")': use owner or maintainer")
        }
        guard (1...64).contains(body.username.count), let invitee = try await storage.accounts.account(named: body.username) else {
            throw BulwarkError.unprocessable("there is no account named '\(body.username.prefix(64))'")
        }
        if let held = roles.role(of: invitee.name), held.rank >= role.rank {
            throw BulwarkError.conflict("\(invitee.name) is already \(held == .owner ? "an owner" : "a maintainer") of \(id)")
        }
        if try await access.effectivePolicy(of: id).secondFactor == .passkey {
            let missing = try await access.withoutPasskey([(username: invitee.name, role: role, via: "invitation")])
            if let entry = missing.first {
                throw TypedProblem(
                    status: 409, detail: "\(id) requires passkeys, and \(invitee.name) has none: they must register a passkey before being invited",
                    type: Self.passkeyMissingType, extra: entry
                )
            }
        }
        let at = now()
        let invitation = Invitation(
            id: UUID().uuidString.lowercased(), package: id, invitee: invitee.name, role: role, invitedBy: signedIn.account.name,
            createdAt: at, expiresAt: at.addingTimeInterval(sessions.configuration.invitationLifetime)
        )
        try await storage.maintainers.createInvitation(invitation)
        await log.record(signedIn.account.name, .maintainerInvited, "\(invitee.name) to \(id) as \(role.rawValue) (invitation \(invitation.id))", ip: ip(context))
        await log.record(invitee.name, .maintainerInvited, "by \(signedIn.account.name) to \(id) as \(role.rawValue) (invitation \(invitation.id))", ip: nil)
        var result = Self.json(invitation)
        result["state"] = "pending"
        return try jsonResponse(result, status: .created)
    }

    // MARK: Remove

    @Sendable func remove(_ request: Request, context: Context) async throws -> Response {
        let signedIn = try await sessions.requireAuthenticated(request)
        let id = try await requirePackage(context)
        let username = try RegistryPaths.segment("username", context)
        let me = signedIn.account.name
        // Owners remove anyone; a member may remove themselves (leave).
        let roles = try await access.requireRole(username.lowercased() == me.lowercased() ? .maintainer : .owner, signedIn, on: id)
        try await access.requireStepUp(signedIn, for: id)
        if roles.isScopeOwner(username) {
            throw BulwarkError.conflict(
                "\(username) owns the scope '\(id.scope)' and with it every package in it: scope owners are changed by the operator"
            )
        }
        let removedRole = roles.role(of: username)
        let outcome = try await storage.maintainers.removeMember(username, from: id, keepingAnOwner: roles.scopeOwners.isEmpty)
        if outcome == .lastOwner {
            throw BulwarkError.conflict("\(username) is the last owner of \(id): invite another owner first, then remove \(username)")
        }
        var revoked = 0
        for invitation in try await storage.maintainers.pendingInvitations(of: id) where invitation.invitee.lowercased() == username.lowercased() {
            if try await storage.maintainers.closeInvitation(id: invitation.id, as: .revoked, at: now()) { revoked += 1 }
        }
        guard outcome == .removed || revoked > 0 else {
            throw BulwarkError.notFound("\(username) is not a maintainer of \(id) and has no pending invitation to it")
        }
        let what = outcome == .removed ? "\(username) (\(removedRole?.rawValue ?? "maintainer")) from \(id)" : "the invitation of \(username) to \(id)"
        await log.record(me, .maintainerRemoved, what, ip: ip(context))
        if username.lowercased() != me.lowercased(), let removed = try await storage.accounts.account(named: username) {
            await log.record(removed.name, .maintainerRemoved, "\(what), by \(me)", ip: nil)
        }
        return Response(status: .noContent)
    }

    // MARK: Invitations of the signed-in account

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        let signedIn = try await sessions.requireAuthenticated(request)
        let at = now()
        let pending = try await storage.maintainers.pendingInvitations(for: signedIn.account.name).filter { $0.effectiveState(at: at) == .pending }
        return try jsonResponse(["invitations": pending.map(Self.json)])
    }

    /// The invitation in the path, if it is addressed to the caller and still pending.
    func requireOwnPending(_ request: Request, _ context: Context) async throws -> (SignedIn, Invitation) {
        let signedIn = try await sessions.requireAuthenticated(request)
        let id = try RegistryPaths.segment("id", context)
        guard let invitation = try await storage.maintainers.invitation(id: id) else { throw BulwarkError.notFound("no invitation \(id)") }
        guard invitation.invitee.lowercased() == signedIn.account.name.lowercased() else {
            throw BulwarkError.forbidden("this invitation is addressed to another account")
        }
        switch invitation.effectiveState(at: now()) {
        case .pending: return (signedIn, invitation)
        case .expired:
            throw BulwarkError(.gone, "this invitation to \(invitation.package) expired: ask \(invitation.invitedBy) to invite you again")
        case .accepted, .declined, .revoked:
            throw BulwarkError.conflict("this invitation to \(invitation.package) was \(invitation.state.rawValue) already")
        }
    }

    @Sendable func accept(_ request: Request, context: Context) async throws -> Response {
        let (signedIn, invitation) = try await requireOwnPending(request, context)
        let id = invitation.package
        // The offer stands only while the owner who made it still owns the package.
        guard try await access.roles(of: id).role(of: invitation.invitedBy) == .owner else {
            throw BulwarkError.conflict("\(invitation.invitedBy), who invited you, no longer owns \(id): ask a current owner")
        }
        if try await access.effectivePolicy(of: id).secondFactor == .passkey {
            try await access.requirePasskeyHolder(signedIn.account.name, for: id, action: "accepting")
        }
        guard try await storage.maintainers.acceptInvitation(id: invitation.id, by: signedIn.account.name, at: now()) else {
            throw BulwarkError.conflict("this invitation to \(id) was decided already")
        }
        let role = try await access.roles(of: id).role(of: signedIn.account.name) ?? invitation.role
        let kind: SecurityEvent.Kind = invitation.role == .owner ? .ownershipTransferred : .invitationAccepted
        await log.record(signedIn.account.name, kind, "\(id) as \(role.rawValue) (invited by \(invitation.invitedBy))", ip: ip(context))
        await log.record(invitation.invitedBy, kind, "\(signedIn.account.name) is now \(role.rawValue) of \(id)", ip: nil)
        return try jsonResponse(["package": id.description, "role": role.rawValue, "state": "accepted"])
    }

    @Sendable func decline(_ request: Request, context: Context) async throws -> Response {
        let (signedIn, invitation) = try await requireOwnPending(request, context)
        guard try await storage.maintainers.closeInvitation(id: invitation.id, as: .declined, at: now()) else {
            throw BulwarkError.conflict("this invitation to \(invitation.package) was decided already")
        }
        await log.record(signedIn.account.name, .invitationDeclined, "\(invitation.package) as \(invitation.role.rawValue)", ip: ip(context))
        await log.record(invitation.invitedBy, .invitationDeclined, "\(signedIn.account.name) declined \(invitation.package)", ip: nil)
        return try jsonResponse(["package": invitation.package.description, "state": "declined"])
    }
}
