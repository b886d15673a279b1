import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Synchronization

extension HTTPField.Name {
    static let requestID = Self("X-Request-Id")!
}

/// The outermost middleware: gives every request an id (the client's `X-Request-Id` when it is a
/// short token of safe characters, else a new one), echoes it in the response, puts it in every log
/// line of the request, and records the request's metrics: count and latency per route template,
/// method and status; publishes by outcome; sign-in steps by method. Nothing secret is logged: no
/// headers, no bodies, no query strings.
struct ObservabilityMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: BulwarkMetrics
    private let ids = RequestIDs()

    init(metrics: BulwarkMetrics) { self.metrics = metrics }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let id = request.headers[.requestID].flatMap(Self.acceptableID) ?? ids.next()
        var context = context
        context.logger[metadataKey: "request_id"] = .string(id)
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            // Not expected (the registry middleware renders every error), but counted all the same.
            finish(request, context, status: error.status.code, start: start)
            throw error
        }
        response.headers[.requestID] = id
        finish(request, context, status: response.status.code, start: start)
        return response
    }

    private func finish(_ request: Request, _ context: Context, status: Int, start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let nanoseconds = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
        let route = Self.routeTemplate(context.endpointPath)
        let method = request.method.rawValue
        metrics.recordRequest(route: route, method: method, status: status, nanoseconds: nanoseconds)
        if request.method == .put, route == "/{scope}/{name}/{version}" {
            let (outcome, reason) = Self.publishOutcome(status)
            metrics.recordPublish(outcome: outcome, reason: reason)
        } else if request.method == .post, let signInMethod = SignInRoutes.methods[route] {
            metrics.recordSignIn(method: signInMethod, result: status < 300 ? "success" : status == 429 ? "throttled" : "failure")
        }
        let level: Logger.Level = status >= 500 ? .error : .debug
        context.logger.log(level: level, "request", metadata: [
            "method": .string(method), "route": .string(route), "status": .stringConvertible(status),
            "duration_ms": .string(String(format: "%.2f", Double(nanoseconds) / 1e6)),
        ])
    }

    /// `/:scope/:name` and `/{scope}/{name}` both become `/{scope}/{name}`; an unmatched request is
    /// `unmatched`, so random paths can't blow up the number of series.
    static func routeTemplate(_ endpoint: String?) -> String {
        guard let endpoint, !endpoint.isEmpty else { return "unmatched" }
        guard endpoint.utf8.contains(UInt8(ascii: ":")) else { return endpoint }
        // Endpoints are the router's own few strings: rewrite each once.
        if let known = routeTemplates.withLock({ $0[endpoint] }) { return known }
        let template = endpoint.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
        }.joined(separator: "/")
        routeTemplates.withLock { if $0.count < 1_000 { $0[endpoint] = template } }
        return template
    }


}

/// `ObservabilityMiddleware.routeTemplate`'s rewrites, by endpoint (a generic type can't hold it).
private let routeTemplates = Mutex<[String: String]>([:])

enum SignInRoutes {
    static let methods: [String: String] = [
        "/api/v1/session": "password",
        "/api/v1/session/totp": "totp",
        "/api/v1/session/recovery-code": "recovery-code",
        "/api/v1/session/webauthn": "passkey",
    ]
}

extension ObservabilityMiddleware {
    static func publishOutcome(_ status: Int) -> (String, String) {
        switch status {
        case 201: ("accepted", "published")
        case 202: ("accepted", "staged")
        case 400: ("rejected", "bad-request")
        case 401: ("rejected", "unauthenticated")
        case 403: ("rejected", "forbidden")
        case 409: ("rejected", "conflict")
        case 413: ("rejected", "too-large")
        case 415: ("rejected", "unsupported-media-type")
        case 422: ("rejected", "invalid-release")
        case 429: ("rejected", "rate-limited")
        case 500...: ("rejected", "server-error")
        default: ("rejected", "status-\(status)")
        }
    }

    /// 1–128 characters of letters, digits and `-._:`.
    static func acceptableID(_ value: String) -> String? {
        guard !value.isEmpty, value.utf8.count <= 128,
            value.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2D || $0 == 0x2E || $0 == 0x5F || $0 == 0x3A })
        else { return nil }
        return value
    }
}

/// Request ids: a random per-process prefix and a counter, so making one costs an atomic add.
final class RequestIDs: Sendable {
    private let prefix: String
    private let counter = Atomic<UInt64>(0)

    init() {
        prefix = String(UInt32.random(in: .min ... .max), radix: 16)
    }

    func next() -> String {
        let n = counter.add(1, ordering: .relaxed).newValue
        return prefix + "-" + String(n, radix: 16)
    }
}
