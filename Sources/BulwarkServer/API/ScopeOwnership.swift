import BulwarkCore
import BulwarkStorage
import Foundation
import Hummingbird

// Who may publish into a scope and which tokens an account may make: see `PackageAccess`
// (`requirePublishRight`, `requireTokenCoverage`). The first account to publish into an unowned
// scope (or to claim it with `POST /api/v1/scopes`) becomes its owner; the operator can add owners
// with `bulwark admin assign-scope`; a package's owners invite maintainers.

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
