import BulwarkAudit
import BulwarkCore
import BulwarkStorage
import BulwarkWebAuthn
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
    metrics: BulwarkMetrics = BulwarkMetrics(),
    onServerRunning: @escaping @Sendable (_ address: String) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let router = buildRouter(configuration: configuration, storage: storage, now: now, metrics: metrics)
    let maxUpload = configuration.maxUploadBytes
    let limits = configuration.limits
    let connections = ConnectionCounter(maxPerIP: limits.maxConnectionsPerIP)
    let http1 = HTTPServerBuilder.http1(configuration: .init(
        additionalChannelHandlers: [
            ExpectContinueHandler(maxUploadBytes: maxUpload), ConnectionGuard(counter: connections, limits: limits, metrics: metrics),
        ],
        idleTimeout: limits.idleTimeout > 0 ? .nanoseconds(Int64(limits.idleTimeout * 1e9)) : nil
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
    configuration: ServerConfiguration, storage: Storage, now: @escaping @Sendable () -> Date = Date.init,
    metrics: BulwarkMetrics = BulwarkMetrics()
) -> Router<BulwarkRequestContext> {
    typealias Context = BulwarkRequestContext
    var storage = storage
    storage.releases = TimedReleaseStore(storage.releases, metrics: metrics)
    storage.reads = TimedRegistryReads(storage.reads, metrics: metrics)
    let router = Router(context: Context.self)
    // The client's address, for every per-IP limit, lock and record: the TCP peer, or behind a
    // trusted proxy the address it forwards (ClientAddressMiddleware, first in the chain).
    let ip: @Sendable (Context) -> String? = { $0.clientAddress }
    if !configuration.trustedProxies.isEmpty {
        router.add(middleware: ClientAddressMiddleware(proxies: configuration.trustedProxies))
    }
    router.add(middleware: ObservabilityMiddleware(metrics: metrics))
    router.add(middleware: RateLimitMiddleware(limits: configuration.limits, metrics: metrics, ip: ip))
    router.add(middleware: RegistryResponseMiddleware())
    router.add(middleware: MethodNotAllowedMiddleware())
    router.add(middleware: OriginCheckMiddleware(
        allowedOrigin: OriginCheckMiddleware<Context>.origin(of: configuration.baseURL), usesTLS: configuration.usesTLS
    ))
    let paths = RegistryPaths(configuredBaseURL: configuration.baseURL, usesTLS: configuration.usesTLS)
    let authenticator = TokenAuthenticator(tokens: storage.tokens, cacheSeconds: configuration.tokenCacheSeconds, now: now, metrics: metrics)
    MetricsRoute<Context>(metrics: metrics, token: configuration.metricsToken, ip: ip).addRoutes(to: router)

    router.get("/healthz") { _, _ in Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n"))) }
    router.get("/availability") { _, _ in Response(status: .ok) }
    ReadinessRoute<Context>(checks: storage.readiness, timeout: .milliseconds(Int64(configuration.readinessTimeout * 1000))).addRoutes(to: router)
    // `swift package-registry login` POSTs here and needs exactly 200 for a valid token.
    router.post("/login") { request, context -> Response in
        _ = try await authenticator.authenticate(request.headers, ip: ip(context))
        return Response(status: .ok)
    }
    let security = configuration.security
    let sessions = Sessions(storage: storage, configuration: security, secureCookies: configuration.secureCookies, now: now)
    let log = SecurityLog(storage: storage, now: now)
    let sessionController = SessionController<Context>(
        storage: storage, sessions: sessions, throttle: Throttle(storage: storage, configuration: security, now: now), log: log,
        configuration: security, ip: ip, now: now
    )
    sessionController.addRoutes(to: router)
    let accountController = AccountController<Context>(storage: storage, sessions: sessions, log: log, configuration: security, ip: ip, now: now)
    accountController.addRoutes(to: router)
    ScopeController<Context>(storage: storage, sessions: sessions, now: now).addRoutes(to: router)
    PackageSecurityController<Context>(storage: storage, configuration: security).addRoutes(to: router)
    let passkeyController = PasskeyController<Context>(
        storage: storage, sessions: sessions, log: log, relyingParty: relyingParty(configuration),
        accountController: accountController, sessionController: sessionController, ip: ip, now: now
    )
    passkeyController.addRoutes(to: router)
    OpenAPIDocument.addRoutes(to: router)
    WebController<Context>(
        storage: storage, sessions: sessions, configuration: security, passkeysAvailable: relyingParty(configuration) != nil, now: now
    ).addRoutes(to: router)
    PackagePage<Context>(
        storage: storage, sessions: sessions, configuration: security, passkeysAvailable: relyingParty(configuration) != nil, now: now
    ).addRoutes(to: router)
    RegistriesPage<Context>(data: try? RegistryData.bundled()).addRoutes(to: router)
    let readCache = ReadCache(ttl: configuration.readCacheSeconds, maxEntries: configuration.readCacheEntries, now: now)
    var readController = RegistryReadController<Context>(storage: storage, paths: paths, releasesPerPage: configuration.releasesPerPage, cache: readCache)
    if configuration.storedResponses, let store = storage.storedResponses {
        readController.storedResponses = StoredResponseTier(
            store: store, releasesPerPage: configuration.releasesPerPage, metrics: metrics, firstReadBits: configuration.storedResponseFirstReadBits,
            flushDelay: .milliseconds(Int64(configuration.storedResponseFlushSeconds * 1000))
        )
    }
    readController.addRoutes(to: router)
    PackageController<Context>(
        storage: storage, sessions: sessions, log: log, passkeys: passkeyController, paths: paths, readCache: readCache, ip: ip, now: now
    ).addRoutes(to: router)
    MaintainerController<Context>(storage: storage, sessions: sessions, log: log, ip: ip, now: now).addRoutes(to: router)
    PublishController<Context>(
        storage: storage, paths: paths, authenticator: authenticator, configuration: configuration, readCache: readCache, now: now, ip: ip
    ).addRoutes(to: router)
    ReleaseLifecycleController<Context>(
        storage: storage, sessions: sessions, authenticator: authenticator, readCache: readCache, configuration: configuration, ip: ip, now: now
    ).addRoutes(to: router)
    return router
}

/// The WebAuthn relying party: its id is the base URL's host, its origin the base URL's origin.
func relyingParty(_ configuration: ServerConfiguration) -> RelyingParty? {
    guard let origin = OriginCheckMiddleware<BulwarkRequestContext>.origin(of: configuration.baseURL),
        let host = URL(string: origin)?.host
    else { return nil }
    return RelyingParty(id: host, name: configuration.security.issuer, origins: [origin])
}
