import BulwarkCore
import BulwarkStorage
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension PackagePolicy {
    /// The stricter of this policy and `floor`, field by field (passkey over any, approval over tokens).
    func atLeast(_ floor: PackagePolicy) -> PackagePolicy {
        PackagePolicy(
            secondFactor: secondFactor == .passkey || floor.secondFactor == .passkey ? .passkey : .any,
            publishing: publishing == .approval || floor.publishing == .approval ? .approval : .tokens
        )
    }

    var json: [String: String] { ["secondFactor": secondFactor.rawValue, "publishing": publishing.rawValue] }
}

/// A problem detail with its own type and extension members, thrown by a handler and rendered by
/// ``RegistryResponseMiddleware``.
struct TypedProblem: Error {
    let status: Int
    /// The problem's JSON, built when thrown (extension members are arbitrary JSON values).
    let body: Data

    init(status: Int, detail: String, type: String, extra: [String: Any] = [:]) {
        var object = extra
        object["type"] = type
        object["title"] = ProblemResponse.title(status)
        object["status"] = status
        object["detail"] = detail
        self.status = status
        body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }

    var response: Response {
        Response(
            status: HTTPResponse.Status(code: status, reasonPhrase: ProblemResponse.title(status)),
            headers: [.contentType: "application/problem+json", .contentVersion: "1"],
            body: .init(byteBuffer: ByteBuffer(bytes: body))
        )
    }

    static let passkeyRequiredType = "https://bulwark.dev/problems/passkey-required"
}

/// Who holds which role on a package: the scope's owners are owners of every package in it; other
/// accounts hold the role their accepted invitation (or the operator) gave them.
struct PackageRoles: Sendable {
    let scopeOwners: [String]
    let members: [PackageMember]

    func role(of account: String) -> PackageRole? {
        let key = account.lowercased()
        if scopeOwners.contains(where: { $0.lowercased() == key }) { return .owner }
        return members.first { $0.account.lowercased() == key }?.role
    }

    func isScopeOwner(_ account: String) -> Bool { scopeOwners.contains { $0.lowercased() == account.lowercased() } }

    /// Every account with a role, owners first: (name, role, how they got it).
    var everyone: [(username: String, role: PackageRole, via: String)] {
        var result = scopeOwners.map { (username: $0, role: PackageRole.owner, via: "scope") }
        let stored = members.filter { !isScopeOwner($0.account) }
        result += stored.filter { $0.role == .owner }.map { (username: $0.account, role: PackageRole.owner, via: "invitation") }
        result += stored.filter { $0.role == .maintainer }.map { (username: $0.account, role: PackageRole.maintainer, via: "invitation") }
        return result
    }

    var owners: [String] { everyone.filter { $0.role == .owner }.map(\.username) }
}

/// Authorisation on one package: roles, the effective policy (the package's own, raised to the
/// registry's floor) and the step-up a sensitive action needs under it.
///
/// Sensitive actions on a package (managing maintainers, changing the policy, approving a staged
/// release, yanking or deleting) call ``requireStepUp(_:for:)``: a second factor from the step-up
/// window, and under `secondFactor: passkey` a passkey from that window.
struct PackageAccess: Sendable {
    let storage: Storage
    let configuration: AccountSecurityConfiguration
    let now: @Sendable () -> Date

    func roles(of id: PackageIdentifier) async throws -> PackageRoles {
        PackageRoles(scopeOwners: try await storage.scopes.owners(ofScope: id.scope), members: try await storage.maintainers.members(of: id))
    }

    /// The package's policy, or the defaults, raised to the registry-wide floor.
    func effectivePolicy(of id: PackageIdentifier) async throws -> PackagePolicy {
        (try await storage.policies.policy(of: id) ?? .default).atLeast(configuration.minimumPolicy)
    }

    /// 403 unless the caller holds `role` (or more) on the package.
    @discardableResult
    func requireRole(_ role: PackageRole, _ signedIn: SignedIn, on id: PackageIdentifier) async throws -> PackageRoles {
        let roles = try await roles(of: id)
        guard let held = roles.role(of: signedIn.account.name), held.rank >= role.rank else {
            throw BulwarkError.forbidden(
                role == .owner ? "only an owner of \(id) can do this" : "only an owner or maintainer of \(id) can do this"
            )
        }
        return roles
    }

    /// The step-up a sensitive action on `id` needs under its effective policy: any second factor
    /// from the step-up window, or under `secondFactor: passkey` a passkey from the window (a TOTP
    /// step-up is answered `403` with type `…/passkey-required`).
    func requireStepUp(_ signedIn: SignedIn, for id: PackageIdentifier) async throws {
        try await requireStepUp(signedIn, for: id, policy: try await effectivePolicy(of: id))
    }

    func requireStepUp(_ signedIn: SignedIn, for id: PackageIdentifier, policy: PackagePolicy) async throws {
        let window = configuration.stepUpWindow
        let at = now()
        if policy.secondFactor == .passkey {
            if let passkeyAt = signedIn.session.passkeyAt, at.timeIntervalSince(passkeyAt) <= window { return }
            try await requirePasskeyHolder(signedIn.account.name, for: id, action: "this action")
            throw PasskeyStepUpRequired(what: "\(id) requires passkeys: this action", window: window)
        }
        guard let secondFactorAt = signedIn.session.secondFactorAt, at.timeIntervalSince(secondFactorAt) <= window else {
            throw StepUpRequired(window: window)
        }
    }

    /// Under a passkey policy an account without a passkey can't act on the package (publish,
    /// approve, manage): 403 with type `…/passkey-required` saying so.
    func requirePasskeyHolder(_ account: String, for id: PackageIdentifier, action: String) async throws {
        guard try await storage.security.passkeys(account: account).isEmpty else { return }
        throw TypedProblem(
            status: 403,
            detail: "\(id) requires passkeys, and \(account) has none: register a passkey (account page) before \(action)",
            type: TypedProblem.passkeyRequiredType, extra: ["missing": ["passkey"]]
        )
    }

    /// The accounts among `names` without a passkey, each with what it has instead.
    func withoutPasskey(_ people: [(username: String, role: PackageRole, via: String)]) async throws -> [[String: Any]] {
        var missing: [[String: Any]] = []
        for person in people where try await storage.security.passkeys(account: person.username).isEmpty {
            let totp = try await storage.security.totp(account: person.username)?.confirmed == true
            missing.append(["username": person.username, "role": person.role.rawValue, "missing": ["passkey"], "has": totp ? ["totp"] : []])
        }
        return missing
    }

    // MARK: Publishing

    /// Who may publish `id`: the scope's owners (the first publisher into an unowned scope claims
    /// it) and the package's maintainers; under a passkey policy only if they have a passkey.
    func requirePublishRight(account: String, package id: PackageIdentifier) async throws {
        var owners = try await storage.scopes.owners(ofScope: id.scope)
        if owners.isEmpty, try await storage.scopes.claimScope(id.scope, account: account, at: now()) {
            owners = [account]
        } else if owners.isEmpty {
            owners = try await storage.scopes.owners(ofScope: id.scope)
        }
        let roles = PackageRoles(scopeOwners: owners, members: try await storage.maintainers.members(of: id))
        guard roles.role(of: account) != nil else {
            throw BulwarkError.forbidden(
                "the scope '\(id.scope)' belongs to another account and you don't maintain \(id): ask one of its owners to publish or to invite you"
            )
        }
        if try await effectivePolicy(of: id).secondFactor == .passkey {
            try await requirePasskeyHolder(account, for: id, action: "publishing")
        }
    }

    /// Tokens made through the API cover only what the account may publish: whole scopes it owns,
    /// and single packages in them or that it maintains.
    func requireTokenCoverage(account: String, of patterns: [PackagePattern]) async throws {
        let owned = Set(try await storage.scopes.scopes(ownedBy: account).map { $0.lowercased() })
        let maintained = Set(try await storage.maintainers.memberships(of: account).map(\.package.canonicalKey))
        for pattern in patterns {
            switch pattern {
            case .scope(let scope):
                guard owned.contains(scope.lowercased()) else {
                    throw BulwarkError.forbidden("you don't own the scope '\(scope)': claim it with POST /api/v1/scopes first")
                }
            case .package(let id):
                guard owned.contains(id.scope.lowercased()) || maintained.contains(id.canonicalKey) else {
                    throw BulwarkError.forbidden(
                        "you don't own the scope '\(id.scope)' and don't maintain \(id): claim the scope or accept an invitation first"
                    )
                }
            }
        }
    }
}
