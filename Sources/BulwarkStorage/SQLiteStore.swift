import BulwarkCore
import Foundation
import Synchronization

/// The embedded default store: one SQLite file.
public final class SQLiteStore: ReleaseStore, AccountStore, TokenStore {
    let connection: SQLiteConnection
    /// Read-only connections for the read API (``RegistryReadStore``), one per core (2–8).
    let readers: SQLiteReaders
    let path: String
    /// Stores rendered responses (``StoredResponseStore``); opened on first use.
    let responseWriterConnection = Mutex<SQLiteConnection?>(nil)

    public init(path: String, readers: Int = min(8, max(2, ProcessInfo.processInfo.activeProcessorCount))) throws {
        self.path = path
        connection = try SQLiteConnection(path: path)
        try Self.migrate(connection)
        self.readers = SQLiteReaders(path: path, count: readers)
    }

    deinit {
        // The writer closes last: it folds the WAL back into the database file.
        readers.close()
        responseWriterConnection.withLock { $0?.close() }
    }

    /// Applies the migrations not applied yet, each in its own transaction.
    static func migrate(_ connection: SQLiteConnection) throws {
        try connection.locked {
            try connection.exec("CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)")
        }
        for migration in SQLiteMigrations.all {
            try connection.transaction {
                let done = try connection.query("SELECT 1 FROM schema_migrations WHERE id = ?", [.integer(Int64(migration.id))])
                guard done.isEmpty else { return }
                try connection.exec(migration.sql)
                try connection.query(
                    "INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)",
                    [.integer(Int64(migration.id)), .text(migration.name), .date(Date())]
                )
            }
        }
    }

    /// `"ok"` when SQLite's integrity check passes.
    public func integrityCheck() throws -> String { try connection.integrityCheck() }

    // MARK: Releases

    public func package(_ id: PackageIdentifier) throws -> PackageIdentifier? {
        let rows = try connection.locked { try connection.query("SELECT scope, name FROM packages WHERE key = ?", [.text(id.canonicalKey)]) }
        guard let row = rows.first, let scope = row[0].string, let name = row[1].string else { return nil }
        return try PackageIdentifier(scope: scope, name: name)
    }

    public func releases(of id: PackageIdentifier) throws -> [ReleaseSummary] {
        let rows = try connection.locked {
            try connection.query("SELECT version, published_at FROM releases WHERE package_key = ?", [.text(id.canonicalKey)])
        }
        return rows.compactMap { row in
            guard let v = row[0].string, let version = try? SemanticVersion(v), let date = row[1].date else { return nil }
            return ReleaseSummary(version: version, publishedAt: date)
        }
    }

    public func release(_ id: PackageIdentifier, version: SemanticVersion) throws -> Release? {
        let key: [SQLiteValue] = [.text(id.canonicalKey), .text(version.precedenceKey)]
        let (rows, manifestRows, urlRows) = try connection.locked {
            let rows = try connection.query(Self.releaseColumns + """
                 FROM releases r JOIN packages p ON p.key = r.package_key
                WHERE r.package_key = ? AND r.version_key = ?
                """, key)
            guard !rows.isEmpty else { return ([[SQLiteValue]](), [[SQLiteValue]](), [[SQLiteValue]]()) }
            let manifests = try connection.query(
                "SELECT filename, tools_version, content FROM manifests WHERE package_key = ? AND version_key = ? ORDER BY position", key)
            let urls = try connection.query("SELECT url FROM repository_urls WHERE package_key = ? ORDER BY url", [key[0]])
            return (rows, manifests, urls)
        }
        guard let r = rows.first else { return nil }
        return try Self.releaseValue(
            r, of: id,
            manifests: manifestRows.map { ReleaseManifest(filename: $0[0].string ?? "", toolsVersion: $0[1].string, bytes: $0[2].bytes ?? []) },
            repositoryURLs: urlRows.compactMap { $0[0].string }
        )
    }

    /// The columns ``releaseValue(_:of:manifests:repositoryURLs:)`` reads, from `releases r` joined with `packages p`.
    static let releaseColumns = """
        SELECT p.scope, p.name, r.version, r.checksum, r.archive_size, r.metadata, r.archive_signature,
               r.archive_signature_format, r.metadata_signature, r.metadata_signature_format, r.published_at, r.publisher
        """

    static func releaseValue(_ r: [SQLiteValue], of id: PackageIdentifier, manifests: [ReleaseManifest], repositoryURLs: [String]) throws -> Release {
        guard let scope = r[0].string, let name = r[1].string, let v = r[2].string, let checksum = r[3].string,
            let size = r[4].int, let publishedAt = r[10].date, let publisher = r[11].string
        else { throw BulwarkError.internalError("a stored release of \(id) is incomplete") }
        func signature(_ bytes: SQLiteValue, _ format: SQLiteValue) -> ReleaseSignature? {
            guard let b = bytes.bytes, let f = format.string else { return nil }
            return ReleaseSignature(format: f, bytes: b)
        }
        return Release(
            package: try PackageIdentifier(scope: scope, name: name),
            version: try SemanticVersion(v),
            checksum: checksum,
            archiveSize: size,
            metadata: r[5].bytes,
            archiveSignature: signature(r[6], r[7]),
            metadataSignature: signature(r[8], r[9]),
            manifests: manifests,
            repositoryURLs: repositoryURLs,
            publishedAt: publishedAt,
            publisher: publisher
        )
    }

    public func insert(_ release: Release) throws {
        try insertMany([release])
    }

    /// The release's rows and its audit event in one transaction (one WAL commit, one sync).
    public func insert(_ release: Release, recording event: PackageEvent) throws {
        try event.requireAbout(release)
        do {
            try connection.transaction {
                try insertRow(release)
                try insertEventRow(event)
            }
        } catch is SQLiteConstraintViolation {
            throw BulwarkError.conflict("a release with version \(release.version) of \(release.package) already exists")
        }
    }

    public func insertMany(_ releases: [Release]) throws {
        do {
            try connection.transaction {
                for release in releases { try insertRow(release) }
            }
        } catch is SQLiteConstraintViolation {
            let what = releases.count == 1 ? "version \(releases[0].version) of \(releases[0].package)" : "one of these versions"
            throw BulwarkError.conflict("a release with \(what) already exists")
        }
    }

    /// Inserts one release's rows; the caller holds the transaction.
    private func insertRow(_ release: Release) throws {
        let packageKey = SQLiteValue.text(release.package.canonicalKey)
        let versionKey = SQLiteValue.text(release.version.precedenceKey)
        // A deleted version is never published again: refused in the insert's own transaction.
        if let tombstone = try tombstoneRow(packageKey: packageKey, versionKey: versionKey) {
            throw BulwarkError.conflict(tombstone.republishDetail)
        }
        try connection.query(
            "INSERT OR IGNORE INTO packages (key, scope, name, created_at) VALUES (?, ?, ?, ?)",
            [packageKey, .text(release.package.scope), .text(release.package.name), .date(release.publishedAt)]
        )
        try connection.query("""
            INSERT INTO releases (package_key, version_key, version, checksum, archive_size, metadata, archive_signature,
                archive_signature_format, metadata_signature, metadata_signature_format, published_at, publisher)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [
                packageKey, versionKey, .text(release.version.description), .text(release.checksum),
                .integer(release.archiveSize), .optionalBlob(release.metadata),
                .optionalBlob(release.archiveSignature?.bytes), .optionalText(release.archiveSignature?.format),
                .optionalBlob(release.metadataSignature?.bytes), .optionalText(release.metadataSignature?.format),
                .date(release.publishedAt), .text(release.publisher),
            ])
        for (position, manifest) in release.manifests.enumerated() {
            try connection.query(
                "INSERT INTO manifests (package_key, version_key, filename, tools_version, content, position) VALUES (?, ?, ?, ?, ?, ?)",
                [packageKey, versionKey, .text(manifest.filename), .optionalText(manifest.toolsVersion), .blob(manifest.bytes),
                 .integer(Int64(position))]
            )
        }
        for url in Set(release.repositoryURLs) {
            try connection.query("INSERT OR IGNORE INTO repository_urls (url, package_key) VALUES (?, ?)", [.text(url), packageKey])
        }
    }

    public func packages(forRepositoryURL normalized: String) throws -> [PackageIdentifier] {
        let rows = try connection.locked {
            try connection.query("""
                SELECT p.scope, p.name FROM repository_urls u JOIN packages p ON p.key = u.package_key
                WHERE u.url = ? ORDER BY p.scope, p.name
                """, [.text(normalized)])
        }
        return rows.compactMap { row in
            guard let s = row[0].string, let n = row[1].string else { return nil }
            return try? PackageIdentifier(scope: s, name: n)
        }
    }

    // MARK: Accounts

    public func createAccount(_ account: Account) throws {
        do {
            try connection.transaction {
                try connection.query(
                    "INSERT INTO accounts (name_key, name, email, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                    [.text(account.name.lowercased()), .text(account.name), .text(account.email), .optionalText(account.passwordHash),
                     .date(account.createdAt)]
                )
            }
        } catch is SQLiteConstraintViolation {
            throw BulwarkError.conflict("the account name '\(account.name)' is taken")
        }
    }

    public func account(named name: String) throws -> Account? {
        let rows = try connection.locked {
            try connection.query("SELECT name, email, password_hash, created_at FROM accounts WHERE name_key = ?", [.text(name.lowercased())])
        }
        guard let r = rows.first, let n = r[0].string, let email = r[1].string, let created = r[3].date else { return nil }
        return Account(name: n, email: email, passwordHash: r[2].string, createdAt: created)
    }

    // MARK: Tokens

    public func insertToken(_ token: TokenRecord) throws {
        do {
            try connection.transaction {
                try connection.query("""
                    INSERT INTO tokens (id, hash, account_key, permissions, packages, created_at, expires_at, last_used_at, revoked_at,
                        last_used_ip)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, [
                        .text(token.id), .text(token.hash), .text(token.account.lowercased()),
                        .text(token.permissions.map(\.rawValue).joined(separator: ",")),
                        .text(token.packages.map(\.description).joined(separator: ",")),
                        .date(token.createdAt), .date(token.expiresAt), .date(token.lastUsedAt), .date(token.revokedAt),
                        .optionalText(token.lastUsedIP),
                    ])
            }
        } catch is SQLiteConstraintViolation {
            throw BulwarkError.conflict("the token can't be stored: its account doesn't exist or its id is taken")
        }
    }

    private static let tokenColumns = """
        SELECT t.id, t.hash, a.name, t.permissions, t.packages, t.created_at, t.expires_at, t.last_used_at, t.revoked_at, t.last_used_ip
        FROM tokens t JOIN accounts a ON a.name_key = t.account_key
        """

    public func token(hash: String) throws -> TokenRecord? {
        let rows = try connection.locked { try connection.query(Self.tokenColumns + " WHERE t.hash = ?", [.text(hash)]) }
        return try rows.first.map(Self.tokenRecord)
    }

    public func touchToken(id: String, at date: Date) throws {
        try connection.locked { _ = try connection.query("UPDATE tokens SET last_used_at = ? WHERE id = ?", [.date(date), .text(id)]) }
    }

    public func touchToken(id: String, at date: Date, ip: String?) throws {
        try connection.locked {
            _ = try connection.query(
                "UPDATE tokens SET last_used_at = ?, last_used_ip = ? WHERE id = ?", [.date(date), .optionalText(ip), .text(id)]
            )
        }
    }

    public func revokeToken(id: String, at date: Date) throws {
        try connection.locked {
            _ = try connection.query("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [.date(date), .text(id)])
        }
    }

    public func tokens(ofAccount account: String) throws -> [TokenRecord] {
        let rows = try connection.locked {
            try connection.query(Self.tokenColumns + " WHERE t.account_key = ? ORDER BY t.created_at DESC", [.text(account.lowercased())])
        }
        return try rows.map(Self.tokenRecord)
    }

    private static func tokenRecord(_ r: [SQLiteValue]) throws -> TokenRecord {
        guard let id = r[0].string, let hash = r[1].string, let account = r[2].string, let permissions = r[3].string,
            let packages = r[4].string, let created = r[5].date
        else { throw BulwarkError.internalError("a stored token is incomplete") }
        return TokenRecord(
            id: id, hash: hash, account: account,
            permissions: permissions.split(separator: ",").compactMap { TokenPermission(rawValue: String($0)) },
            packages: packages.split(separator: ",").compactMap { try? PackagePattern(String($0)) },
            createdAt: created, expiresAt: r[6].date, lastUsedAt: r[7].date, revokedAt: r[8].date, lastUsedIP: r[9].string
        )
    }
}
