import BulwarkCore
import BulwarkStorage
import Foundation
import PostgresNIO

// MARK: Releases

extension PostgresStore: ReleaseStore {
    public func package(_ id: PackageIdentifier) async throws -> PackageIdentifier? {
        let rows = try await rows("SELECT scope, name FROM packages WHERE key = \(id.canonicalKey)")
        guard let row = rows.first else { return nil }
        let (scope, name) = try row.decode((String, String).self)
        return try PackageIdentifier(scope: scope, name: name)
    }

    public func releases(of id: PackageIdentifier) async throws -> [ReleaseSummary] {
        let rows = try await rows("SELECT version, published_at FROM releases WHERE package_key = \(id.canonicalKey)")
        return try rows.compactMap { row in
            let (v, publishedAt) = try row.decode((String, Int64).self)
            guard let version = try? SemanticVersion(v) else { return nil }
            return ReleaseSummary(version: version, publishedAt: Self.date(publishedAt))
        }
    }

    public func release(_ id: PackageIdentifier, version: SemanticVersion) async throws -> Release? {
        let logger = logger
        let packageKey = id.canonicalKey
        let versionKey = version.precedenceKey
        // One REPEATABLE READ snapshot, so that the release and its manifests belong together.
        return try await withConnection { connection in
            try await connection.all("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger)
            do {
                let rows = try await connection.all("""
                    SELECT p.scope, p.name, r.version, r.checksum, r.archive_size, r.metadata, r.archive_signature,
                           r.archive_signature_format, r.metadata_signature, r.metadata_signature_format, r.published_at, r.publisher
                    FROM releases r JOIN packages p ON p.key = r.package_key
                    WHERE r.package_key = \(packageKey) AND r.version_key = \(versionKey)
                    """, logger)
                guard let r = rows.first else {
                    try await connection.all("COMMIT", logger)
                    return nil
                }
                let manifests = try await connection.all("""
                    SELECT filename, tools_version, content FROM manifests
                    WHERE package_key = \(packageKey) AND version_key = \(versionKey) ORDER BY position
                    """, logger)
                let urls = try await connection.all("SELECT url FROM repository_urls WHERE package_key = \(packageKey) ORDER BY url", logger)
                try await connection.all("COMMIT", logger)

                let (scope, name, v, checksum, size, metadata, archiveSignature, archiveSignatureFormat, metadataSignature,
                    metadataSignatureFormat, publishedAt, publisher) = try r.decode(
                    (String, String, String, String, Int64, Data?, Data?, String?, Data?, String?, Int64, String).self
                )
                func signature(_ bytes: Data?, _ format: String?) -> ReleaseSignature? {
                    guard let bytes, let format else { return nil }
                    return ReleaseSignature(format: format, bytes: Array(bytes))
                }
                return Release(
                    package: try PackageIdentifier(scope: scope, name: name),
                    version: try SemanticVersion(v),
                    checksum: checksum,
                    archiveSize: size,
                    metadata: metadata.map { Array($0) },
                    archiveSignature: signature(archiveSignature, archiveSignatureFormat),
                    metadataSignature: signature(metadataSignature, metadataSignatureFormat),
                    manifests: try manifests.map { row in
                        let (filename, toolsVersion, content) = try row.decode((String, String?, Data).self)
                        return ReleaseManifest(filename: filename, toolsVersion: toolsVersion, bytes: Array(content))
                    },
                    repositoryURLs: try urls.map { try $0.decode(String.self) },
                    publishedAt: Self.date(publishedAt),
                    publisher: publisher
                )
            } catch {
                _ = try? await connection.all("ROLLBACK", logger)
                throw error
            }
        }
    }

    public func insert(_ release: Release) async throws {
        try await insertMany([release])
    }

    /// The release's rows and its audit event in one transaction: a refused insert (conflict,
    /// tombstone) rolls the event back with it.
    public func insert(_ release: Release, recording event: PackageEvent) async throws {
        try event.requireAbout(release)
        let logger = logger
        do {
            try await transaction { connection in
                try await Self.insertRow(release, on: connection, logger: logger)
                try await Self.insertEvent(event, on: connection, logger: logger)
            }
        } catch let error where Self.isConstraintViolation(error) {
            throw BulwarkError.conflict("a release with version \(release.version) of \(release.package) already exists")
        }
    }

    /// All releases in one transaction. The primary key (package, version precedence) makes a
    /// second insert of a version fail, also between instances: of concurrent inserts of one
    /// version the first to commit wins and the others get `.conflict`.
    public func insertMany(_ releases: [Release]) async throws {
        guard !releases.isEmpty else { return }
        let logger = logger
        do {
            try await transaction { connection in
                for release in releases { try await Self.insertRow(release, on: connection, logger: logger) }
            }
        } catch let error where Self.isConstraintViolation(error) {
            let what = releases.count == 1 ? "version \(releases[0].version) of \(releases[0].package)" : "one of these versions"
            throw BulwarkError.conflict("a release with \(what) already exists")
        }
    }

    private static func insertRow(_ release: Release, on connection: PostgresConnection, logger: Logger) async throws {
        let packageKey = release.package.canonicalKey
        let versionKey = release.version.precedenceKey
        try await connection.all("""
            INSERT INTO packages (key, scope, name, created_at)
            VALUES (\(packageKey), \(release.package.scope), \(release.package.name), \(seconds(release.publishedAt)))
            ON CONFLICT (key) DO NOTHING
            """, logger)
        try await connection.all("""
            INSERT INTO releases (package_key, version_key, version, checksum, archive_size, metadata, archive_signature,
                archive_signature_format, metadata_signature, metadata_signature_format, published_at, publisher)
            VALUES (\(packageKey), \(versionKey), \(release.version.description), \(release.checksum), \(release.archiveSize),
                \(data(release.metadata)), \(data(release.archiveSignature?.bytes)), \(release.archiveSignature?.format),
                \(data(release.metadataSignature?.bytes)), \(release.metadataSignature?.format), \(seconds(release.publishedAt)),
                \(release.publisher))
            """, logger)
        for (position, manifest) in release.manifests.enumerated() {
            try await connection.all("""
                INSERT INTO manifests (package_key, version_key, filename, tools_version, content, position)
                VALUES (\(packageKey), \(versionKey), \(manifest.filename), \(manifest.toolsVersion), \(Data(manifest.bytes)), \(position))
                """, logger)
        }
        for url in Set(release.repositoryURLs).sorted() {
            try await connection.all("""
                INSERT INTO repository_urls (url, package_key) VALUES (\(url), \(packageKey)) ON CONFLICT DO NOTHING
                """, logger)
        }
        // A deleted version is never published again. Checked after the insert: if a deletion of
        // this version was in flight, the insert waited for it on the primary key, and this
        // statement (a fresh snapshot) sees its tombstone.
        if let tombstone = try await tombstone(packageKey: packageKey, versionKey: versionKey, on: connection, logger: logger) {
            throw BulwarkError.conflict(tombstone.republishDetail)
        }
    }

    public func packages(forRepositoryURL normalized: String) async throws -> [PackageIdentifier] {
        let rows = try await rows("""
            SELECT p.scope, p.name FROM repository_urls u JOIN packages p ON p.key = u.package_key
            WHERE u.url = \(normalized) ORDER BY p.scope, p.name
            """)
        return try rows.compactMap { row in
            let (scope, name) = try row.decode((String, String).self)
            return try? PackageIdentifier(scope: scope, name: name)
        }
    }
}

// MARK: Accounts

extension PostgresStore: AccountStore {
    public func createAccount(_ account: Account) async throws {
        do {
            try await rows("""
                INSERT INTO accounts (name_key, name, email, password_hash, created_at)
                VALUES (\(account.name.key), \(account.name), \(account.email), \(account.passwordHash), \(Self.seconds(account.createdAt)))
                """)
        } catch let error where Self.isConstraintViolation(error) {
            throw BulwarkError.conflict("the account name '\(account.name)' is taken")
        }
    }

    public func account(named name: String) async throws -> Account? {
        let rows = try await rows("SELECT name, email, password_hash, created_at FROM accounts WHERE name_key = \(name.key)")
        guard let row = rows.first else { return nil }
        let (n, email, passwordHash, created) = try row.decode((String, String, String?, Int64).self)
        return Account(name: n, email: email, passwordHash: passwordHash, createdAt: Self.date(created))
    }
}

// MARK: Tokens

extension PostgresStore: TokenStore {
    public func insertToken(_ token: TokenRecord) async throws {
        do {
            try await rows("""
                INSERT INTO tokens (id, hash, account_key, permissions, packages, created_at, expires_at, last_used_at, revoked_at, last_used_ip)
                VALUES (\(token.id), \(token.hash), \(token.account.key), \(token.permissions.map(\.rawValue).joined(separator: ",")),
                    \(token.packages.map(\.description).joined(separator: ",")), \(Self.seconds(token.createdAt)),
                    \(Self.seconds(token.expiresAt)), \(Self.seconds(token.lastUsedAt)), \(Self.seconds(token.revokedAt)), \(token.lastUsedIP))
                """)
        } catch let error where Self.isConstraintViolation(error) {
            throw BulwarkError.conflict("the token can't be stored: its account doesn't exist or its id is taken")
        }
    }

    private static let tokenColumns = """
        SELECT t.id, t.hash, a.name, t.permissions, t.packages, t.created_at, t.expires_at, t.last_used_at, t.revoked_at, t.last_used_ip
        FROM tokens t JOIN accounts a ON a.name_key = t.account_key
        """

    public func token(hash: String) async throws -> TokenRecord? {
        var query = PostgresQuery(unsafeSQL: Self.tokenColumns + " WHERE t.hash = $1")
        query.binds.append(hash)
        return try await rows(query).first.map(Self.tokenRecord)
    }

    public func touchToken(id: String, at date: Date) async throws {
        try await rows("UPDATE tokens SET last_used_at = \(Self.seconds(date)) WHERE id = \(id)")
    }

    public func touchToken(id: String, at date: Date, ip: String?) async throws {
        try await rows("UPDATE tokens SET last_used_at = \(Self.seconds(date)), last_used_ip = \(ip) WHERE id = \(id)")
    }

    public func revokeToken(id: String, at date: Date) async throws {
        try await rows("UPDATE tokens SET revoked_at = \(Self.seconds(date)) WHERE id = \(id) AND revoked_at IS NULL")
    }

    public func tokens(ofAccount account: String) async throws -> [TokenRecord] {
        var query = PostgresQuery(unsafeSQL: Self.tokenColumns + " WHERE t.account_key = $1 ORDER BY t.created_at DESC, t.id")
        query.binds.append(account.key)
        return try await rows(query).map(Self.tokenRecord)
    }

    private static func tokenRecord(_ row: PostgresRow) throws -> TokenRecord {
        let (id, hash, account, permissions, packages, created, expires, lastUsed, revoked, lastUsedIP) = try row.decode(
            (String, String, String, String, String, Int64, Int64?, Int64?, Int64?, String?).self
        )
        return TokenRecord(
            id: id, hash: hash, account: account,
            permissions: permissions.split(separator: ",").compactMap { TokenPermission(rawValue: String($0)) },
            packages: packages.split(separator: ",").compactMap { try? PackagePattern(String($0)) },
            createdAt: date(created), expiresAt: date(expires), lastUsedAt: date(lastUsed), revokedAt: date(revoked),
            lastUsedIP: lastUsedIP
        )
    }
}
