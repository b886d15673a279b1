import BulwarkCore
import Foundation

/// Per-package policies and staged releases (releases waiting for a maintainer's approval).
public protocol PackagePolicyStore: Sendable {
    /// The package's policy, or nil if nobody has set one (the registry's defaults apply).
    func policy(of id: PackageIdentifier) async throws -> PackagePolicy?
    /// Sets (replaces) the package's policy.
    func setPolicy(_ policy: PackagePolicy, for id: PackageIdentifier, at date: Date) async throws
    /// Stores a staged release; throws a `.conflict` ``BulwarkError`` if a pending staged release of
    /// the same package and version (SemVer precedence) exists that has not expired at `staged.createdAt`.
    /// `event` (its `staged` audit event) is recorded in the same transaction, and not at all if the
    /// stage is refused.
    func insertStaged(_ staged: StagedRelease, recording event: PackageEvent?) async throws
    /// One staged release, whatever its state.
    func staged(id: String) async throws -> StagedRelease?
    /// The package's staged releases in state `pending` (expired or not), oldest first.
    func pendingStaged(of id: PackageIdentifier) async throws -> [StagedRelease]
    /// Moves a staged release from `from` to `to` atomically: of concurrent decisions exactly one
    /// returns true; false if the release is unknown or not in state `from`.
    /// `event` (e.g. `rejected`) is recorded in the same transaction, and only if this call decided.
    func decide(
        id: String, from: StagedRelease.State, to: StagedRelease.State, by account: String, at date: Date, recording event: PackageEvent?
    ) async throws -> Bool
    /// Housekeeping: removes the staged releases still `pending` whose expiry is at or before
    /// `expiredBefore` (anyone with a publish token can make them, so they must not pile up).
    /// Approved and rejected ones stay: they record who decided. Returns the archive checksum of
    /// each one that went (one entry per staged release, so the count is how many went).
    func purgeExpiredStaged(expiredBefore: Date) async throws -> [String]
    /// Whether a release or a pending staged release (expired or not) uses the archive with this
    /// checksum: if neither does, nothing can serve or approve those bytes and they may be removed.
    func archiveInUse(checksum: String) async throws -> Bool
    /// Claims the archive with this checksum under `holder` until `expiresAt`, atomically across
    /// processes and instances, so that a removal and a publish of the same bytes never overlap:
    /// - `.publish` is refused (false) while a removal claim exists;
    /// - `.removal` is refused while the archive is in use (``archiveInUse(checksum:)``) or any
    ///   other claim exists.
    /// A claim whose expiry is at or before `date` counts as gone (its holder crashed).
    func claimArchive(checksum: String, for purpose: ArchiveClaim, holder: String, at date: Date, expiresAt: Date) async throws -> Bool
    /// Ends a claim; nothing happens if it is gone.
    func releaseArchiveClaim(checksum: String, holder: String) async throws
}

/// Why an archive is claimed (``PackagePolicyStore/claimArchive(checksum:for:holder:at:expiresAt:)``).
public enum ArchiveClaim: String, Sendable {
    /// The bytes are being stored for a release or staged release that isn't in the database yet.
    case publish
    /// The bytes are being removed from the blob store.
    case removal
}

extension PackagePolicyStore {
    /// Decides without an audit event (the approval's event goes with the release's insert).
    public func decide(id: String, from: StagedRelease.State, to: StagedRelease.State, by account: String, at date: Date) async throws -> Bool {
        try await decide(id: id, from: from, to: to, by: account, at: date, recording: nil)
    }

    /// Stages a release without an audit event (tests and tools).
    public func insertStaged(_ staged: StagedRelease) async throws {
        try await insertStaged(staged, recording: nil)
    }
}
