import Foundation
import HTTPTypes
import Hummingbird

extension OpenAPIDocument {
    /// The document as served: ``json`` with what applies to every operation added — `429 Too Many
    /// Requests` (the rate limits, with `Retry-After`) and a `default` problem-detail response
    /// (every error is one; e.g. 400 for a malformed parameter, 405 for an undeclared method).
    static let served: String = {
        guard var document = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any],
            var paths = document["paths"] as? [String: Any]
        else { return json }
        for (path, value) in paths {
            guard var item = value as? [String: Any] else { continue }
            for (method, operationValue) in item where OpenAPIMethods.all.contains(method) {
                guard var operation = operationValue as? [String: Any], var responses = operation["responses"] as? [String: Any] else { continue }
                if responses["429"] == nil {
                    responses["429"] = [
                        "description": "Too many requests from this address or with this token (see `serve --rate-limit-per-ip`, `--rate-limit-per-token`)",
                        "headers": ["Retry-After": ["description": "Seconds to wait", "schema": ["type": "integer"]]],
                        "content": ["application/problem+json": ["schema": ["$ref": "#/components/schemas/Problem"]]],
                    ] as [String: Any]
                }
                if responses["default"] == nil { responses["default"] = ["$ref": "#/components/responses/Problem"] }
                operation["responses"] = responses
                item[method] = operation
            }
            paths[path] = item
        }
        document["paths"] = paths
        guard let data = try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes]) else { return json }
        return String(decoding: data, as: UTF8.self)
    }()

    /// Path templates of the document and their methods, for answering 405 to other methods.
    static let routeMethods: [(segments: [Substring], methods: Set<String>)] = {
        guard let document = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any],
            let paths = document["paths"] as? [String: Any]
        else { return [] }
        return paths.map { path, value in
            let methods = Set(((value as? [String: Any]) ?? [:]).keys.filter { OpenAPIMethods.all.contains($0) }.map { $0.uppercased() })
            return (path.split(separator: "/", omittingEmptySubsequences: false), methods)
        }
    }()
}

enum OpenAPIMethods {
    static let all: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]
}

/// `405 Method Not Allowed` with `Allow` for a documented path requested with a method that no
/// documented operation on it has, where no route matched (instead of a 404). `HEAD` is allowed
/// wherever `GET` is.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Only where no route matched: the router throws its own 404 (handlers throw BulwarkError).
        let notFound: HTTPError
        do { return try await next(request, context) } catch let error as HTTPError where error.status == .notFound { notFound = error }
        let method = request.method.rawValue
        let segments = request.uri.path.split(separator: "/", omittingEmptySubsequences: false)
        // The most specific documented paths that match (fewest `{parameter}` segments), as the router does.
        let candidates = OpenAPIDocument.routeMethods.filter { Self.matches($0.segments, segments) }
        let fewest = candidates.map { Self.parameterCount($0.segments) }.min()
        let matched = !candidates.isEmpty
        var allowed = Set(candidates.filter { Self.parameterCount($0.segments) == fewest }.flatMap(\.methods))
        if allowed.contains("GET") { allowed.insert("HEAD") }
        guard matched, !allowed.contains(method) else { throw notFound }
        let list = allowed.sorted().joined(separator: ", ")
        return ProblemResponse.make(
            status: 405, detail: "\(method) is not supported on \(request.uri.path): use \(list)", headers: [.allow: list]
        )
    }

    static func parameterCount(_ template: [Substring]) -> Int { template.filter { $0.hasPrefix("{") }.count }

    static func matches(_ template: [Substring], _ path: [Substring]) -> Bool {
        guard template.count == path.count else { return false }
        for (t, p) in zip(template, path) {
            if t.hasPrefix("{"), t.hasSuffix("}") {
                if p.isEmpty { return false }
            } else if t != p {
                return false
            }
        }
        return true
    }
}
