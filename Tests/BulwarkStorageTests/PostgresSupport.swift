import BulwarkCore
import BulwarkPostgres
import BulwarkStorage
import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL server the conformance suites run against: `BULWARK_TEST_POSTGRES_URL`, e.g.
/// `postgres://postgres@127.0.0.1:5432/postgres` (`scripts/pg-throwaway.sh start DIR` prints one).
/// Unset, the `.postgres` backend is left out of `Backend.allCases` (and `PostgresSetupTests`
/// says so, or fails when `BULWARK_E2E_REQUIRED=1`).
///
/// Every store gets a schema of its own (`test_<random>`, as the URL's `schema`), created and
/// migrated by the store's `preparing` step before its first operation: an isolated, empty
/// database per test without the cost of CREATE DATABASE. The schemas stay behind; the server is
/// meant to be thrown away.
enum PostgresTestDatabase {
    static let url: String? = {
        guard let value = ProcessInfo.processInfo.environment["BULWARK_TEST_POSTGRES_URL"], !value.isEmpty else { return nil }
        return value
    }()

    static let required = ProcessInfo.processInfo.environment["BULWARK_E2E_REQUIRED"] == "1"

    static let logger: Logger = {
        var logger = Logger(label: "bulwark.postgres.test")
        logger.logLevel = .warning
        return logger
    }()

    struct NotConfigured: Error, CustomStringConvertible {
        var description: String { "BULWARK_TEST_POSTGRES_URL is not set" }
    }

    /// The configured URL pointing at a new, unique schema name (not created yet).
    static func freshURL(maximumConnections: Int = 8) throws -> PostgresURL {
        guard let url else { throw NotConfigured() }
        var parsed = try PostgresURL(url)
        parsed.schema = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        parsed.maximumConnections = maximumConnections
        return parsed
    }

    /// A store on a new schema, created and migrated before its first operation.
    static func makeStore(maximumConnections: Int = 8) throws -> PostgresStore {
        try makeStore(url: try freshURL(maximumConnections: maximumConnections), migrate: true)
    }

    /// A store on `url`'s schema, which is created (if missing) before the first operation;
    /// migrated too with `migrate`.
    static func makeStore(url: PostgresURL, migrate: Bool) throws -> PostgresStore {
        guard let schema = url.schema, PostgresURL.isValidSchemaName(schema) else { throw NotConfigured() }
        return try PostgresStore(url: url, logger: logger) { client, logger in
            // The name is checked above (letters, digits, underscores), so it can be spliced in.
            try await client.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)"), logger: logger).collect()
            if migrate { try await PostgresStore.migrate(client: client, logger: logger) }
        }
    }

    static func makeStorage(blobDirectory: URL) throws -> Storage {
        Storage(postgres: try makeStore(), blobs: try FileBlobStore(root: blobDirectory))
    }
}
