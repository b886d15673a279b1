import BulwarkCore
import Foundation

/// Releases and the package index. Implementations translate driver errors into ``BulwarkError``.
public protocol ReleaseStore: Sendable {
    /// The package as first published (its stored case), or nil if it has no release.
    func package(_ id: PackageIdentifier) async throws -> PackageIdentifier?
    /// Every release of a package, in no particular order.
    func releases(of id: PackageIdentifier) async throws -> [ReleaseSummary]
    /// One release, found by SemVer precedence (build metadata ignored, identifier case ignored).
    func release(_ id: PackageIdentifier, version: SemanticVersion) async throws -> Release?
    /// Stores a release atomically; throws a `.conflict` ``BulwarkError`` if the version exists.
    func insert(_ release: Release) async throws
    /// Stores a release and appends `event` (its `published` or `approved` entry) to the package's
    /// audit log in the same transaction: both land or neither does. A refused insert (the version
    /// exists or was deleted) records nothing. The event must be about this release's package and
    /// version (an `.internalError` otherwise, before anything is written).
    func insert(_ release: Release, recording event: PackageEvent) async throws
    /// Packages whose metadata lists a repository URL with this normalised form.
    func packages(forRepositoryURL normalized: String) async throws -> [PackageIdentifier]
    /// Stores many releases at once (seeding, imports); all or none of them.
    func insertMany(_ releases: [Release]) async throws
}

extension PackageEvent {
    /// Throws unless this event is about `release` (same package key, same version precedence):
    /// what ``ReleaseStore/insert(_:recording:)`` checks before writing anything.
    public func requireAbout(_ release: Release) throws {
        try requireAbout(release.package, version: release.version)
    }

    /// Throws unless this event is about `id` at `version` (same package key, same version
    /// precedence): what the yank, unyank and delete of ``ReleaseLifecycleStore`` check before
    /// writing anything.
    public func requireAbout(_ id: PackageIdentifier, version expected: SemanticVersion) throws {
        guard package.canonicalKey == id.canonicalKey, version?.precedenceKey == expected.precedenceKey else {
            throw BulwarkError.internalError(
                "an audit event about \(package) \(version?.description ?? "(no version)") can't be recorded with the release \(id) \(expected)"
            )
        }
    }
}

extension ReleaseStore {
    public func insertMany(_ releases: [Release]) async throws {
        for release in releases { try await insert(release) }
    }
}

extension TokenStore {
    /// Stores that don't record addresses yet record the time only.
    public func touchToken(id: String, at date: Date, ip: String?) async throws {
        try await touchToken(id: id, at: date)
    }
}

/// Accounts.
public protocol AccountStore: Sendable {
    /// Creates an account; throws `.conflict` if the name (case-insensitive) is taken.
    func createAccount(_ account: Account) async throws
    /// The account with this name, compared case-insensitively.
    func account(named name: String) async throws -> Account?
}

/// API tokens, stored by hash.
public protocol TokenStore: Sendable {
    func insertToken(_ token: TokenRecord) async throws
    /// The token whose SHA-256 is `hash`, revoked or not.
    func token(hash: String) async throws -> TokenRecord?
    /// Records that a token was used.
    func touchToken(id: String, at date: Date) async throws
    /// Records that a token was used, and from which address (`lastUsedAt`, `lastUsedIP`).
    func touchToken(id: String, at date: Date, ip: String?) async throws
    func revokeToken(id: String, at date: Date) async throws
    /// The tokens of an account, newest first.
    func tokens(ofAccount account: String) async throws -> [TokenRecord]
}

/// Everything the server stores, behind protocols so a PostgreSQL implementation can follow.
public struct Storage: Sendable {
    public var releases: any ReleaseStore
    public var accounts: any AccountStore
    public var tokens: any TokenStore
    /// Second factors, sessions, WebAuthn challenges, the security log and throttling counters.
    public var security: any AccountSecurityStore
    /// Scope ownership.
    public var scopes: any ScopeStore
    /// Per-package policies and staged releases.
    public var policies: any PackagePolicyStore
    /// Yanks, tombstones of deleted releases and the packages' audit logs.
    public var lifecycle: any ReleaseLifecycleStore
    /// Per-package roles (owner, maintainer) and invitations.
    public var maintainers: any MaintainerStore
    /// What the read API asks for, in one round trip per request where the store can.
    public var reads: any RegistryReadStore
    /// Rendered read responses kept until their package changes; nil where the store has none
    /// (only SQLite has them: its triggers invalidate them on every write, from any process).
    public var storedResponses: (any StoredResponseStore)?
    public var blobs: any BlobStore
    /// What `/readyz` checks: the database and the blob store, each asked directly.
    public var readiness: [any ReadinessCheck] = []

    public init(
        releases: any ReleaseStore, accounts: any AccountStore, tokens: any TokenStore, security: any AccountSecurityStore, scopes: any ScopeStore,
        policies: any PackagePolicyStore, blobs: any BlobStore, lifecycle: (any ReleaseLifecycleStore)? = nil,
        maintainers: (any MaintainerStore)? = nil
    ) {
        self.releases = releases
        self.accounts = accounts
        self.tokens = tokens
        self.security = security
        self.scopes = scopes
        self.policies = policies
        self.blobs = blobs
        // The store that holds the releases must refuse tombstoned versions, so it holds them too.
        self.lifecycle = lifecycle ?? (releases as? any ReleaseLifecycleStore) ?? UnsupportedLifecycleStore()
        self.maintainers = maintainers ?? (scopes as? any MaintainerStore) ?? UnsupportedMaintainerStore()
        self.reads = (releases as? any RegistryReadStore) ?? ComposedRegistryReads(releases: releases, lifecycle: self.lifecycle)
        self.storedResponses = releases as? any StoredResponseStore
    }

    /// The embedded default: SQLite and files under `dataDirectory`.
    public static func embedded(dataDirectory: URL) throws -> Storage {
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        let db = try SQLiteStore(path: dataDirectory.appendingPathComponent("bulwark.sqlite3").path)
        let blobs = try FileBlobStore(root: dataDirectory.appendingPathComponent("blobs"))
        var storage = Storage(releases: db, accounts: db, tokens: db, security: db, scopes: db, policies: db, blobs: blobs)
        storage.readiness = [db, blobs]
        return storage
    }

    /// Everything in memory (tests), with blobs in a temporary directory.
    public static func inMemory(blobDirectory: URL) throws -> Storage {
        let store = MemoryStore()
        return Storage(releases: store, accounts: store, tokens: store, security: store, scopes: store, policies: store, blobs: try FileBlobStore(root: blobDirectory))
    }
}
