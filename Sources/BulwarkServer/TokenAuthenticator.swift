import BulwarkAuth
import BulwarkCore
import BulwarkStorage
import CoreMetrics
import Foundation
import HTTPTypes

/// Who is calling, once a bearer token has been verified.
struct Publisher: Sendable {
    let account: String
    let token: TokenRecord
}

/// Verifies `Authorization: Bearer bwk_…` tokens.
///
/// Verified tokens are cached for `cacheSeconds` so reads don't hit the database on every request;
/// that is also the longest a revoked token keeps working.
actor TokenAuthenticator {
    private let tokens: any TokenStore
    private let cacheSeconds: Double
    private let now: @Sendable () -> Date
    private var cache: [String: (record: TokenRecord, fetchedAt: Date)] = [:]
    private let metrics: BulwarkMetrics?
    private let lookupTimer: CoreMetrics.Timer?

    init(tokens: any TokenStore, cacheSeconds: Double, now: @escaping @Sendable () -> Date = Date.init, metrics: BulwarkMetrics? = nil) {
        self.tokens = tokens
        self.cacheSeconds = cacheSeconds
        self.now = now
        self.metrics = metrics
        lookupTimer = metrics?.storageTimer(store: "tokens", operation: "token")
    }

    /// The caller's identity, or a 401 problem explaining what is wrong with the credentials.
    /// Every successful use records the time and `ip` on the token (`lastUsedAt`, `lastUsedIP`).
    func authenticate(_ headers: HTTPFields, ip: String? = nil) async throws -> Publisher {
        guard let authorization = headers[.authorization] else {
            throw BulwarkError.unauthorized("authentication required: log in with `swift package-registry login URL --token TOKEN`")
        }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        let scheme = parts.first.map { $0.lowercased() } ?? ""
        if scheme == "basic" {
            throw BulwarkError.unauthorized(
                "a password is never enough to publish to this registry: create an API token and log in with `swift package-registry login URL --token TOKEN`"
            )
        }
        guard scheme == "bearer", parts.count == 2 else {
            throw BulwarkError.unauthorized("unsupported authorization scheme: use `Authorization: Bearer TOKEN`")
        }
        let token = String(parts[1]).trimmingCharacters(in: .whitespaces)
        guard APIToken.looksLikeToken(token) else { throw BulwarkError.unauthorized("invalid or expired token") }
        let hash = APIToken.hash(token)
        let at = now()
        let record: TokenRecord
        let cached: Bool
        if let entry = cache[hash], at.timeIntervalSince(entry.fetchedAt) < cacheSeconds {
            record = entry.record
            cached = true
        } else {
            cached = false
            let found: TokenRecord?
            let started = ContinuousClock.now
            found = try await tokens.token(hash: hash)
            if let lookupTimer {
                let elapsed = ContinuousClock.now - started
                lookupTimer.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
            }
            guard let stored = found, constantTimeEquals(Array(stored.hash.utf8), Array(hash.utf8)) else {
                cache[hash] = nil
                metrics?.recordTokenVerification(valid: false, cached: false)
                throw BulwarkError.unauthorized("invalid or expired token")
            }
            record = stored
            cache[hash] = (stored, at)
            if cache.count > 10_000 { cache.removeAll(keepingCapacity: true) }
        }
        let active = record.isActive(at: at)
        metrics?.recordTokenVerification(valid: active, cached: cached)
        guard active else { throw BulwarkError.unauthorized("invalid or expired token") }
        try? await tokens.touchToken(id: record.id, at: at, ip: ip)
        return Publisher(account: record.account, token: record)
    }

    /// The caller, if it may publish `id`: 401 without valid credentials, 403 outside the token's scope.
    func requirePublisher(of id: PackageIdentifier, headers: HTTPFields, ip: String? = nil) async throws -> Publisher {
        let publisher = try await authenticate(headers, ip: ip)
        guard publisher.token.allowsPublishing(id) else {
            throw BulwarkError.forbidden(
                "this token may not publish \(id): it covers \(publisher.token.packages.map(\.description).joined(separator: ", "))"
            )
        }
        return publisher
    }
}
