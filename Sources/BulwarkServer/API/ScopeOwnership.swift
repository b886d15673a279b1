import BulwarkCore
import BulwarkStorage
import Foundation
import Hummingbird

/// Who may publish into a scope: its owners. The first account to publish into an unowned scope
/// (or to claim it with `POST /api/v1/scopes`) becomes its owner; the operator can add owners with
/// `bulwark admin assign-scope`.
struct ScopeOwnership: Sendable {
    let scopes: any ScopeStore
    let now: @Sendable () -> Date

    func requirePublishRight(account: String, package id: PackageIdentifier) async throws {
        var owners = try await scopes.owners(ofScope: id.scope)
        if owners.isEmpty {
            if try await scopes.claimScope(id.scope, account: account, at: now()) { return }
            owners = try await scopes.owners(ofScope: id.scope)
        }
        guard owners.contains(where: { $0.lowercased() == account.lowercased() }) else {
            throw BulwarkError.forbidden("the scope '\(id.scope)' belongs to another account: ask one of its owners to publish or to add you")
        }
    }

    /// Tokens made through the API may only cover scopes the account owns.
    func requireOwnership(account: String, of patterns: [PackagePattern]) async throws {
        let owned = Set(try await scopes.scopes(ownedBy: account).map { $0.lowercased() })
        for pattern in patterns {
            let scope: String
            switch pattern {
            case .scope(let s): scope = s
            case .package(let id): scope = id.scope
            }
            guard owned.contains(scope.lowercased()) else {
                throw BulwarkError.forbidden("you don't own the scope '\(scope)': claim it with POST /api/v1/scopes first")
            }
        }
    }
}

/// `POST /api/v1/scopes {"name"}` claims a scope; `GET /api/v1/scopes` lists the caller's.
struct ScopeController<Context: RequestContext>: Sendable {
    let storage: Storage
    let sessions: Sessions
    let now: @Sendable () -> Date

    func addRoutes(to router: Router<Context>) {
        router.post("/api/v1/scopes", use: claim)
        router.get("/api/v1/scopes", use: list)
    }

    struct ClaimBody: Decodable { let name: String }

    @Sendable func claim(_ request: Request, context: Context) async throws -> Response {
        let signedIn = try await sessions.requireAuthenticated(request)
        let body = try await decodeBody(ClaimBody.self, from: request, context: context)
        guard PackageIdentifier.isValidScope(body.name) else {
            throw BulwarkError.unprocessable("invalid scope '\(body.name)': use 1–39 letters, digits or single hyphens")
        }
        guard try await storage.scopes.claimScope(body.name, account: signedIn.account.name, at: now()) else {
            throw BulwarkError.conflict("the scope '\(body.name)' is taken")
        }
        return try jsonResponse(["name": body.name, "owners": [signedIn.account.name]], status: .created)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        let signedIn = try await sessions.requireAuthenticated(request)
        return try jsonResponse(["scopes": try await storage.scopes.scopes(ownedBy: signedIn.account.name)])
    }
}
