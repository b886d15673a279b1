import BulwarkCore
import Foundation

/// All stores in memory: for tests and as the reference behaviour of the conformance suite.
public actor MemoryStore: ReleaseStore, AccountStore, TokenStore {
    private var packageCase: [String: PackageIdentifier] = [:]
    var releasesByPackage: [String: [String: Release]] = [:]
    private var accounts: [String: Account] = [:]
    private var tokensByHash: [String: TokenRecord] = [:]
    /// Second factors, sessions, challenges, log and throttling (`MemoryStore+AccountSecurity.swift`).
    var security = MemorySecurityState()
    /// scope key → owners (account names), oldest first.
    var scopeOwners: [String: [String]] = [:]
    /// package key → policy (`MemoryStore+Policy.swift`).
    var packagePolicies: [String: PackagePolicy] = [:]
    /// staged release id → staged release.
    var stagedReleases: [String: StagedRelease] = [:]
    /// Archive claims by checksum, then holder.
    var archiveClaims: [String: [String: (purpose: ArchiveClaim, expiresAt: Date)]] = [:]
    /// Yanks, tombstones and package audit logs (`MemoryStore+Lifecycle.swift`).
    var lifecycleState = MemoryLifecycleState()
    /// Package roles and invitations (`MemoryStore+Maintainers.swift`).
    var maintainerState = MemoryMaintainerState()

    public init() {}

    public func package(_ id: PackageIdentifier) -> PackageIdentifier? { packageCase[id.canonicalKey] }

    public func releases(of id: PackageIdentifier) -> [ReleaseSummary] {
        (releasesByPackage[id.canonicalKey] ?? [:]).values.map { ReleaseSummary(version: $0.version, publishedAt: $0.publishedAt) }
    }

    public func release(_ id: PackageIdentifier, version: SemanticVersion) -> Release? {
        releasesByPackage[id.canonicalKey]?[version.precedenceKey]
    }

    public func insert(_ release: Release) throws {
        let key = release.package.canonicalKey
        guard releasesByPackage[key]?[release.version.precedenceKey] == nil else {
            throw BulwarkError.conflict("a release with version \(release.version) of \(release.package) already exists")
        }
        if let tombstone = lifecycleState.tombstones[key]?[release.version.precedenceKey] {
            throw BulwarkError.conflict(tombstone.republishDetail)
        }
        var r = release
        let canonical = packageCase[key] ?? release.package
        packageCase[key] = canonical
        r.package = canonical
        releasesByPackage[key, default: [:]][release.version.precedenceKey] = r
    }

    /// One actor turn: the insert checks everything before it changes anything, so a refused
    /// insert records no event.
    public func insert(_ release: Release, recording event: PackageEvent) throws {
        try event.requireAbout(release)
        try insert(release)
        recordPackageEvent(event)
    }

    public func insertMany(_ releases: [Release]) throws {
        var keys = Set<String>()
        for r in releases {
            let key = r.package.canonicalKey + "@" + r.version.precedenceKey
            guard keys.insert(key).inserted, releasesByPackage[r.package.canonicalKey]?[r.version.precedenceKey] == nil else {
                throw BulwarkError.conflict("a release with version \(r.version) of \(r.package) already exists")
            }
            if let tombstone = lifecycleState.tombstones[r.package.canonicalKey]?[r.version.precedenceKey] {
                throw BulwarkError.conflict(tombstone.republishDetail)
            }
        }
        for r in releases { try insert(r) }
    }

    public func packages(forRepositoryURL normalized: String) -> [PackageIdentifier] {
        var found: [PackageIdentifier] = []
        for (key, releases) in releasesByPackage where releases.values.contains(where: { $0.repositoryURLs.contains(normalized) }) {
            if let id = packageCase[key] { found.append(id) }
        }
        return found.sorted { $0.description < $1.description }
    }

    public func createAccount(_ account: Account) throws {
        let key = account.name.lowercased()
        guard accounts[key] == nil else { throw BulwarkError.conflict("the account name '\(account.name)' is taken") }
        accounts[key] = account
    }

    public func account(named name: String) -> Account? { accounts[name.lowercased()] }

    public func insertToken(_ token: TokenRecord) { tokensByHash[token.hash] = token }

    public func token(hash: String) -> TokenRecord? { tokensByHash[hash] }

    public func touchToken(id: String, at date: Date) {
        if let h = tokensByHash.first(where: { $0.value.id == id })?.key { tokensByHash[h]?.lastUsedAt = date }
    }

    public func touchToken(id: String, at date: Date, ip: String?) {
        if let h = tokensByHash.first(where: { $0.value.id == id })?.key {
            tokensByHash[h]?.lastUsedAt = date
            tokensByHash[h]?.lastUsedIP = ip
        }
    }

    public func revokeToken(id: String, at date: Date) {
        if let h = tokensByHash.first(where: { $0.value.id == id })?.key, tokensByHash[h]?.revokedAt == nil {
            tokensByHash[h]?.revokedAt = date
        }
    }

    public func tokens(ofAccount account: String) -> [TokenRecord] {
        tokensByHash.values.filter { $0.account.lowercased() == account.lowercased() }.sorted { $0.createdAt > $1.createdAt }
    }
}
