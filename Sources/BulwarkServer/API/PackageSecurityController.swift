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
        var owners: [[String: Any]] = [], maintainers: [[String: Any]] = []
        var withPasskeys = 0, withoutSecondFactor = 0, maintainersWithPasskeys = 0, maintainersWithoutSecondFactor = 0
        let access = PackageAccess(storage: storage, configuration: configuration, now: Date.init)
        for person in try await access.roles(of: canonical).everyone {
            let passkeys = try await storage.security.passkeys(account: person.username).count
            let totp = try await storage.security.totp(account: person.username)?.confirmed == true
            let entry: [String: Any] = ["username": person.username, "passkeys": passkeys, "totp": totp]
            if person.role == .owner {
                if passkeys > 0 { withPasskeys += 1 }
                if passkeys == 0 && !totp { withoutSecondFactor += 1 }
                owners.append(entry)
            } else {
                if passkeys > 0 { maintainersWithPasskeys += 1 }
                if passkeys == 0 && !totp { maintainersWithoutSecondFactor += 1 }
                maintainers.append(entry)
            }
        }
        let summaries = try await storage.releases.releases(of: canonical).sorted { $0.version < $1.version }
        var signed = 0
        var latestSigned = false
        for (index, summary) in summaries.enumerated() {
            let isSigned = try await storage.releases.release(canonical, version: summary.version)?.archiveSignature != nil
            if isSigned { signed += 1 }
            if index == summaries.count - 1 { latestSigned = isSigned }
        }
        // The effective policy: the package's own raised to the registry-wide floor.
        let policy = try await access.effectivePolicy(of: canonical)
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
            "maintainers": maintainers,
            "maintainersWithPasskeys": maintainersWithPasskeys,
            "maintainersWithoutSecondFactor": maintainersWithoutSecondFactor,
            "releases": [
                "count": summaries.count, "signed": signed,
                "latest": summaries.last.map { $0.version.description } ?? NSNull(), "latestSigned": latestSigned,
            ] as [String: Any],
        ])
    }
}
