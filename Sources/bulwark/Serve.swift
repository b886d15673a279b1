import ArgumentParser
import BulwarkArchive
import BulwarkAuth
import BulwarkCore
import BulwarkServer
import BulwarkStorage
import Foundation
import Hummingbird
import Logging

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the registry server.")

    @OptionGroup var storage: StorageOptions
    @OptionGroup(title: "Rate limits, connections, metrics, shutdown") var limits: LimitOptions
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0 picks a free one).") var port = 8080
    @Option(help: "Public URL of the registry, used in Location and Link headers.") var baseURL: String?
    @Option(help: "PEM certificate chain: with --tls-key, serve HTTPS only.") var tlsCert: String?
    @Option(help: "PEM private key for --tls-cert.") var tlsKey: String?
    @Option(help: "Directory of trusted root certificates (DER or PEM) for signed releases.") var trustRoots: String?
    @Flag(help: "Refuse unsigned releases.") var requireSignatures = false
    @Option(help: "Largest publish request, in bytes.") var maxUploadBytes = 100 * 1024 * 1024
    @Option(help: "Most entries in a source archive.") var maxArchiveEntries = 10_000
    @Option(help: "Largest metadata part of a publish, in bytes.") var maxMetadataBytes = 256 * 1024
    @Option(help: "Largest signature part of a publish, in bytes.") var maxSignatureBytes = 64 * 1024
    @Option(help: "Most bytes a source archive may inflate to.") var maxUncompressedBytes: UInt64 = 512 * 1024 * 1024
    @Option(help: "Highest compression ratio of one archive entry.") var maxCompressionRatio: UInt64 = 200
    @Option(help: "Releases per page in release lists.") var releasesPerPage = 100
    @Option(help: "Seconds a verified token is cached (the longest a revoked token keeps working).") var tokenCacheSeconds = 10.0
    @Option(help: "Seconds rendered read responses are cached (0 turns the cache off).") var readCacheSeconds = 5.0
    @Flag(
        inversion: .prefixedNo,
        help: "Keep rendered release lists, metadata and manifests in the SQLite database until their package changes."
    )
    var storedResponses = true
    @Option(help: "File with the key that seals TOTP seeds (created with a random key if missing; default DATA-DIR/secret.key).")
    var secretKeyFile: String?
    @Flag(help: "Close open sign-up: only the operator creates accounts.") var disableSignUp = false
    @Flag(help: "Let accounts without a second factor sign in fully (not recommended).") var no2FARequirement = false
    @Option(help: "Seconds a second factor counts as fresh for sensitive actions.") var stepUpWindow = 600.0
    @Option(help: "Longest lifetime of an API token created through the API, in days (the default is 90 or this, if less).")
    var maxTokenDays = 366
    @Option(help: "Registry-wide floor of every package's policy: any or passkey (passkey: only passkeys count for sensitive actions).")
    var minimumSecondFactor = "any"
    @Option(help: "Registry-wide floor of how publishes land: tokens (at once) or approval (staged until a maintainer approves).")
    var publishing = "tokens"
    @Option(help: "Days an invitation to maintain a package can be accepted.") var invitationDays = 7.0
    @Option(help: "Days a staged release (publishing: approval) waits for approval before it expires (at most 365).")
    var stagedDays = 7.0
    @Option(help: "Failed attempts per account/factor and per IP before locking.") var maxFailures = 5
    @Option(help: "Seconds over which failures are counted (and the lock lasts).") var failureWindow = 900.0
    @Flag(help: "With --database-url: don't apply pending migrations at start-up; refuse to start unless the schema is current (run `bulwark admin migrate`).")
    var noMigrate = false

    func validate() throws {
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        guard maxTokenDays >= 1 else { throw ValidationError("--max-token-days must be at least 1") }
        guard PackagePolicy.SecondFactor(rawValue: minimumSecondFactor) != nil else {
            throw ValidationError("--minimum-second-factor must be any or passkey, not '\(minimumSecondFactor)'")
        }
        guard PackagePolicy.Publishing(rawValue: publishing) != nil else {
            throw ValidationError("--publishing must be tokens or approval, not '\(publishing)'")
        }
        guard maxMetadataBytes > 0 else { throw ValidationError("--max-metadata-bytes must be more than 0") }
        guard maxSignatureBytes > 0 else { throw ValidationError("--max-signature-bytes must be more than 0") }
        guard invitationDays > 0 else { throw ValidationError("--invitation-days must be more than 0") }
        guard stagedDays > 0, stagedDays <= 365 else { throw ValidationError("--staged-days must be more than 0 and at most 365") }
    }

    func run() async throws {
        // Formats metadata only when a line is written (StreamLogHandler formats it on every set).
        LoggingSystem.bootstrap { label in LineLogHandler(label: label) }
        var logger = Logger(label: "bulwark")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.baseURL = baseURL
        configuration.tlsCertificatePath = tlsCert
        configuration.tlsKeyPath = tlsKey
        configuration.requireSignedReleases = requireSignatures
        configuration.maxUploadBytes = maxUploadBytes
        configuration.archiveLimits.maxEntries = maxArchiveEntries
        configuration.maxMetadataBytes = maxMetadataBytes
        configuration.maxSignatureBytes = maxSignatureBytes
        configuration.archiveLimits.maxUncompressedBytes = maxUncompressedBytes
        configuration.archiveLimits.maxCompressionRatio = maxCompressionRatio
        configuration.releasesPerPage = releasesPerPage
        configuration.tokenCacheSeconds = tokenCacheSeconds
        configuration.readCacheSeconds = readCacheSeconds
        configuration.storedResponses = storedResponses
        try limits.apply(to: &configuration)
        try fail {
            if let trustRoots {
                configuration.trustRoots = SignatureVerifier(
                    trustRoots: try SignatureVerifier.loadTrustRoots(directory: URL(fileURLWithPath: trustRoots))
                )
            }
        }
        // PostgreSQL (--database-url) gets its pending migrations applied here, under an advisory
        // lock so instances starting together don't race, unless --no-migrate.
        let stores = try await storage.open(logger: logger, migrate: !noMigrate)
        let keyPath = secretKeyFile ?? URL(fileURLWithPath: storage.dataDir).appendingPathComponent("secret.key").path
        configuration.security.secretBox = try fail { try SecretKeyFile.loadOrCreate(at: keyPath) }
        configuration.security.allowSignUp = !disableSignUp
        configuration.security.require2FA = !no2FARequirement
        configuration.security.stepUpWindow = stepUpWindow
        configuration.security.maxTokenDays = maxTokenDays
        configuration.security.minimumPolicy = PackagePolicy(
            secondFactor: PackagePolicy.SecondFactor(rawValue: minimumSecondFactor) ?? .any, publishing: PackagePolicy.Publishing(rawValue: publishing) ?? .tokens
        )
        configuration.security.invitationLifetime = invitationDays * 86_400
        configuration.security.stagedReleaseLifetime = stagedDays * 86_400
        configuration.security.maxFailures = maxFailures
        configuration.security.failureWindow = failureWindow
        let removed = try stores.blobs.removeTemporaryFiles()
        if removed > 0 { logger.info("removed \(removed) unfinished upload(s) left by an earlier run") }
        let app = try buildApplication(configuration: configuration, storage: stores, logger: logger, onServerRunning: { address in
            // Tests and scripts wait for this line; write it unbuffered.
            FileHandle.standardOutput.write(Data("listening on \(address)\n".utf8))
        })
        // Housekeeping: expired challenges and sessions, old throttling failures, and staged
        // releases that expired undecided more than `expiredStagedRetention` ago.
        let security = configuration.security
        let purge = Task.detached {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(300))
                let now = Date()
                var removed = (try? await stores.security.purgeExpired(
                    now: now, sessionsIdleSince: now.addingTimeInterval(-security.sessionIdleTimeout),
                    sessionsCreatedSince: now.addingTimeInterval(-security.sessionAbsoluteTimeout),
                    failuresSince: now.addingTimeInterval(-security.failureWindow)
                )) ?? 0
                // Their archives go too, unless a release or a pending staged release has the same bytes.
                if let purged = try? await stores.purgeExpiredStaged(expiredBefore: now.addingTimeInterval(-security.expiredStagedRetention)) {
                    removed += purged.staged
                    if purged.archivesRemoved > 0 { logger.debug("housekeeping removed \(purged.archivesRemoved) archive(s) of expired staged releases") }
                    for checksum in purged.failures {
                        logger.warning("an expired staged release's archive couldn't be removed", metadata: ["checksum": "\(checksum)"])
                    }
                }
                if removed > 0 { logger.debug("housekeeping removed \(removed) expired rows") }
            }
        }
        defer { purge.cancel() }
        try await limits.run(app, logger: logger)
    }
}

/// Runs `body`, turning a ``BulwarkError`` into a one-line message and exit code 1.
@discardableResult
func fail<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as BulwarkError {
        FileHandle.standardError.write(Data("error: \(error.detail)\n".utf8))
        throw ExitCode.failure
    }
}
