import BulwarkCore
import BulwarkStorage
import Foundation
import PostgresNIO

/// Yanks, tombstones and package audit logs on PostgreSQL (tables of migration 7).
extension PostgresStore: ReleaseLifecycleStore {
    /// The release row is locked (FOR SHARE) while the yank is written, so a concurrent deletion
    /// either happens first (and this returns false) or waits.
    /// The yank and its audit event in one transaction.
    public func yank(_ id: PackageIdentifier, version: SemanticVersion, _ yank: Yank, recording event: PackageEvent?) async throws -> Bool {
        try event?.requireAbout(id, version: version)
        let logger = logger
        let packageKey = id.canonicalKey
        let versionKey = version.precedenceKey
        return try await transaction { connection in
            let release = try await connection.all("""
                SELECT 1 FROM releases WHERE package_key = \(packageKey) AND version_key = \(versionKey) FOR SHARE
                """, logger)
            guard !release.isEmpty else { return false }
            try await connection.all("""
                INSERT INTO release_yanks (package_key, version_key, reason, yanked_by, yanked_at)
                VALUES (\(packageKey), \(versionKey), \(yank.reason), \(yank.by), \(Self.seconds(yank.at)))
                ON CONFLICT (package_key, version_key) DO UPDATE SET reason = excluded.reason, yanked_by = excluded.yanked_by,
                    yanked_at = excluded.yanked_at
                """, logger)
            if let event { try await Self.insertEvent(event, on: connection, logger: logger) }
            return true
        }
    }

    /// The cleared yank and its audit event in one transaction; no event if nothing was yanked.
    public func unyank(_ id: PackageIdentifier, version: SemanticVersion, recording event: PackageEvent?) async throws -> Bool {
        try event?.requireAbout(id, version: version)
        let logger = logger
        let packageKey = id.canonicalKey
        let versionKey = version.precedenceKey
        return try await transaction { connection in
            let cleared = try await connection.all("""
                DELETE FROM release_yanks WHERE package_key = \(packageKey) AND version_key = \(versionKey) RETURNING 1
                """, logger)
            guard !cleared.isEmpty else { return false }
            if let event { try await Self.insertEvent(event, on: connection, logger: logger) }
            return true
        }
    }

    public func yank(of id: PackageIdentifier, version: SemanticVersion) async throws -> Yank? {
        let rows = try await rows("""
            SELECT reason, yanked_by, yanked_at FROM release_yanks WHERE package_key = \(id.canonicalKey) AND version_key = \(version.precedenceKey)
            """)
        return try rows.first.map { row in
            let (reason, by, at) = try row.decode((String, String, Int64).self)
            return Yank(reason: reason, by: by, at: Self.date(at))
        }
    }

    public func yanks(of id: PackageIdentifier) async throws -> [YankedRelease] {
        let rows = try await rows("""
            SELECT y.reason, y.yanked_by, y.yanked_at, r.version FROM release_yanks y
            JOIN releases r ON r.package_key = y.package_key AND r.version_key = y.version_key
            WHERE y.package_key = \(id.canonicalKey)
            """)
        return try rows.map { row in
            let (reason, by, at, v) = try row.decode((String, String, Int64, String).self)
            guard let version = try? SemanticVersion(v) else { throw BulwarkError.internalError("a stored yank of \(id) is incomplete") }
            return YankedRelease(version: version, yank: Yank(reason: reason, by: by, at: Self.date(at)))
        }
    }

    /// The release row is locked FOR UPDATE first: of concurrent deletions (on any instance) one
    /// deletes it, and the others, waiting on the lock, then find no release and return nil.
    /// The deletion, its tombstone and its audit event in one transaction.
    public func deleteRelease(
        _ id: PackageIdentifier, version: SemanticVersion, by account: String, at date: Date, recording event: PackageEvent?
    ) async throws -> DeletedRelease? {
        try event?.requireAbout(id, version: version)
        let logger = logger
        let packageKey = id.canonicalKey
        let versionKey = version.precedenceKey
        return try await transaction { connection in
            let rows = try await connection.all("""
                SELECT p.scope, p.name, r.version, r.checksum FROM releases r JOIN packages p ON p.key = r.package_key
                WHERE r.package_key = \(packageKey) AND r.version_key = \(versionKey)
                FOR UPDATE OF r
                """, logger)
            guard let row = rows.first else { return nil }
            let (scope, name, v, checksum) = try row.decode((String, String, String, String).self)
            let tombstone = Tombstone(
                package: try PackageIdentifier(scope: scope, name: name), version: try SemanticVersion(v), checksum: checksum,
                deletedBy: account, deletedAt: date
            )
            try await connection.all("DELETE FROM release_yanks WHERE package_key = \(packageKey) AND version_key = \(versionKey)", logger)
            try await connection.all("DELETE FROM manifests WHERE package_key = \(packageKey) AND version_key = \(versionKey)", logger)
            try await connection.all("DELETE FROM releases WHERE package_key = \(packageKey) AND version_key = \(versionKey)", logger)
            try await connection.all("""
                INSERT INTO tombstones (package_key, version_key, scope, name, version, checksum, deleted_by, deleted_at)
                VALUES (\(packageKey), \(versionKey), \(scope), \(name), \(v), \(checksum), \(account), \(Self.seconds(date)))
                """, logger)
            if let event { try await Self.insertEvent(event, on: connection, logger: logger) }
            let inRelease = try await connection.all("SELECT 1 FROM releases WHERE checksum = \(checksum) LIMIT 1", logger)
            let inStaged = try await connection.all("""
                SELECT 1 FROM staged_releases WHERE state = 'pending' AND strpos(release, \(checksum)) > 0 LIMIT 1
                """, logger)
            return DeletedRelease(tombstone: tombstone, archiveStillReferenced: !inRelease.isEmpty || !inStaged.isEmpty)
        }
    }

    static let tombstoneColumns = "SELECT scope, name, version, checksum, deleted_by, deleted_at FROM tombstones"

    public func tombstone(of id: PackageIdentifier, version: SemanticVersion) async throws -> Tombstone? {
        let logger = logger
        let packageKey = id.canonicalKey
        let versionKey = version.precedenceKey
        return try await withConnection { connection in
            try await Self.tombstone(packageKey: packageKey, versionKey: versionKey, on: connection, logger: logger)
        }
    }

    /// The tombstone of a version, read on `connection` (inside the caller's transaction).
    static func tombstone(packageKey: String, versionKey: String, on connection: PostgresConnection, logger: Logger) async throws -> Tombstone? {
        var query = PostgresQuery(unsafeSQL: tombstoneColumns + " WHERE package_key = $1 AND version_key = $2")
        query.binds.append(packageKey)
        query.binds.append(versionKey)
        return try await connection.all(query, logger).first.map(tombstoneValue)
    }

    public func tombstones(of id: PackageIdentifier) async throws -> [Tombstone] {
        var query = PostgresQuery(unsafeSQL: Self.tombstoneColumns + " WHERE package_key = $1")
        query.binds.append(id.canonicalKey)
        return try await rows(query).map(Self.tombstoneValue)
    }

    private static func tombstoneValue(_ row: PostgresRow) throws -> Tombstone {
        let (scope, name, v, checksum, by, at) = try row.decode((String, String, String, String, String, Int64).self)
        return Tombstone(
            package: try PackageIdentifier(scope: scope, name: name), version: try SemanticVersion(v), checksum: checksum, deletedBy: by,
            deletedAt: date(at)
        )
    }

    public func recordPackageEvent(_ event: PackageEvent) async throws {
        try await rows(Self.eventInsert(event))
    }

    /// Appends one audit event inside the caller's transaction.
    static func insertEvent(_ event: PackageEvent, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.all(eventInsert(event), logger)
    }

    private static func eventInsert(_ event: PackageEvent) -> PostgresQuery {
        """
        INSERT INTO package_events (package_key, package, version, kind, actor, credential_kind, credential_id, detail, ip, at)
        VALUES (\(event.package.canonicalKey), \(event.package.description), \(event.version?.description), \(event.kind.rawValue),
            \(event.actor), \(event.credential.kind.rawValue), \(event.credential.id), \(event.detail), \(event.ip), \(seconds(event.at)))
        """
    }

    public func packageEvents(of id: PackageIdentifier, limit: Int) async throws -> [PackageEvent] {
        let rows = try await rows("""
            SELECT package, version, kind, actor, credential_kind, credential_id, detail, ip, at FROM package_events
            WHERE package_key = \(id.canonicalKey) ORDER BY id DESC LIMIT \(Int64(max(0, limit)))
            """)
        return try rows.map { row in
            let (packageName, v, kindName, actor, credentialKindName, credentialID, detail, ip, at) = try row.decode(
                (String, String?, String, String, String, String?, String, String?, Int64).self
            )
            guard let package = try? PackageIdentifier(packageName), let kind = PackageEvent.Kind(rawValue: kindName),
                let credentialKind = CredentialUse.Kind(rawValue: credentialKindName)
            else { throw BulwarkError.internalError("a stored event of \(id) is incomplete") }
            return PackageEvent(
                package: package, version: try v.map { try SemanticVersion($0) }, kind: kind, actor: actor,
                credential: CredentialUse(kind: credentialKind, id: credentialID), detail: detail, ip: ip, at: Self.date(at)
            )
        }
    }
}
