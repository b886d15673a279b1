import BulwarkCore
import Foundation

/// What happens to releases after they are published: yanks, deletions (which leave a tombstone
/// forever) and each package's audit log.
///
/// The store that holds releases implements this too: ``ReleaseStore/insert(_:)`` must refuse a
/// tombstoned version (SemVer precedence) atomically, in the same transaction as the insert.
public protocol ReleaseLifecycleStore: Sendable {
    /// Marks a release yanked, replacing an earlier yank's reason. False if there is no such release.
    /// `event` (its `yanked` audit event) is recorded in the same transaction, and only if the yank
    /// happens; it must be about this package and version (an `.internalError` otherwise, before
    /// anything is written).
    func yank(_ id: PackageIdentifier, version: SemanticVersion, _ yank: Yank, recording event: PackageEvent?) async throws -> Bool
    /// Clears a release's yank. False if there is no such release or it isn't yanked. `event` (its
    /// `unyanked` audit event) is recorded in the same transaction, and only if a yank was cleared.
    func unyank(_ id: PackageIdentifier, version: SemanticVersion, recording event: PackageEvent?) async throws -> Bool
    /// The release's yank, if it is yanked.
    func yank(of id: PackageIdentifier, version: SemanticVersion) async throws -> Yank?
    /// Every yanked release of a package, in no particular order.
    func yanks(of id: PackageIdentifier) async throws -> [YankedRelease]

    /// Deletes a release (its row, manifests and yank) and leaves a tombstone, in one transaction.
    /// Nil if there is no such release (concurrent deletions: exactly one gets a result). The result
    /// says whether another release or a pending staged release still uses the same archive.
    /// `event` (its `deleted` audit event) is recorded in the same transaction, and only if a release
    /// was deleted; it must be about this package and version.
    func deleteRelease(
        _ id: PackageIdentifier, version: SemanticVersion, by account: String, at date: Date, recording event: PackageEvent?
    ) async throws -> DeletedRelease?
    /// The tombstone of a deleted version (SemVer precedence), if it was deleted.
    func tombstone(of id: PackageIdentifier, version: SemanticVersion) async throws -> Tombstone?
    /// Every tombstone of a package, in no particular order.
    func tombstones(of id: PackageIdentifier) async throws -> [Tombstone]

    /// Appends to the package's audit log.
    func recordPackageEvent(_ event: PackageEvent) async throws
    /// The package's audit log, newest first, at most `limit` events.
    func packageEvents(of id: PackageIdentifier, limit: Int) async throws -> [PackageEvent]
}

extension ReleaseLifecycleStore {
    /// Yanks without an audit event (tests and tools).
    public func yank(_ id: PackageIdentifier, version: SemanticVersion, _ yank: Yank) async throws -> Bool {
        try await self.yank(id, version: version, yank, recording: nil)
    }

    /// Clears a yank without an audit event (tests and tools).
    public func unyank(_ id: PackageIdentifier, version: SemanticVersion) async throws -> Bool {
        try await unyank(id, version: version, recording: nil)
    }

    /// Deletes a release without an audit event (tests and tools).
    public func deleteRelease(_ id: PackageIdentifier, version: SemanticVersion, by account: String, at date: Date) async throws -> DeletedRelease? {
        try await deleteRelease(id, version: version, by: account, at: date, recording: nil)
    }
}

/// Stands in for a backend that doesn't implement ``ReleaseLifecycleStore`` yet: reads find
/// nothing, changes fail with a clear error.
public struct UnsupportedLifecycleStore: ReleaseLifecycleStore {
    public init() {}

    private var unsupported: BulwarkError { .internalError("this storage backend doesn't support yanking or deleting releases yet") }

    public func yank(_ id: PackageIdentifier, version: SemanticVersion, _ yank: Yank, recording event: PackageEvent?) throws -> Bool {
        throw unsupported
    }
    public func unyank(_ id: PackageIdentifier, version: SemanticVersion, recording event: PackageEvent?) throws -> Bool { throw unsupported }
    public func yank(of id: PackageIdentifier, version: SemanticVersion) -> Yank? { nil }
    public func yanks(of id: PackageIdentifier) -> [YankedRelease] { [] }
    public func deleteRelease(
        _ id: PackageIdentifier, version: SemanticVersion, by account: String, at date: Date, recording event: PackageEvent?
    ) throws -> DeletedRelease? {
        throw unsupported
    }
    public func tombstone(of id: PackageIdentifier, version: SemanticVersion) -> Tombstone? { nil }
    public func tombstones(of id: PackageIdentifier) -> [Tombstone] { [] }
    public func recordPackageEvent(_ event: PackageEvent) {}
    public func packageEvents(of id: PackageIdentifier, limit: Int) -> [PackageEvent] { [] }
}
