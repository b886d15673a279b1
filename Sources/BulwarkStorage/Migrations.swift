/// A schema change, applied once, in order. One value per change, named for it.
struct Migration: Sendable {
    let id: Int
    let name: String
    let sql: String
}

/// The SQLite schema, as the list of changes that build it.
enum SQLiteMigrations {
    static let all: [Migration] = [
        Migration(id: 1, name: "CreateReleaseTables", sql: """
            CREATE TABLE packages (
                key TEXT PRIMARY KEY,            -- lower-cased scope.name
                scope TEXT NOT NULL,             -- as first published
                name TEXT NOT NULL,
                created_at INTEGER NOT NULL
            );
            CREATE TABLE releases (
                package_key TEXT NOT NULL REFERENCES packages(key),
                version_key TEXT NOT NULL,       -- SemVer without build metadata
                version TEXT NOT NULL,           -- as published
                checksum TEXT NOT NULL,
                archive_size INTEGER NOT NULL,
                metadata BLOB,
                archive_signature BLOB,
                archive_signature_format TEXT,
                metadata_signature BLOB,
                metadata_signature_format TEXT,
                published_at INTEGER NOT NULL,
                publisher TEXT NOT NULL,
                PRIMARY KEY (package_key, version_key)
            );
            CREATE TABLE manifests (
                package_key TEXT NOT NULL,
                version_key TEXT NOT NULL,
                filename TEXT NOT NULL,
                tools_version TEXT,
                content BLOB NOT NULL,
                position INTEGER NOT NULL,
                PRIMARY KEY (package_key, version_key, filename),
                FOREIGN KEY (package_key, version_key) REFERENCES releases(package_key, version_key)
            );
            CREATE TABLE repository_urls (
                url TEXT NOT NULL,               -- normalised
                package_key TEXT NOT NULL REFERENCES packages(key),
                PRIMARY KEY (url, package_key)
            );
            """),
        Migration(id: 2, name: "CreateAccountAndTokenTables", sql: """
            CREATE TABLE accounts (
                name_key TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                email TEXT NOT NULL,
                password_hash TEXT,
                created_at INTEGER NOT NULL
            );
            CREATE TABLE tokens (
                id TEXT PRIMARY KEY,
                hash TEXT NOT NULL UNIQUE,       -- SHA-256 of the token; the token itself is never stored
                account_key TEXT NOT NULL REFERENCES accounts(name_key),
                permissions TEXT NOT NULL,       -- comma-separated
                packages TEXT NOT NULL,          -- comma-separated patterns
                created_at INTEGER NOT NULL,
                expires_at INTEGER,
                last_used_at INTEGER,
                revoked_at INTEGER
            );
            CREATE INDEX tokens_by_account ON tokens(account_key);
            """),
    ]
}
