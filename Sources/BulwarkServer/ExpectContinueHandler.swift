import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Answers `Expect: 100-continue` with `100 Continue` (SwiftPM always sends it on publish; answering
/// saves the client a one-second wait, and answering 417 would make it fail).
///
/// It only invites the body when the request could succeed: a `Content-Length` within the upload
/// limit and credentials present. Otherwise the route answers 401/413 before the body is sent.
final class ExpectContinueHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    private let maxUploadBytes: Int

    init(maxUploadBytes: Int) { self.maxUploadBytes = maxUploadBytes }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let request) = unwrapInboundIn(data),
            request.headerFields[.expect]?.lowercased() == "100-continue",
            request.headerFields[.authorization] != nil,
            let length = request.headerFields[.contentLength].flatMap(Int.init), length <= maxUploadBytes
        {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        }
        context.fireChannelRead(data)
    }
}

extension HTTPField.Name {
    static let expect = Self("Expect")!
}
