import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's core context plus the client's address,
/// which the security log records.
public struct BulwarkRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's IP address, when the transport has one.
    public let remoteAddress: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress
    }
}
