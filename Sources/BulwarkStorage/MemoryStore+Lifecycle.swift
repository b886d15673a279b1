import BulwarkCore
import Foundation

/// Yanks, tombstones and audit logs of a ``MemoryStore``, keyed by package key then version
/// precedence key.
struct MemoryLifecycleState: Sendable {
    var yanks: [String: [String: YankedRelease]] = [:]
    var tombstones: [String: [String: Tombstone]] = [:]
    /// Every package event, in insertion order, per package key.
    var events: [String: [PackageEvent]] = [:]
}

extension MemoryStore: ReleaseLifecycleStore {
    /// One actor turn: the event is checked first and recorded only if the yank happens.
    public func yank(_ id: PackageIdentifier, version: SemanticVersion, _ yank: Yank, recording event: PackageEvent?) throws -> Bool {
        try event?.requireAbout(id, version: version)
        guard let release = releasesByPackage[id.canonicalKey]?[version.precedenceKey] else { return false }
        lifecycleState.yanks[id.canonicalKey, default: [:]][version.precedenceKey] = YankedRelease(version: release.version, yank: yank)
        if let event { recordPackageEvent(event) }
        return true
    }

    public func unyank(_ id: PackageIdentifier, version: SemanticVersion, recording event: PackageEvent?) throws -> Bool {
        try event?.requireAbout(id, version: version)
        guard releasesByPackage[id.canonicalKey]?[version.precedenceKey] != nil,
            lifecycleState.yanks[id.canonicalKey]?.removeValue(forKey: version.precedenceKey) != nil
        else { return false }
        if let event { recordPackageEvent(event) }
        return true
    }

    public func yank(of id: PackageIdentifier, version: SemanticVersion) -> Yank? {
        lifecycleState.yanks[id.canonicalKey]?[version.precedenceKey]?.yank
    }

    public func yanks(of id: PackageIdentifier) -> [YankedRelease] {
        Array((lifecycleState.yanks[id.canonicalKey] ?? [:]).values)
    }

    public func deleteRelease(
        _ id: PackageIdentifier, version: SemanticVersion, by account: String, at date: Date, recording event: PackageEvent?
    ) throws -> DeletedRelease? {
        try event?.requireAbout(id, version: version)
        let key = id.canonicalKey
        guard let release = releasesByPackage[key]?.removeValue(forKey: version.precedenceKey) else { return nil }
        lifecycleState.yanks[key]?[version.precedenceKey] = nil
        let tombstone = Tombstone(
            package: release.package, version: release.version, checksum: release.checksum, deletedBy: account, deletedAt: date
        )
        lifecycleState.tombstones[key, default: [:]][version.precedenceKey] = tombstone
        if let event { recordPackageEvent(event) }
        let inRelease = releasesByPackage.values.contains { $0.values.contains { $0.checksum == release.checksum } }
        let inStaged = stagedReleases.values.contains { $0.state == .pending && $0.release.checksum == release.checksum }
        return DeletedRelease(tombstone: tombstone, archiveStillReferenced: inRelease || inStaged)
    }

    public func tombstone(of id: PackageIdentifier, version: SemanticVersion) -> Tombstone? {
        lifecycleState.tombstones[id.canonicalKey]?[version.precedenceKey]
    }

    public func tombstones(of id: PackageIdentifier) -> [Tombstone] {
        Array((lifecycleState.tombstones[id.canonicalKey] ?? [:]).values)
    }

    public func recordPackageEvent(_ event: PackageEvent) {
        lifecycleState.events[event.package.canonicalKey, default: []].append(event)
    }

    public func packageEvents(of id: PackageIdentifier, limit: Int) -> [PackageEvent] {
        Array((lifecycleState.events[id.canonicalKey] ?? []).reversed().prefix(max(0, limit)))
    }
}
