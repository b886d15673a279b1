import ArgumentParser
import BulwarkCore
import BulwarkServer
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

/// `bulwark serve` flags for request rates, connections, slow clients, sessions, metrics and
/// shutdown. Each has a safe default; 0 turns a limit off.
struct LimitOptions: ParsableArguments {
    @Option(help: "Requests per client IP: N per second, or N/s, N/min, N/h (0 turns it off).")
    var rateLimitPerIp = "100/s"
    @Option(help: "Requests a client IP may send at once before --rate-limit-per-ip applies.")
    var rateLimitBurstPerIp = 400.0
    @Option(help: "Requests per bearer token: N per second, or N/s, N/min, N/h (0 turns it off).")
    var rateLimitPerToken = "50/s"
    @Option(help: "Requests a token may send at once before --rate-limit-per-token applies.")
    var rateLimitBurstPerToken = 200.0
    @Option(help: "Open connections per TCP peer address; more are closed at once (0 turns it off). It counts the peer even with --trusted-proxy: behind a proxy set 0 or size it for the proxy's connections.")
    var maxConnectionsPerIp = 64
    @Option(
        name: .customLong("trusted-proxy"),
        help: ArgumentHelp(
            "A proxy address or CIDR block (IPv4 or IPv6; repeatable) whose X-Forwarded-For names the client: from such a peer, the right-most address there that is not itself a trusted proxy is the client for rate limits, sign-in locks, the security log and tokens' last use. Default: none (the TCP peer is the client; the header is ignored). Does not apply to --max-connections-per-ip.",
            valueName: "address-or-cidr"
        )
    )
    var trustedProxies: [String] = []
    @Option(help: "Seconds to send a whole request head (slow clients are disconnected; 0 turns it off).")
    var requestHeaderTimeout = 10.0
    @Option(help: "Longest pause, in seconds, while sending a request body (0 turns it off).")
    var requestBodyTimeout = 30.0
    @Option(help: "Seconds an idle keep-alive connection stays open (0: no limit).")
    var idleTimeout = 60.0
    @Option(help: "Sessions an account may hold; a new sign-in beyond it ends the least recently used (0 turns it off).")
    var maxSessionsPerAccount = 10
    @Option(help: "Bearer token that GET /metrics requires (default: metrics only for loopback clients).")
    var metricsToken: String?
    @Option(help: "File holding the token for GET /metrics (keeps it out of the process list).")
    var metricsTokenFile: String?
    @Option(help: "Seconds in-flight requests get to finish after SIGTERM/SIGINT before they are cut off.")
    var shutdownGrace = 30.0

    func validate() throws {
        for (flag, value) in [("--rate-limit-per-ip", rateLimitPerIp), ("--rate-limit-per-token", rateLimitPerToken)]
        where TrafficLimits.parseRate(value) == nil {
            throw ValidationError("\(flag) must be a number of requests per second, or N/s, N/min, N/h (got '\(value)')")
        }
        for (flag, value) in [
            ("--rate-limit-burst-per-ip", rateLimitBurstPerIp), ("--rate-limit-burst-per-token", rateLimitBurstPerToken),
            ("--request-header-timeout", requestHeaderTimeout), ("--request-body-timeout", requestBodyTimeout),
            ("--idle-timeout", idleTimeout), ("--shutdown-grace", shutdownGrace),
        ] where !(value >= 0 && value.isFinite) {
            throw ValidationError("\(flag) must be a number of at least 0")
        }
        if case .failure(let error) = TrustedProxies.parse(trustedProxies) { throw ValidationError("--trusted-proxy: \(error)") }
        guard maxConnectionsPerIp >= 0 else { throw ValidationError("--max-connections-per-ip must be at least 0") }
        guard maxSessionsPerAccount >= 0 else { throw ValidationError("--max-sessions-per-account must be at least 0") }
        guard metricsToken == nil || metricsTokenFile == nil else { throw ValidationError("give --metrics-token or --metrics-token-file, not both") }
        if let metricsToken, metricsToken.count < 16 { throw ValidationError("--metrics-token must be at least 16 characters") }
    }

    func apply(to configuration: inout ServerConfiguration) throws {
        configuration.limits.requestsPerSecondPerIP = TrafficLimits.parseRate(rateLimitPerIp) ?? 0
        configuration.limits.burstPerIP = rateLimitBurstPerIp
        configuration.limits.requestsPerSecondPerToken = TrafficLimits.parseRate(rateLimitPerToken) ?? 0
        configuration.limits.burstPerToken = rateLimitBurstPerToken
        configuration.limits.maxConnectionsPerIP = maxConnectionsPerIp
        configuration.trustedProxies = (try? TrustedProxies.parse(trustedProxies).get()) ?? TrustedProxies()
        configuration.limits.requestHeaderTimeout = requestHeaderTimeout
        configuration.limits.requestBodyTimeout = requestBodyTimeout
        configuration.limits.idleTimeout = idleTimeout
        configuration.security.maxSessionsPerAccount = maxSessionsPerAccount
        configuration.metricsToken = metricsToken
        if let metricsTokenFile {
            guard let data = FileManager.default.contents(atPath: metricsTokenFile) else {
                FileHandle.standardError.write(Data("error: cannot read --metrics-token-file \(metricsTokenFile)\n".utf8))
                throw ExitCode.failure
            }
            let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard token.count >= 16 else {
                FileHandle.standardError.write(Data("error: the metrics token in \(metricsTokenFile) must be at least 16 characters\n".utf8))
                throw ExitCode.failure
            }
            configuration.metricsToken = token
        }
    }

    /// Runs the server until SIGTERM or SIGINT, then shuts down gracefully: no new connections,
    /// in-flight requests (a publish included) run to completion for up to `--shutdown-grace`
    /// seconds; past that they are cancelled, and a cancelled publish rolls back (its temporary
    /// file is removed, no release row is written). Exits 0 either way.
    func run(_ app: some ApplicationProtocol, logger: Logger) async throws {
        var configuration = ServiceGroupConfiguration(
            services: [.init(service: app, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        configuration.maximumGracefulShutdownDuration = .milliseconds(Int64(shutdownGrace * 1000))
        configuration.maximumCancellationDuration = .seconds(5)
        do {
            try await ServiceGroup(configuration: configuration).run()
            logger.info("shut down cleanly")
        } catch let error as ServiceGroupError {
            // The grace period ran out: in-flight requests were cancelled and rolled back.
            logger.warning("shut down after the grace period of \(shutdownGrace) s cut off in-flight requests", metadata: ["error": "\(error)"])
        }
    }
}
