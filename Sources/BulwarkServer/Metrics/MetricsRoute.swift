import BulwarkAuth
import BulwarkCore
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /metrics`: the Prometheus text format. Who may read it: with `--metrics-token`, a client
/// sending `Authorization: Bearer <that token>` (from anywhere; 401 otherwise); without one, only
/// clients on the loopback interface (403 otherwise).
struct MetricsRoute<Context: RequestContext>: Sendable {
    let metrics: BulwarkMetrics
    /// SHA-256 of the configured token; the token itself is not kept.
    let tokenHash: [UInt8]?
    let ip: @Sendable (Context) -> String?

    init(metrics: BulwarkMetrics, token: String?, ip: @escaping @Sendable (Context) -> String?) {
        self.metrics = metrics
        tokenHash = token.map { Array(SHA256.hash(data: Array($0.utf8))) }
        self.ip = ip
    }

    func addRoutes(to router: Router<Context>) {
        router.get("/metrics") { request, context in try self.serve(request, context) }
    }

    func serve(_ request: Request, _ context: Context) throws -> Response {
        if let tokenHash {
            guard let header = request.headers[.authorization], header.count > 7, header.prefix(7).lowercased() == "bearer " else {
                throw BulwarkError.unauthorized("metrics need `Authorization: Bearer <metrics token>`")
            }
            let given = Array(SHA256.hash(data: Array(header.utf8.dropFirst(7))))
            guard constantTimeEquals(given, tokenHash) else { throw BulwarkError.unauthorized("wrong metrics token") }
        } else {
            guard let address = ip(context), Self.isLoopback(address) else {
                throw BulwarkError.forbidden("metrics are only served to loopback clients (or start the server with --metrics-token)")
            }
        }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: metrics.render()))
        )
    }

    static func isLoopback(_ address: String) -> Bool {
        address == "::1" || address.hasPrefix("127.") || address.hasPrefix("::ffff:127.")
    }
}
