import BulwarkCore
import Foundation

/// Everything the read API needs about one package's versions: its stored name, every release, and
/// which are yanked or deleted. One call, so a read that misses the server's cache costs one round
/// trip to the database rather than four.
public struct PackageVersions: Sendable, Equatable {
    /// The package as stored (its canonical case).
    public var package: PackageIdentifier
    /// Every stored release, yanked ones included, in no particular order.
    public var releases: [SemanticVersion]
    /// The yank reason of each yanked release, by SemVer precedence key.
    public var yankReasons: [String: String]
    /// Deleted versions (tombstones) and when they were deleted, in no particular order.
    public var deleted: [DeletedVersion]

    public struct DeletedVersion: Sendable, Equatable {
        public var version: SemanticVersion
        public var deletedAt: Date

        public init(version: SemanticVersion, deletedAt: Date) {
            self.version = version
            self.deletedAt = deletedAt
        }
    }

    public init(package: PackageIdentifier, releases: [SemanticVersion], yankReasons: [String: String], deleted: [DeletedVersion]) {
        self.package = package
        self.releases = releases
        self.yankReasons = yankReasons
        self.deleted = deleted
    }
}

/// The read side of the registry API, shaped for one database round trip per request. A store that
/// doesn't implement it gets ``ComposedRegistryReads``, built from its other methods.
public protocol RegistryReadStore: Sendable {
    /// Nil if the package has never had a release (a package whose releases were all deleted still
    /// has its tombstones).
    func packageVersions(_ id: PackageIdentifier) async throws -> PackageVersions?
    /// A release with its manifests, for serving it: `repositoryURLs` may be left empty.
    func releaseForReading(_ id: PackageIdentifier, version: SemanticVersion) async throws -> Release?
    /// Both of the above at once (what a release's metadata needs): nil if there is no such release.
    func releaseWithVersions(_ id: PackageIdentifier, version: SemanticVersion) async throws -> (Release, PackageVersions)?
}

extension RegistryReadStore {
    public func releaseWithVersions(_ id: PackageIdentifier, version: SemanticVersion) async throws -> (Release, PackageVersions)? {
        guard let release = try await releaseForReading(id, version: version), let versions = try await packageVersions(id) else { return nil }
        return (release, versions)
    }
}

/// ``RegistryReadStore`` from a store's general-purpose methods (several queries per call).
public struct ComposedRegistryReads: RegistryReadStore {
    let releases: any ReleaseStore
    let lifecycle: any ReleaseLifecycleStore

    public init(releases: any ReleaseStore, lifecycle: any ReleaseLifecycleStore) {
        self.releases = releases
        self.lifecycle = lifecycle
    }

    public func packageVersions(_ id: PackageIdentifier) async throws -> PackageVersions? {
        guard let package = try await releases.package(id) else { return nil }
        var reasons: [String: String] = [:]
        for y in try await lifecycle.yanks(of: package) { reasons[y.version.precedenceKey] = y.yank.reason }
        return PackageVersions(
            package: package,
            releases: try await releases.releases(of: package).map(\.version),
            yankReasons: reasons,
            deleted: try await lifecycle.tombstones(of: package).map { .init(version: $0.version, deletedAt: $0.deletedAt) }
        )
    }

    public func releaseForReading(_ id: PackageIdentifier, version: SemanticVersion) async throws -> Release? {
        try await releases.release(id, version: version)
    }
}
