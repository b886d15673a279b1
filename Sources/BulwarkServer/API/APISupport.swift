import BulwarkCore
import BulwarkStorage
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A JSON response (`application/json`) from a JSON-serialisable object.
func jsonResponse(_ object: Any, status: HTTPResponse.Status = .ok, cookie: Cookie? = nil) throws -> Response {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    var response = Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    if let cookie { response.setCookie(cookie) }
    return response
}

/// Decodes a JSON body, turning decoding failures into a 400 problem.
func decodeBody<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
    do { return try await request.decode(as: type, context: context) } catch {
        throw BulwarkError.badRequest("the request body is not the JSON this endpoint expects")
    }
}

/// Failure counters per account and factor, and per IP: five failures in fifteen minutes lock the
/// factor (both numbers are configuration). Every failure is logged.
struct Throttle: Sendable {
    let storage: Storage
    let configuration: AccountSecurityConfiguration
    let now: @Sendable () -> Date

    /// 429 if any of the keys is locked.
    func check(_ keys: [String]) async throws {
        let since = now().addingTimeInterval(-configuration.failureWindow)
        for key in keys where try await storage.security.failures(key: key, since: since) >= configuration.maxFailures {
            throw BulwarkError(.tooManyRequests, "too many failed attempts: try again in \(Int(configuration.failureWindow / 60)) minutes")
        }
    }

    func fail(_ keys: [String]) async throws {
        let at = now()
        for key in keys {
            _ = try await storage.security.recordFailure(key: key, at: at, countingSince: at.addingTimeInterval(-configuration.failureWindow))
        }
    }
}

/// Records security-log events.
struct SecurityLog: Sendable {
    let storage: Storage
    let now: @Sendable () -> Date

    func record(_ account: String, _ kind: SecurityEvent.Kind, _ detail: String, ip: String?) async {
        try? await storage.security.recordEvent(SecurityEvent(account: account, kind: kind, detail: detail, ip: ip, at: now()))
    }
}

/// State-changing requests authenticated by cookie must come from the registry's own pages:
/// their `Origin` must equal the configured base URL's origin, or they get 403.
struct OriginCheckMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The configured base URL's origin; without one, the origin of the host the request was sent to.
    let allowedOrigin: String?
    let usesTLS: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let safe = request.method == .get || request.method == .head || request.method == .options
        if !safe, request.uri.path.hasPrefix("/api/"), request.cookies[Sessions.cookieName] != nil {
            let expected = allowedOrigin ?? request.head.authority.map { "\(usesTLS ? "https" : "http")://\($0)" }
            guard let origin = request.headers[HTTPField.Name("Origin")!], let expected, origin == expected else {
                throw BulwarkError.forbidden("cross-site request refused: the Origin header must be \(expected ?? "this registry's origin")")
            }
        }
        return try await next(request, context)
    }

    /// `https://registry.example:8443/x` → `https://registry.example:8443`.
    static func origin(of baseURL: String?) -> String? {
        guard let baseURL, let url = URL(string: baseURL), let scheme = url.scheme, let host = url.host else { return nil }
        return url.port.map { "\(scheme)://\(host):\($0)" } ?? "\(scheme)://\(host)"
    }
}
