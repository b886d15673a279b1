import BulwarkCore
import Foundation

extension MemoryStore: PackagePolicyStore {
    public func policy(of id: PackageIdentifier) -> PackagePolicy? { packagePolicies[id.canonicalKey] }

    public func setPolicy(_ policy: PackagePolicy, for id: PackageIdentifier, at date: Date) {
        packagePolicies[id.canonicalKey] = policy
    }

    /// One actor turn: everything is checked before anything changes, so a refused stage records no event.
    public func insertStaged(_ staged: StagedRelease, recording event: PackageEvent?) throws {
        try event?.requireAbout(staged.release)
        let key = staged.release.package.canonicalKey
        let version = staged.release.version.precedenceKey
        if stagedReleases[staged.id] != nil { throw BulwarkError.conflict("a staged release with id \(staged.id) exists") }
        let blocking = stagedReleases.values.contains {
            $0.state == .pending && $0.expiresAt > staged.createdAt && $0.release.package.canonicalKey == key
                && $0.release.version.precedenceKey == version
        }
        if blocking {
            throw BulwarkError.conflict("version \(staged.release.version) of \(staged.release.package) is already waiting for approval")
        }
        stagedReleases[staged.id] = staged
        if let event { recordPackageEvent(event) }
    }

    public func staged(id: String) -> StagedRelease? { stagedReleases[id] }

    public func pendingStaged(of id: PackageIdentifier) -> [StagedRelease] {
        stagedReleases.values.filter { $0.state == .pending && $0.release.package.canonicalKey == id.canonicalKey }
            .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    public func decide(
        id: String, from: StagedRelease.State, to: StagedRelease.State, by account: String, at date: Date, recording event: PackageEvent?
    ) -> Bool {
        guard var staged = stagedReleases[id], staged.state == from else { return false }
        if let event { recordPackageEvent(event) }
        staged.state = to
        staged.decidedBy = account
        staged.decidedAt = date
        stagedReleases[id] = staged
        return true
    }

    public func purgeExpiredStaged(expiredBefore: Date) -> [String] {
        let expired = stagedReleases.values.filter { $0.state == .pending && $0.expiresAt <= expiredBefore }
        for staged in expired { stagedReleases[staged.id] = nil }
        return expired.map(\.release.checksum)
    }

    public func archiveInUse(checksum: String) -> Bool {
        releasesByPackage.values.contains { $0.values.contains { $0.checksum == checksum } }
            || stagedReleases.values.contains { $0.state == .pending && $0.release.checksum == checksum }
    }

    public func claimArchive(checksum: String, for purpose: ArchiveClaim, holder: String, at date: Date, expiresAt: Date) -> Bool {
        var claims = archiveClaims[checksum, default: [:]].filter { $0.value.expiresAt > date }
        defer { archiveClaims[checksum] = claims.isEmpty ? nil : claims }
        switch purpose {
        case .publish:
            if claims.values.contains(where: { $0.purpose == .removal }) { return false }
        case .removal:
            if archiveInUse(checksum: checksum) || !claims.isEmpty { return false }
        }
        claims[holder] = (purpose, expiresAt)
        return true
    }

    public func releaseArchiveClaim(checksum: String, holder: String) {
        archiveClaims[checksum]?[holder] = nil
        if archiveClaims[checksum]?.isEmpty == true { archiveClaims[checksum] = nil }
    }
}
