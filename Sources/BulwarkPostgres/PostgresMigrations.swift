/// A schema change for PostgreSQL, applied once, in order, inside one transaction with the others
/// pending at the same time. `statements` run one by one (the extended query protocol takes one
/// statement at a time).
public struct PostgresMigration: Sendable, Equatable {
    public let id: Int
    public let name: String
    let statements: [String]
}

/// The PostgreSQL schema, as the list of changes that build it. It mirrors the SQLite schema
/// (`SQLiteMigrations`): the same tables and columns, with dates as whole seconds since 1970
/// (BIGINT), bytes as BYTEA and flags as BOOLEAN. Case-insensitive names are stored beside a
/// lower-cased key column (`*_key`), computed in Swift exactly as for SQLite, so both backends
/// agree on what "the same name" means whatever the database's collation. Insertion order,
/// which SQLite gets from `rowid`, comes from an identity column `seq`.
///
/// Never edit a migration that has shipped: add a new one.
public enum PostgresMigrations {
    public static let all: [PostgresMigration] = [
        PostgresMigration(id: 1, name: "CreateReleaseTables", statements: [
            """
            CREATE TABLE packages (
                key TEXT PRIMARY KEY,
                scope TEXT NOT NULL,
                name TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE releases (
                package_key TEXT NOT NULL REFERENCES packages(key),
                version_key TEXT NOT NULL,
                version TEXT NOT NULL,
                checksum TEXT NOT NULL,
                archive_size BIGINT NOT NULL,
                metadata BYTEA,
                archive_signature BYTEA,
                archive_signature_format TEXT,
                metadata_signature BYTEA,
                metadata_signature_format TEXT,
                published_at BIGINT NOT NULL,
                publisher TEXT NOT NULL,
                PRIMARY KEY (package_key, version_key)
            )
            """,
            """
            CREATE TABLE manifests (
                package_key TEXT NOT NULL,
                version_key TEXT NOT NULL,
                filename TEXT NOT NULL,
                tools_version TEXT,
                content BYTEA NOT NULL,
                position INTEGER NOT NULL,
                PRIMARY KEY (package_key, version_key, filename),
                FOREIGN KEY (package_key, version_key) REFERENCES releases(package_key, version_key)
            )
            """,
            """
            CREATE TABLE repository_urls (
                url TEXT NOT NULL,
                package_key TEXT NOT NULL REFERENCES packages(key),
                PRIMARY KEY (url, package_key)
            )
            """,
            "CREATE INDEX repository_urls_by_package ON repository_urls(package_key)",
        ]),
        PostgresMigration(id: 2, name: "CreateAccountAndTokenTables", statements: [
            """
            CREATE TABLE accounts (
                name_key TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                email TEXT NOT NULL,
                password_hash TEXT,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE tokens (
                id TEXT PRIMARY KEY,
                hash TEXT NOT NULL UNIQUE,
                account_key TEXT NOT NULL REFERENCES accounts(name_key),
                permissions TEXT NOT NULL,
                packages TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT,
                last_used_at BIGINT,
                revoked_at BIGINT
            )
            """,
            "CREATE INDEX tokens_by_account ON tokens(account_key)",
        ]),
        PostgresMigration(id: 3, name: "CreateAccountSecurityTables", statements: [
            """
            CREATE TABLE totp_enrolments (
                account_key TEXT PRIMARY KEY,
                account TEXT NOT NULL,
                sealed_secret BYTEA NOT NULL,
                confirmed BOOLEAN NOT NULL,
                last_used_step BIGINT,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE passkeys (
                id TEXT PRIMARY KEY,
                seq BIGINT GENERATED ALWAYS AS IDENTITY,
                account_key TEXT NOT NULL,
                account TEXT NOT NULL,
                name TEXT NOT NULL,
                public_key BYTEA NOT NULL,
                algorithm BIGINT NOT NULL,
                sign_count BIGINT NOT NULL,
                backup_eligible BOOLEAN NOT NULL,
                backed_up BOOLEAN NOT NULL,
                transports TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                last_used_at BIGINT
            )
            """,
            "CREATE INDEX passkeys_by_account ON passkeys(account_key, created_at, seq)",
            """
            CREATE TABLE recovery_codes (
                id TEXT PRIMARY KEY,
                account_key TEXT NOT NULL,
                account TEXT NOT NULL,
                hash TEXT NOT NULL,
                position INTEGER NOT NULL,
                used_at BIGINT
            )
            """,
            "CREATE INDEX recovery_codes_by_account ON recovery_codes(account_key, position)",
            """
            CREATE TABLE sessions (
                id TEXT PRIMARY KEY,
                account_key TEXT NOT NULL,
                account TEXT NOT NULL,
                state TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                last_seen_at BIGINT NOT NULL,
                second_factor_at BIGINT,
                seq BIGINT GENERATED ALWAYS AS IDENTITY
            )
            """,
            "CREATE INDEX sessions_by_account ON sessions(account_key)",
            "CREATE INDEX sessions_by_last_seen ON sessions(last_seen_at)",
            "CREATE INDEX sessions_by_created ON sessions(created_at)",
            """
            CREATE TABLE challenges (
                id TEXT PRIMARY KEY,
                purpose TEXT NOT NULL,
                bytes BYTEA NOT NULL,
                account TEXT,
                expires_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX challenges_by_expiry ON challenges(expires_at)",
            """
            CREATE TABLE security_events (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                account_key TEXT NOT NULL,
                account TEXT NOT NULL,
                kind TEXT NOT NULL,
                detail TEXT NOT NULL,
                ip TEXT,
                at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX security_events_by_account ON security_events(account_key, at, id)",
            """
            CREATE TABLE throttle_failures (
                key TEXT NOT NULL,
                at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX throttle_failures_by_key ON throttle_failures(key, at)",
            "CREATE INDEX throttle_failures_by_time ON throttle_failures(at)",
        ]),
        PostgresMigration(id: 4, name: "CreateScopeOwnersTable", statements: [
            """
            CREATE TABLE scope_owners (
                scope_key TEXT NOT NULL,
                scope TEXT NOT NULL,
                account_key TEXT NOT NULL,
                account TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                seq BIGINT GENERATED ALWAYS AS IDENTITY,
                PRIMARY KEY (scope_key, account_key)
            )
            """,
            "CREATE INDEX scope_owners_by_account ON scope_owners(account_key)",
        ]),
        PostgresMigration(id: 5, name: "CreatePackagePolicyAndStagedReleaseTables", statements: [
            """
            CREATE TABLE package_policies (
                package_key TEXT PRIMARY KEY,
                second_factor TEXT NOT NULL,
                publishing TEXT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE staged_releases (
                id TEXT PRIMARY KEY,
                package_key TEXT NOT NULL,
                version_key TEXT NOT NULL,
                release TEXT NOT NULL,
                state TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                decided_by TEXT,
                decided_at BIGINT
            )
            """,
            "CREATE INDEX staged_releases_by_package ON staged_releases(package_key, state, version_key)",
        ]),
        PostgresMigration(id: 6, name: "CreatePackageMemberAndInvitationTables", statements: [
            """
            CREATE TABLE package_members (
                package_key TEXT NOT NULL,
                package TEXT NOT NULL,
                account_key TEXT NOT NULL,
                account TEXT NOT NULL,
                role TEXT NOT NULL,
                added_at BIGINT NOT NULL,
                added_by TEXT,
                seq BIGINT GENERATED ALWAYS AS IDENTITY,
                PRIMARY KEY (package_key, account_key)
            )
            """,
            "CREATE INDEX package_members_by_account ON package_members(account_key)",
            """
            CREATE TABLE invitations (
                id TEXT PRIMARY KEY,
                package_key TEXT NOT NULL,
                package TEXT NOT NULL,
                invitee_key TEXT NOT NULL,
                invitee TEXT NOT NULL,
                role TEXT NOT NULL,
                invited_by TEXT NOT NULL,
                state TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                decided_at BIGINT
            )
            """,
            "CREATE INDEX invitations_by_invitee ON invitations(invitee_key, state)",
            "CREATE INDEX invitations_by_package ON invitations(package_key, state, invitee_key)",
            "ALTER TABLE sessions ADD COLUMN passkey_at BIGINT",
        ]),
        PostgresMigration(id: 7, name: "CreateYankTombstoneAndPackageEventTables", statements: [
            """
            CREATE TABLE release_yanks (
                package_key TEXT NOT NULL,
                version_key TEXT NOT NULL,
                reason TEXT NOT NULL,
                yanked_by TEXT NOT NULL,
                yanked_at BIGINT NOT NULL,
                PRIMARY KEY (package_key, version_key),
                FOREIGN KEY (package_key, version_key) REFERENCES releases(package_key, version_key)
            )
            """,
            """
            CREATE TABLE tombstones (
                package_key TEXT NOT NULL,
                version_key TEXT NOT NULL,
                scope TEXT NOT NULL,
                name TEXT NOT NULL,
                version TEXT NOT NULL,
                checksum TEXT NOT NULL,
                deleted_by TEXT NOT NULL,
                deleted_at BIGINT NOT NULL,
                PRIMARY KEY (package_key, version_key)
            )
            """,
            """
            CREATE TABLE package_events (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                package_key TEXT NOT NULL,
                package TEXT NOT NULL,
                version TEXT,
                kind TEXT NOT NULL,
                actor TEXT NOT NULL,
                credential_kind TEXT NOT NULL,
                credential_id TEXT,
                detail TEXT NOT NULL,
                ip TEXT,
                at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX package_events_by_package ON package_events(package_key, id)",
            "CREATE INDEX releases_by_checksum ON releases(checksum)",
            "ALTER TABLE tokens ADD COLUMN last_used_ip TEXT",
        ]),
        // SQLite's migration 8 adds the index PostgreSQL has had since migration 1; kept in step so
        // both report the same schema version (export/import between them compares it).
        PostgresMigration(id: 8, name: "IndexRepositoryURLsByPackage", statements: [
            "CREATE INDEX IF NOT EXISTS repository_urls_by_package ON repository_urls(package_key)",
        ]),
        // SQLite's migration 9 keeps rendered responses (SQLite only: several instances share a
        // PostgreSQL database, and each keeps its own memory cache). Nothing to do here; kept in step.
        PostgresMigration(id: 9, name: "StoredResponses", statements: []),
        PostgresMigration(id: 10, name: "StoredResponsesPerPackageEpoch", statements: []),
        PostgresMigration(id: 11, name: "ArchiveClaims", statements: [
            """
            CREATE TABLE archive_claims (
                checksum TEXT NOT NULL,
                holder TEXT NOT NULL,
                purpose TEXT NOT NULL,
                expires_at BIGINT NOT NULL,
                PRIMARY KEY (checksum, holder)
            )
            """,
        ]),
    ]
}
