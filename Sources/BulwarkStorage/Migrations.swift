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
        Migration(id: 3, name: "CreateAccountSecurityTables", sql: """
            CREATE TABLE totp_enrolments (
                account_key TEXT PRIMARY KEY,    -- lower-cased account name
                account TEXT NOT NULL,           -- as given
                sealed_secret BLOB NOT NULL,     -- sealed seed; never stored in the clear
                confirmed INTEGER NOT NULL,      -- 0 pending, 1 active
                last_used_step INTEGER,          -- codes at or below it are replays
                created_at INTEGER NOT NULL
            );
            CREATE TABLE passkeys (
                id TEXT PRIMARY KEY,             -- base64url credential id (case-sensitive)
                account_key TEXT NOT NULL,
                account TEXT NOT NULL,
                name TEXT NOT NULL,
                public_key BLOB NOT NULL,        -- COSE key
                algorithm INTEGER NOT NULL,
                sign_count INTEGER NOT NULL,
                backup_eligible INTEGER NOT NULL,
                backed_up INTEGER NOT NULL,
                transports TEXT NOT NULL,        -- JSON array of strings
                created_at INTEGER NOT NULL,
                last_used_at INTEGER
            );
            CREATE INDEX passkeys_by_account ON passkeys(account_key, created_at);
            CREATE TABLE recovery_codes (
                id TEXT PRIMARY KEY,
                account_key TEXT NOT NULL,
                account TEXT NOT NULL,
                hash TEXT NOT NULL,              -- the code itself is never stored
                position INTEGER NOT NULL,
                used_at INTEGER
            );
            CREATE INDEX recovery_codes_by_account ON recovery_codes(account_key, position);
            CREATE TABLE sessions (
                id TEXT PRIMARY KEY,             -- SHA-256 of the cookie token
                account_key TEXT NOT NULL,
                account TEXT NOT NULL,
                state TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                last_seen_at INTEGER NOT NULL,
                second_factor_at INTEGER
            );
            CREATE INDEX sessions_by_account ON sessions(account_key);
            CREATE TABLE challenges (
                id TEXT PRIMARY KEY,
                purpose TEXT NOT NULL,
                bytes BLOB NOT NULL,
                account TEXT,                    -- nil for a username-less passkey sign-in
                expires_at INTEGER NOT NULL
            );
            CREATE INDEX challenges_by_expiry ON challenges(expires_at);
            CREATE TABLE security_events (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                account_key TEXT NOT NULL,
                account TEXT NOT NULL,
                kind TEXT NOT NULL,
                detail TEXT NOT NULL,
                ip TEXT,
                at INTEGER NOT NULL
            );
            CREATE INDEX security_events_by_account ON security_events(account_key, at, id);
            CREATE TABLE throttle_failures (
                key TEXT NOT NULL,               -- lower-cased, e.g. totp:alice, password-ip:1.2.3.4
                at INTEGER NOT NULL
            );
            CREATE INDEX throttle_failures_by_key ON throttle_failures(key, at);
            """),
        Migration(id: 4, name: "CreateScopeOwnersTable", sql: """
            CREATE TABLE scope_owners (
                scope_key TEXT NOT NULL,         -- lower-cased scope
                scope TEXT NOT NULL,             -- as claimed
                account_key TEXT NOT NULL,
                account TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                PRIMARY KEY (scope_key, account_key)
            );
            CREATE INDEX scope_owners_by_account ON scope_owners(account_key);
            """),
        Migration(id: 5, name: "CreatePackagePolicyAndStagedReleaseTables", sql: """
            CREATE TABLE package_policies (
                package_key TEXT PRIMARY KEY,    -- lower-cased scope.name
                second_factor TEXT NOT NULL,     -- any | passkey
                publishing TEXT NOT NULL,        -- tokens | approval
                updated_at INTEGER NOT NULL
            );
            CREATE TABLE staged_releases (
                id TEXT PRIMARY KEY,
                package_key TEXT NOT NULL,
                version_key TEXT NOT NULL,       -- SemVer without build metadata
                release TEXT NOT NULL,           -- the full release to create on approval, as JSON
                state TEXT NOT NULL,             -- pending | approved | rejected | expired
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                decided_by TEXT,
                decided_at INTEGER
            );
            CREATE INDEX staged_releases_by_package ON staged_releases(package_key, state, version_key);
            """),
        Migration(id: 6, name: "CreatePackageMemberAndInvitationTables", sql: """
            CREATE TABLE package_members (
                package_key TEXT NOT NULL,       -- lower-cased scope.name
                package TEXT NOT NULL,           -- as first given
                account_key TEXT NOT NULL,
                account TEXT NOT NULL,
                role TEXT NOT NULL,              -- owner | maintainer (the scope's owners are owners without a row)
                added_at INTEGER NOT NULL,
                added_by TEXT,
                PRIMARY KEY (package_key, account_key)
            );
            CREATE INDEX package_members_by_account ON package_members(account_key);
            CREATE TABLE invitations (
                id TEXT PRIMARY KEY,
                package_key TEXT NOT NULL,
                package TEXT NOT NULL,
                invitee_key TEXT NOT NULL,
                invitee TEXT NOT NULL,
                role TEXT NOT NULL,
                invited_by TEXT NOT NULL,
                state TEXT NOT NULL,             -- pending | accepted | declined | revoked
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                decided_at INTEGER
            );
            CREATE INDEX invitations_by_invitee ON invitations(invitee_key, state);
            CREATE INDEX invitations_by_package ON invitations(package_key, state, invitee_key);
            -- when a passkey was last verified in the session: packages with secondFactor passkey need it fresh
            ALTER TABLE sessions ADD COLUMN passkey_at INTEGER;
            """),
        Migration(id: 7, name: "CreateYankTombstoneAndPackageEventTables", sql: """
            CREATE TABLE release_yanks (
                package_key TEXT NOT NULL,
                version_key TEXT NOT NULL,       -- SemVer without build metadata
                reason TEXT NOT NULL,
                yanked_by TEXT NOT NULL,
                yanked_at INTEGER NOT NULL,
                PRIMARY KEY (package_key, version_key),
                FOREIGN KEY (package_key, version_key) REFERENCES releases(package_key, version_key)
            );
            CREATE TABLE tombstones (
                package_key TEXT NOT NULL,
                version_key TEXT NOT NULL,       -- never published again (SemVer precedence)
                scope TEXT NOT NULL,             -- as stored
                name TEXT NOT NULL,
                version TEXT NOT NULL,           -- as published
                checksum TEXT NOT NULL,
                deleted_by TEXT NOT NULL,
                deleted_at INTEGER NOT NULL,
                PRIMARY KEY (package_key, version_key)
            );
            CREATE TABLE package_events (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                package_key TEXT NOT NULL,
                package TEXT NOT NULL,           -- scope.name as stored
                version TEXT,
                kind TEXT NOT NULL,              -- published | staged | approved | rejected | yanked | unyanked | deleted
                actor TEXT NOT NULL,
                credential_kind TEXT NOT NULL,   -- token | passkey | totp | recovery-code | second-factor
                credential_id TEXT,              -- token id or passkey name; never a secret
                detail TEXT NOT NULL,
                ip TEXT,
                at INTEGER NOT NULL
            );
            CREATE INDEX package_events_by_package ON package_events(package_key, id);
            CREATE INDEX releases_by_checksum ON releases(checksum);
            ALTER TABLE tokens ADD COLUMN last_used_ip TEXT;
            """),
        // Reading a release looks up its package's repository URLs: without this index that was a
        // scan of every URL (2 ms at 100 000 packages, 20 ms at 1 000 000). PostgreSQL has it already.
        Migration(id: 8, name: "IndexRepositoryURLsByPackage", sql: """
            CREATE INDEX IF NOT EXISTS repository_urls_by_package ON repository_urls(package_key);
            """),
        // Rendered read responses (``StoredResponseStore``). Triggers, not the store's methods, keep
        // them valid: any write to a package's rows, by any code or process, bumps the epoch and
        // deletes the package's responses in the writing transaction.
        Migration(id: 9, name: "StoredResponses", sql: """
            CREATE TABLE read_epoch (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
            INSERT INTO read_epoch (id, n) VALUES (1, 0);
            CREATE TABLE read_documents (
                id INTEGER PRIMARY KEY,          -- 63-bit FNV-1a of package_key, NUL, path
                package_key TEXT NOT NULL,
                path TEXT NOT NULL,
                base TEXT NOT NULL,
                headers BLOB NOT NULL,
                body BLOB NOT NULL
            );
            CREATE INDEX read_documents_by_package ON read_documents(package_key);
            """ + readDocumentTriggers(bump: "UPDATE read_epoch SET n = n + 1;")),
        // One epoch per package instead of one for the whole registry: under constant publishing a
        // render of package A was refused because package B changed meanwhile. The triggers are
        // replaced; stored responses stay valid (the old triggers deleted each changed package's). A
        // package without a row has epoch 0: the next change to it writes 1.
        Migration(id: 10, name: "StoredResponsesPerPackageEpoch", sql: """
            CREATE TABLE read_package_epochs (package_key TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
            """ + readDocumentTriggerNames.map { "DROP TRIGGER \($0);" }.joined(separator: "\n") + """

            DROP TABLE read_epoch;
            """ + readDocumentTriggers(bump: nil)),
        // Claims that keep a removal and a publish of the same archive bytes from overlapping
        // (``PackagePolicyStore/claimArchive(checksum:for:holder:at:expiresAt:)``).
        Migration(id: 11, name: "ArchiveClaims", sql: """
            CREATE TABLE archive_claims (
                checksum TEXT NOT NULL,
                holder TEXT NOT NULL,
                purpose TEXT NOT NULL,           -- publish | removal
                expires_at INTEGER NOT NULL,
                PRIMARY KEY (checksum, holder)
            );
            """),
    ]

    static let readDocumentTables = [
        ("packages", "key"), ("releases", "package_key"), ("manifests", "package_key"), ("release_yanks", "package_key"), ("tombstones", "package_key"),
    ]
    static let readDocumentEvents = [("INSERT", ["NEW"]), ("UPDATE", ["OLD", "NEW"]), ("DELETE", ["OLD"])]
    static var readDocumentTriggerNames: [String] {
        readDocumentTables.flatMap { table, _ in readDocumentEvents.map { event, _ in "read_documents_\(table)_\(event.lowercased())" } }
    }

    /// AFTER INSERT, UPDATE and DELETE on every table a package's read responses are made from: each
    /// bumps the package's epoch (`bump` nil) or the registry's single one (migration 9's `bump`), and
    /// deletes the package's stored responses.
    static func readDocumentTriggers(bump: String?) -> String {
        var sql = ""
        for (table, column) in readDocumentTables {
            for (event, rows) in readDocumentEvents {
                let statements = rows.map { row in
                    let bumpPackage = """
                        INSERT INTO read_package_epochs (package_key, n) VALUES (\(row).\(column), 1) \
                        ON CONFLICT (package_key) DO UPDATE SET n = n + 1;
                        """
                    return (bump == nil ? bumpPackage + " " : "") + "DELETE FROM read_documents WHERE package_key = \(row).\(column);"
                }.joined(separator: " ")
                sql += """

                    CREATE TRIGGER read_documents_\(table)_\(event.lowercased()) AFTER \(event) ON \(table) BEGIN
                        \(bump.map { $0 + " " } ?? "")\(statements)
                    END;
                    """
            }
        }
        return sql
    }
}
