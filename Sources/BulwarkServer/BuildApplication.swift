import BulwarkStorage
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL

/// Builds the Bulwark application. `bulwark serve` and the tests both come through here.
public func buildApplication(
    configuration: ServerConfiguration,
    storage: Storage,
    logger: Logger = Logger(label: "bulwark"),
    now: @escaping @Sendable () -> Date = Date.init,
    onServerRunning: @escaping @Sendable (_ address: String) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let router = buildRouter(configuration: configuration, storage: storage, now: now)
    let maxUpload = configuration.maxUploadBytes
    let http1 = HTTPServerBuilder.http1(configuration: .init(
        additionalChannelHandlers: [ExpectContinueHandler(maxUploadBytes: maxUpload)],
        idleTimeout: .seconds(60)
    ))
    let server: HTTPServerBuilder
    if let certificatePath = configuration.tlsCertificatePath, let keyPath = configuration.tlsKeyPath {
        let chain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        let tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        server = try .tls(http1, tlsConfiguration: tls)
    } else {
        server = http1
    }
    let scheme = configuration.usesTLS ? "https" : "http"
    return Application(
        router: router,
        server: server,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "bulwark"),
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? configuration.port
            await onServerRunning("\(scheme)://\(configuration.host):\(port)")
        },
        logger: logger
    )
}

/// The route table.
public func buildRouter(
    configuration: ServerConfiguration, storage: Storage, now: @escaping @Sendable () -> Date = Date.init
) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: RegistryResponseMiddleware())
    let paths = RegistryPaths(configuredBaseURL: configuration.baseURL, usesTLS: configuration.usesTLS)
    let authenticator = TokenAuthenticator(tokens: storage.tokens, cacheSeconds: configuration.tokenCacheSeconds, now: now)

    router.get("/healthz") { _, _ in Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n"))) }
    router.get("/availability") { _, _ in Response(status: .ok) }
    // `swift package-registry login` POSTs here and needs exactly 200 for a valid token.
    router.post("/login") { request, _ -> Response in
        _ = try await authenticator.authenticate(request.headers)
        return Response(status: .ok)
    }
    RegistryReadController<BasicRequestContext>(storage: storage, paths: paths, releasesPerPage: configuration.releasesPerPage)
        .addRoutes(to: router)
    PublishController<BasicRequestContext>(
        storage: storage, paths: paths, authenticator: authenticator, configuration: configuration, now: now
    ).addRoutes(to: router)
    return router
}
