import BulwarkAuth
import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// Request rates per client IP and per bearer token: over the limit, `429 Too Many Requests` as a
/// problem detail with `Retry-After` (whole seconds). `/healthz` and `/metrics` are not counted.
struct RateLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let perIP: RateLimiter
    let perToken: RateLimiter
    let ip: @Sendable (Context) -> String?
    let metrics: BulwarkMetrics?

    init(limits: TrafficLimits, metrics: BulwarkMetrics? = nil, ip: @escaping @Sendable (Context) -> String?, clock: @escaping @Sendable () -> Double = RateLimiter.uptime) {
        perIP = RateLimiter(rate: limits.requestsPerSecondPerIP, burst: limits.burstPerIP, maxKeys: limits.maxTrackedClients, clock: clock)
        perToken = RateLimiter(rate: limits.requestsPerSecondPerToken, burst: limits.burstPerToken, maxKeys: limits.maxTrackedClients, clock: clock)
        self.ip = ip
        self.metrics = metrics
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if path == "/healthz" || path == "/metrics" { return try await next(request, context) }
        if perIP.isEnabled, let address = ip(context), case .limited(let wait) = perIP.take(address) {
            metrics?.recordRateLimited(by: "ip")
            return Self.tooMany(wait, "too many requests from your address: at most \(Self.describe(perIP)); retry later")
        }
        if perToken.isEnabled, let key = Self.tokenKey(request.headers[.authorization]), case .limited(let wait) = perToken.take(key) {
            metrics?.recordRateLimited(by: "token")
            return Self.tooMany(wait, "too many requests with this token: at most \(Self.describe(perToken)); retry later")
        }
        return try await next(request, context)
    }

    /// The bucket key of a bearer token: part of its SHA-256, so no token is held in memory.
    static func tokenKey(_ authorization: String?) -> String? {
        guard let authorization, authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " else { return nil }
        let digest = SHA256.hash(data: Array(authorization.utf8.dropFirst(7)))
        return Array(digest.prefix(16)).hexString
    }

    static func tooMany(_ wait: Double, _ detail: String) -> Response {
        let seconds = max(1, Int(wait.rounded(.up)))
        return ProblemResponse.make(status: 429, detail: detail, headers: [.retryAfter: String(seconds)])
    }

    static func describe(_ limiter: RateLimiter) -> String {
        let rate = limiter.rate == limiter.rate.rounded() ? String(Int(limiter.rate)) : String(format: "%.2f", limiter.rate)
        return "\(rate) requests per second (bursts of \(Int(limiter.burst)))"
    }
}
