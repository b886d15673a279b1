import BulwarkArchive
import BulwarkAuth
import BulwarkCore
import Crypto
import Foundation

/// Everything `bulwark serve` can be told. Every limit is here, with its default.
public struct ServerConfiguration: Sendable {
    public var host: String = "127.0.0.1"
    /// 0 picks a free port (tests); the bound address is reported through `onServerRunning`.
    public var port: Int = 8080
    /// The public URL of the registry (`https://registry.example`); derived from `Host` when nil.
    public var baseURL: String?
    /// PEM certificate chain and private key: with both, the server speaks only HTTPS.
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?

    /// The largest publish request body, in bytes.
    public var maxUploadBytes: Int = 100 * 1024 * 1024
    /// The largest `metadata` part, in bytes.
    public var maxMetadataBytes: Int = 256 * 1024
    /// The largest signature part, in bytes.
    public var maxSignatureBytes: Int = 64 * 1024
    public var archiveLimits = ArchiveLimits()

    /// Roots that signing certificates must chain to (`cms-1.0.0`).
    public var trustRoots: SignatureVerifier = .init(trustRoots: [])
    /// Refuse unsigned releases.
    public var requireSignedReleases = false

    /// Releases per page of `GET /{scope}/{name}`.
    public var releasesPerPage = 100
    /// How long a verified token is trusted without asking the database again: a revoked token
    /// stops working at most this long after revocation.
    public var tokenCacheSeconds: Double = 10
    /// How long rendered read responses (lists, metadata, manifests, lookups) are kept: the longest a
    /// publish through another instance stays invisible here (publishes through this one show at once).
    /// 0 turns the cache off.
    public var readCacheSeconds: Double = 5
    /// The most cached responses (and, separately, releases) kept in memory.
    public var readCacheEntries = 100_000
    /// Keep rendered release lists, metadata and manifests in the database too (where the store
    /// supports it: SQLite), so reads that miss the memory cache cost one lookup. They are deleted
    /// with every change to their package, so unlike the memory cache they are never stale.
    public var storedResponses = true
    /// A response is stored from its second read: first reads are remembered in a filter of this
    /// many bits (a power of two; the default, 4 MiB, covers a million packages). 0 stores from the first read.
    public var storedResponseFirstReadBits = 1 << 25
    /// The longest a rendered response waits to be stored (they are written in batches: each commit
    /// empties SQLite's read connections' page caches).
    public var storedResponseFlushSeconds: Double = 1

    /// The longest yank reason, in characters (resolvers print it).
    public var maxYankReasonLength = 500
    /// The most events one `GET /api/v1/packages/{scope}/{name}/audit-log` returns (`?limit=`).
    public var maxAuditLogEvents = 1_000

    /// Request rates per IP and per token, connections per IP, slow-client timeouts.
    public var limits = TrafficLimits()
    /// Proxies whose `X-Forwarded-For` names the client (`--trusted-proxy`). Empty: the client is
    /// the TCP peer and the header is ignored. The per-IP connection limit always counts TCP peers.
    public var trustedProxies = TrustedProxies()
    /// Bearer token that `GET /metrics` requires; without one, metrics are served to loopback clients only.
    public var metricsToken: String?
    /// Seconds `/readyz` waits for each dependency (database, blob store) before calling it not ready.
    public var readinessTimeout: Double = 2

    /// Sign-in, second factors, sessions. The default seals TOTP seeds with a random key that lives
    /// only as long as the process: `bulwark serve` loads a persistent one from the data directory.
    public var security = AccountSecurityConfiguration(secretBox: try! SecretBox(key: SymmetricKey(size: .bits256)))

    public init() {}

    public var usesTLS: Bool { tlsCertificatePath != nil && tlsKeyPath != nil }

    /// The session cookie gets `Secure` when this instance serves TLS, or when the public URL is
    /// `https` (TLS ends at a proxy in front).
    public var secureCookies: Bool {
        usesTLS || baseURL.flatMap { URL(string: $0)?.scheme?.lowercased() } == "https"
    }
}
