import BulwarkCore
import Foundation

extension SQLiteStore: ReleaseLifecycleStore {
    /// The yank and its audit event in one transaction (one WAL commit, one sync).
    public func yank(_ id: PackageIdentifier, version: SemanticVersion, _ yank: Yank, recording event: PackageEvent?) throws -> Bool {
        try event?.requireAbout(id, version: version)
        let key: [SQLiteValue] = [.text(id.canonicalKey), .text(version.precedenceKey)]
        return try connection.transaction {
            guard !(try connection.query("SELECT 1 FROM releases WHERE package_key = ? AND version_key = ?", key)).isEmpty else { return false }
            try connection.query("""
                INSERT INTO release_yanks (package_key, version_key, reason, yanked_by, yanked_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (package_key, version_key) DO UPDATE SET reason = excluded.reason, yanked_by = excluded.yanked_by,
                    yanked_at = excluded.yanked_at
                """, key + [.text(yank.reason), .text(yank.by), .date(yank.at)])
            if let event { try insertEventRow(event) }
            return true
        }
    }

    /// The cleared yank and its audit event in one transaction; no event if nothing was yanked.
    public func unyank(_ id: PackageIdentifier, version: SemanticVersion, recording event: PackageEvent?) throws -> Bool {
        try event?.requireAbout(id, version: version)
        return try connection.transaction {
            try connection.query(
                "DELETE FROM release_yanks WHERE package_key = ? AND version_key = ?", [.text(id.canonicalKey), .text(version.precedenceKey)]
            )
            guard connection.changes == 1 else { return false }
            if let event { try insertEventRow(event) }
            return true
        }
    }

    public func yank(of id: PackageIdentifier, version: SemanticVersion) throws -> Yank? {
        let rows = try connection.locked {
            try connection.query(
                "SELECT reason, yanked_by, yanked_at FROM release_yanks WHERE package_key = ? AND version_key = ?",
                [.text(id.canonicalKey), .text(version.precedenceKey)]
            )
        }
        return try rows.first.map(Self.yankValue)
    }

    public func yanks(of id: PackageIdentifier) throws -> [YankedRelease] {
        let rows = try connection.locked {
            try connection.query("""
                SELECT y.reason, y.yanked_by, y.yanked_at, r.version FROM release_yanks y
                JOIN releases r ON r.package_key = y.package_key AND r.version_key = y.version_key
                WHERE y.package_key = ?
                """, [.text(id.canonicalKey)])
        }
        return try rows.map { row in
            guard let v = row[3].string, let version = try? SemanticVersion(v) else {
                throw BulwarkError.internalError("a stored yank of \(id) is incomplete")
            }
            return YankedRelease(version: version, yank: try Self.yankValue(row))
        }
    }

    private static func yankValue(_ row: [SQLiteValue]) throws -> Yank {
        guard let reason = row[0].string, let by = row[1].string, let at = row[2].date else {
            throw BulwarkError.internalError("a stored yank is incomplete")
        }
        return Yank(reason: reason, by: by, at: at)
    }

    /// The deletion, its tombstone and its audit event in one transaction.
    public func deleteRelease(
        _ id: PackageIdentifier, version: SemanticVersion, by account: String, at date: Date, recording event: PackageEvent?
    ) throws -> DeletedRelease? {
        try event?.requireAbout(id, version: version)
        let key: [SQLiteValue] = [.text(id.canonicalKey), .text(version.precedenceKey)]
        return try connection.transaction {
            let rows = try connection.query("""
                SELECT p.scope, p.name, r.version, r.checksum FROM releases r JOIN packages p ON p.key = r.package_key
                WHERE r.package_key = ? AND r.version_key = ?
                """, key)
            guard let row = rows.first else { return nil }
            guard let scope = row[0].string, let name = row[1].string, let v = row[2].string, let checksum = row[3].string else {
                throw BulwarkError.internalError("a stored release of \(id) is incomplete")
            }
            let tombstone = Tombstone(
                package: try PackageIdentifier(scope: scope, name: name), version: try SemanticVersion(v), checksum: checksum,
                deletedBy: account, deletedAt: date
            )
            try connection.query("DELETE FROM release_yanks WHERE package_key = ? AND version_key = ?", key)
            try connection.query("DELETE FROM manifests WHERE package_key = ? AND version_key = ?", key)
            try connection.query("DELETE FROM releases WHERE package_key = ? AND version_key = ?", key)
            try connection.query("""
                INSERT INTO tombstones (package_key, version_key, scope, name, version, checksum, deleted_by, deleted_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, key + [.text(scope), .text(name), .text(v), .text(checksum), .text(account), .date(date)])
            if let event { try insertEventRow(event) }
            let inRelease = try connection.query("SELECT 1 FROM releases WHERE checksum = ? LIMIT 1", [.text(checksum)])
            let inStaged = try connection.query(
                "SELECT 1 FROM staged_releases WHERE state = 'pending' AND instr(release, ?) > 0 LIMIT 1", [.text(checksum)]
            )
            return DeletedRelease(tombstone: tombstone, archiveStillReferenced: !inRelease.isEmpty || !inStaged.isEmpty)
        }
    }

    private static let tombstoneColumns = "SELECT scope, name, version, checksum, deleted_by, deleted_at FROM tombstones"

    public func tombstone(of id: PackageIdentifier, version: SemanticVersion) throws -> Tombstone? {
        try connection.locked { try tombstoneRow(packageKey: .text(id.canonicalKey), versionKey: .text(version.precedenceKey)) }
    }

    /// The tombstone of a version; the caller holds the connection (or the transaction).
    func tombstoneRow(packageKey: SQLiteValue, versionKey: SQLiteValue) throws -> Tombstone? {
        let rows = try connection.query(Self.tombstoneColumns + " WHERE package_key = ? AND version_key = ?", [packageKey, versionKey])
        return try rows.first.map(Self.tombstoneValue)
    }

    public func tombstones(of id: PackageIdentifier) throws -> [Tombstone] {
        let rows = try connection.locked { try connection.query(Self.tombstoneColumns + " WHERE package_key = ?", [.text(id.canonicalKey)]) }
        return try rows.map(Self.tombstoneValue)
    }

    private static func tombstoneValue(_ r: [SQLiteValue]) throws -> Tombstone {
        guard let scope = r[0].string, let name = r[1].string, let v = r[2].string, let checksum = r[3].string, let by = r[4].string,
            let at = r[5].date
        else { throw BulwarkError.internalError("a stored tombstone is incomplete") }
        return Tombstone(
            package: try PackageIdentifier(scope: scope, name: name), version: try SemanticVersion(v), checksum: checksum, deletedBy: by,
            deletedAt: at
        )
    }

    public func recordPackageEvent(_ event: PackageEvent) throws {
        try connection.locked { try insertEventRow(event) }
    }

    /// Appends one audit event; the caller holds the connection (or the transaction).
    func insertEventRow(_ event: PackageEvent) throws {
        try connection.query("""
            INSERT INTO package_events (package_key, package, version, kind, actor, credential_kind, credential_id, detail, ip, at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [
                .text(event.package.canonicalKey), .text(event.package.description), .optionalText(event.version?.description),
                .text(event.kind.rawValue), .text(event.actor), .text(event.credential.kind.rawValue), .optionalText(event.credential.id),
                .text(event.detail), .optionalText(event.ip), .date(event.at),
            ])
    }

    public func packageEvents(of id: PackageIdentifier, limit: Int) throws -> [PackageEvent] {
        let rows = try connection.locked {
            try connection.query("""
                SELECT package, version, kind, actor, credential_kind, credential_id, detail, ip, at FROM package_events
                WHERE package_key = ? ORDER BY id DESC LIMIT ?
                """, [.text(id.canonicalKey), .integer(Int64(max(0, limit)))])
        }
        return try rows.map { r in
            guard let package = r[0].string.flatMap({ try? PackageIdentifier($0) }), let kind = r[2].string.flatMap(PackageEvent.Kind.init(rawValue:)),
                let actor = r[3].string, let credentialKind = r[4].string.flatMap(CredentialUse.Kind.init(rawValue:)), let detail = r[6].string,
                let at = r[8].date
            else { throw BulwarkError.internalError("a stored event of \(id) is incomplete") }
            return PackageEvent(
                package: package, version: try r[1].string.map { try SemanticVersion($0) }, kind: kind, actor: actor,
                credential: CredentialUse(kind: credentialKind, id: r[5].string), detail: detail, ip: r[7].string, at: at
            )
        }
    }
}
