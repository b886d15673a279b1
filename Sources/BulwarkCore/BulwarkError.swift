/// The one domain error. Each edge renders it its own way: `application/problem+json` over HTTP,
/// a one-line message and a non-zero exit in the CLI.
public struct BulwarkError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, as a category that maps to an HTTP status.
    public enum Kind: Sendable, Equatable {
        case badRequest, unauthorized, forbidden, notFound, conflict, gone
        case payloadTooLarge, unsupportedMediaType, unprocessable, tooManyRequests, internalError, unavailable
    }

    public let kind: Kind
    /// A message safe to show to the client: it never contains a secret.
    public let detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String { detail }

    public var httpStatus: Int {
        switch kind {
        case .badRequest: 400
        case .unauthorized: 401
        case .forbidden: 403
        case .notFound: 404
        case .conflict: 409
        case .gone: 410
        case .payloadTooLarge: 413
        case .unsupportedMediaType: 415
        case .unprocessable: 422
        case .tooManyRequests: 429
        case .internalError: 500
        case .unavailable: 503
        }
    }

    public static func invalidIdentifier(_ d: String) -> Self { .init(.badRequest, d) }
    public static func invalidVersion(_ d: String) -> Self { .init(.badRequest, d) }
    public static func notFound(_ d: String) -> Self { .init(.notFound, d) }
    public static func conflict(_ d: String) -> Self { .init(.conflict, d) }
    public static func unprocessable(_ d: String) -> Self { .init(.unprocessable, d) }
    public static func unauthorized(_ d: String) -> Self { .init(.unauthorized, d) }
    public static func forbidden(_ d: String) -> Self { .init(.forbidden, d) }
    public static func payloadTooLarge(_ d: String) -> Self { .init(.payloadTooLarge, d) }
    public static func badRequest(_ d: String) -> Self { .init(.badRequest, d) }
    public static func internalError(_ d: String) -> Self { .init(.internalError, d) }
}
