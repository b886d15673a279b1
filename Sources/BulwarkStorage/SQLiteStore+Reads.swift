import BulwarkCore
import Foundation

/// The read API's queries: one statement per call, so a read that misses the server's cache costs
/// one or two B-tree lookups rather than three to five queries.
extension SQLiteStore: RegistryReadStore {
    public func packageVersions(_ id: PackageIdentifier) throws -> PackageVersions? {
        try readers.read { try Self.packageVersions(id, on: $0) }
    }

    public func releaseForReading(_ id: PackageIdentifier, version: SemanticVersion) throws -> Release? {
        try readers.read { try Self.releaseForReading(id, version: version, on: $0) }
    }

    /// One reader for both lookups: one lock, no second hop.
    public func releaseWithVersions(_ id: PackageIdentifier, version: SemanticVersion) throws -> (Release, PackageVersions)? {
        try readers.read { connection in
            guard let release = try Self.releaseForReading(id, version: version, on: connection),
                let versions = try Self.packageVersions(id, on: connection)
            else { return nil }
            return (release, versions)
        }
    }

    static func packageVersions(_ id: PackageIdentifier, on connection: SQLiteConnection) throws -> PackageVersions? {
        // Kind 0: the package's stored name; 1: a release; 2: a yank (by precedence key); 3: a tombstone.
        let rows = try connection.query("""
                SELECT 0, scope, name, NULL FROM packages WHERE key = ?1
                UNION ALL SELECT 1, version, NULL, NULL FROM releases WHERE package_key = ?1
                UNION ALL SELECT 2, version_key, reason, NULL FROM release_yanks WHERE package_key = ?1
                UNION ALL SELECT 3, version, NULL, deleted_at FROM tombstones WHERE package_key = ?1
                """, [.text(id.canonicalKey)])
        var package: PackageIdentifier?
        var versions = PackageVersions(package: id, releases: [], yankReasons: [:], deleted: [])
        for row in rows {
            switch row[0].int {
            case 0:
                guard let scope = row[1].string, let name = row[2].string else { continue }
                package = try PackageIdentifier(scope: scope, name: name)
            case 1:
                guard let v = row[1].string, let version = try? SemanticVersion(v) else { continue }
                versions.releases.append(version)
            case 2:
                guard let key = row[1].string, let reason = row[2].string else { continue }
                versions.yankReasons[key] = reason
            default:
                guard let v = row[1].string, let version = try? SemanticVersion(v), let at = row[3].date else { continue }
                versions.deleted.append(.init(version: version, deletedAt: at))
            }
        }
        guard let package else { return nil }
        versions.package = package
        return versions
    }

    static func releaseForReading(_ id: PackageIdentifier, version: SemanticVersion, on connection: SQLiteConnection) throws -> Release? {
        // One row per manifest (a release always has its Package.swift); the release's columns repeat.
        let rows = try connection.query(Self.releaseColumns + """
                , m.filename, m.tools_version, m.content
                FROM releases r JOIN packages p ON p.key = r.package_key
                LEFT JOIN manifests m ON m.package_key = r.package_key AND m.version_key = r.version_key
                WHERE r.package_key = ? AND r.version_key = ?
                ORDER BY m.position
                """, [.text(id.canonicalKey), .text(version.precedenceKey)])
        guard let first = rows.first else { return nil }
        let manifests = rows.compactMap { row -> ReleaseManifest? in
            guard let filename = row[12].string else { return nil }
            return ReleaseManifest(filename: filename, toolsVersion: row[13].string, bytes: row[14].bytes ?? [])
        }
        return try Self.releaseValue(first, of: id, manifests: manifests, repositoryURLs: [])
    }
}
