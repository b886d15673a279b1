import BulwarkCore
import HTTPTypes
import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's core context plus the client's address,
/// which rate limits, sign-in throttling, the security log and tokens' last use record.
public struct BulwarkRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer's IP address, when the transport has one.
    public let peerAddress: String?
    /// The client's IP address: the peer's, unless the peer is a trusted proxy
    /// (`serve --trusted-proxy`), in which case ``ClientAddressMiddleware`` sets the one that
    /// `X-Forwarded-For` names. Everything that keys on or records a client address reads this.
    public internal(set) var clientAddress: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerAddress = source.channel.remoteAddress?.ipAddress
        clientAddress = peerAddress
    }
}

/// Sets ``BulwarkRequestContext/clientAddress`` from `X-Forwarded-For` when the TCP peer is a
/// trusted proxy; the only place that decides who the client is (see ``TrustedProxies``). It runs
/// before every other middleware, rate limits included.
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = BulwarkRequestContext
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
    let proxies: TrustedProxies

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.clientAddress = proxies.clientAddress(peer: context.peerAddress, forwardedFor: request.headers[values: Self.forwardedFor])
        return try await next(request, context)
    }
}
