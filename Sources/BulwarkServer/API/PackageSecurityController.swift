import BulwarkCore
import BulwarkStorage
import Foundation
import Hummingbird

/// `GET /api/v1/packages/{scope}/{name}/security`: a package's public security posture — the
/// publishing policy, how its owners protect their accounts, how many releases are signed — which
/// `bulwark audit --registry URL` reads. Public, like the package itself; it names accounts and
/// factor kinds, never anything secret.
struct PackageSecurityController<Context: RequestContext>: Sendable {
    let storage: Storage
    let configuration: AccountSecurityConfiguration

    func addRoutes(to router: Router<Context>) {
        router.get("/api/v1/packages/:scope/:name/security", use: security)
    }

    @Sendable func security(_ request: Request, context: Context) async throws -> Response {
        let id = try RegistryPaths.packageID(context)
        guard let canonical = try await storage.releases.package(id) else { throw BulwarkError.notFound("package \(id) not found") }
        var owners: [[String: Any]] = []
        var withPasskeys = 0, withoutSecondFactor = 0
        for owner in try await storage.scopes.owners(ofScope: canonical.scope) {
            let passkeys = try await storage.security.passkeys(account: owner).count
            let totp = try await storage.security.totp(account: owner)?.confirmed == true
            if passkeys > 0 { withPasskeys += 1 }
            if passkeys == 0 && !totp { withoutSecondFactor += 1 }
            owners.append(["username": owner, "passkeys": passkeys, "totp": totp])
        }
        let summaries = try await storage.releases.releases(of: canonical).sorted { $0.version < $1.version }
        var signed = 0
        var latestSigned = false
        for (index, summary) in summaries.enumerated() {
            let isSigned = try await storage.releases.release(canonical, version: summary.version)?.archiveSignature != nil
            if isSigned { signed += 1 }
            if index == summaries.count - 1 { latestSigned = isSigned }
        }
        let policy = try await storage.policies.policy(of: canonical) ?? .default
        return try jsonResponse([
            "package": canonical.description,
            "policy": [
                "secondFactor": policy.secondFactor == .passkey ? "passkey" : configuration.require2FA ? "any" : "none",
                "publishing": policy.publishing.rawValue,
                "registryRequiresSecondFactor": configuration.require2FA,
            ] as [String: Any],
            "owners": owners,
            "ownersWithPasskeys": withPasskeys,
            "ownersWithoutSecondFactor": withoutSecondFactor,
            "releases": [
                "count": summaries.count, "signed": signed,
                "latest": summaries.last.map { $0.version.description } ?? NSNull(), "latestSigned": latestSigned,
            ] as [String: Any],
        ])
    }
}
