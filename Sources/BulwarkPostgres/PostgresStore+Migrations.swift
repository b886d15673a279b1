import BulwarkCore
import BulwarkStorage
import Foundation
import Logging
import PostgresNIO

/// Which migrations a database has.
public struct PostgresMigrationStatus: Sendable, Equatable {
    /// Ids recorded in `schema_migrations`, ascending.
    public var applied: [Int]
    /// Known migrations not applied yet, in order.
    public var pending: [PostgresMigration]
    /// Applied ids this build doesn't know: the database was migrated by a newer Bulwark.
    public var unknown: [Int]

    public var isCurrent: Bool { pending.isEmpty && unknown.isEmpty }
}

extension PostgresStore {
    /// Applies every pending migration and returns the ones it applied (empty when the schema was
    /// current). All of them run in one transaction that first takes an advisory lock, so several
    /// instances starting at once apply each migration exactly once: the others wait for the lock,
    /// then find nothing to do. A failing migration leaves the database as it was. A database that
    /// a newer Bulwark migrated is refused (`.conflict`) and left alone. The URL's `schema` is
    /// created first if it doesn't exist.
    @discardableResult
    public func migrate() async throws -> [PostgresMigration] {
        let logger = logger
        let schema = url.schema
        do {
            try await untilRunning()
            if let preparation { try await preparation.value }
            return try await Self.withConnection(client: client, timeout: .seconds(url.connectTimeoutSeconds)) { connection in
                try await Self.migrate(on: connection, creatingSchema: schema, logger: logger)
            }
        } catch {
            throw Self.mapError(error, url: url)
        }
    }

    /// Applies pending migrations with `client` (for a ``PostgresStore`` `preparing` closure, which
    /// runs before the store's own operations can).
    @discardableResult
    public static func migrate(client: PostgresClient, logger: Logger, timeout: Duration = .seconds(30)) async throws -> [PostgresMigration] {
        try await withConnection(client: client, timeout: timeout) { connection in
            try await migrate(on: connection, creatingSchema: nil, logger: logger)
        }
    }

    /// The database's migration status; changes nothing.
    public func migrationStatus() async throws -> PostgresMigrationStatus {
        let logger = logger
        return try await withConnection { connection in
            let exists = try await connection.all("SELECT to_regclass('schema_migrations') IS NOT NULL", logger).first?.decode(Bool.self) ?? false
            let applied = exists ? try await Self.appliedIDs(on: connection, logger: logger) : []
            return Self.status(applied: applied)
        }
    }

    /// Throws an `.unavailable` ``BulwarkError`` that says what to do unless the schema is current
    /// (for start-up without automatic migration, and readiness checks).
    public func requireCurrentSchema() async throws {
        let status = try await migrationStatus()
        if !status.unknown.isEmpty {
            throw BulwarkError(.unavailable, Self.newerSchemaMessage(status.unknown))
        }
        if !status.pending.isEmpty {
            let names = status.pending.map { "\($0.id) \($0.name)" }.joined(separator: ", ")
            throw BulwarkError(
                .unavailable,
                "the database needs migrations (\(names)): run `bulwark admin migrate --database-url …`, or start `bulwark serve` without --no-migrate"
            )
        }
    }

    static func migrate(on connection: PostgresConnection, creatingSchema schema: String?, logger: Logger) async throws -> [PostgresMigration] {
        try await connection.all("BEGIN", logger)
        do {
            if let schema, PostgresURL.isValidSchemaName(schema) {
                // Serialise creators of a missing schema (current_schema() is NULL until it exists).
                try await connection.all("SELECT pg_advisory_xact_lock(\(LockSpace.migrations.rawValue), 0)", logger)
                let exists = try await connection.all("SELECT 1 FROM pg_namespace WHERE nspname = \(schema)", logger)
                if exists.isEmpty {
                    // The name is checked (lower-case letters, digits, underscores), so it can be spliced in.
                    try await connection.all(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"), logger)
                }
            }
            // One lock per schema, so tests that give each store its own schema don't wait for
            // each other; instances sharing a schema are serialised.
            try await connection.all(
                "SELECT pg_advisory_xact_lock(\(LockSpace.migrations.rawValue), hashtext(coalesce(current_schema(), '')))", logger
            )
            try await connection.all("""
                CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)
                """, logger)
            let status = status(applied: try await appliedIDs(on: connection, logger: logger))
            guard status.unknown.isEmpty else { throw BulwarkError.conflict(newerSchemaMessage(status.unknown)) }
            for migration in status.pending {
                for statement in migration.statements {
                    try await connection.all(PostgresQuery(unsafeSQL: statement), logger)
                }
                try await connection.all("""
                    INSERT INTO schema_migrations (id, name, applied_at) VALUES (\(migration.id), \(migration.name), \(seconds(Date())))
                    """, logger)
            }
            try await connection.all("COMMIT", logger)
            for migration in status.pending { logger.info("applied PostgreSQL migration \(migration.id) \(migration.name)") }
            return status.pending
        } catch {
            _ = try? await connection.all("ROLLBACK", logger)
            throw error
        }
    }

    private static func appliedIDs(on connection: PostgresConnection, logger: Logger) async throws -> [Int] {
        try await connection.all("SELECT id FROM schema_migrations ORDER BY id", logger).map { Int(try $0.decode(Int32.self)) }
    }

    static func status(applied: [Int]) -> PostgresMigrationStatus {
        let known = Set(PostgresMigrations.all.map(\.id))
        let done = Set(applied)
        return PostgresMigrationStatus(
            applied: applied.sorted(),
            pending: PostgresMigrations.all.filter { !done.contains($0.id) },
            unknown: applied.filter { !known.contains($0) }.sorted()
        )
    }

    private static func newerSchemaMessage(_ unknown: [Int]) -> String {
        "the database has migrations this Bulwark doesn't know (\(unknown.map(String.init).joined(separator: ", "))): it was migrated by a newer version; run that version"
    }
}

/// `/readyz`: the database answers (within the connect timeout) and its schema is current.
extension PostgresStore: ReadinessCheck {
    public var readinessName: String { "database" }

    public func checkReadiness() async throws {
        try await requireCurrentSchema()
    }
}

extension Storage {
    /// Every store on the PostgreSQL database at `url`, with `blobs` for the archives.
    ///
    /// With `migrate` (what `bulwark serve` does by default) pending migrations are applied under
    /// the advisory lock first; without it, a schema that isn't current is refused with a message
    /// that says to run `bulwark admin migrate`. Either way the database is reached before this
    /// returns, so a wrong URL or password fails here.
    public static func postgres(url: String, blobs: any BlobStore, logger: Logger, migrate: Bool = true) async throws -> Storage {
        let store = try PostgresStore(url: try PostgresURL(url), logger: logger)
        if migrate { try await store.migrate() } else { try await store.requireCurrentSchema() }
        return Storage(postgres: store, blobs: blobs)
    }

    /// Every store on `store`.
    public init(postgres store: PostgresStore, blobs: any BlobStore) {
        self.init(
            releases: store, accounts: store, tokens: store, security: store, scopes: store, policies: store, blobs: blobs,
            lifecycle: store, maintainers: store
        )
        readiness = [store]
        if let blobs = blobs as? any ReadinessCheck { readiness.append(blobs) }
    }
}
