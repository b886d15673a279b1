import ArgumentParser
import BulwarkCore
import BulwarkPostgres
import BulwarkStorage
import Foundation
import Logging

extension StorageOptions {
    /// `--database-url`, or else `BULWARK_DATABASE_URL` from the environment (which keeps a
    /// password out of the process list).
    var resolvedDatabaseURL: String? {
        if let databaseURL, !databaseURL.isEmpty { return databaseURL }
        if let value = ProcessInfo.processInfo.environment["BULWARK_DATABASE_URL"], !value.isEmpty { return value }
        return nil
    }

    /// The stores these options select: PostgreSQL with a database URL (archives in
    /// `DATA-DIR/blobs`), else the embedded SQLite database in `DATA-DIR`; `--s3-*` moves the
    /// archives to a bucket either way. PostgreSQL's pending migrations are applied first (under
    /// the advisory lock) when `migrate` is set, else a schema that isn't current is refused.
    /// Anything wrong ends the command with a one-line error.
    func open(logger: Logger, migrate: Bool = true, checkBlobs: Bool = true) async throws -> Storage {
        let dataDirectory = URL(fileURLWithPath: dataDir)
        var stores: Storage
        if let url = resolvedDatabaseURL {
            stores = try await failAsync {
                let redacted = try PostgresURL(url).redacted
                let blobs = try FileBlobStore(root: dataDirectory.appendingPathComponent("blobs"))
                return try await naming(redacted) { try await Storage.postgres(url: url, blobs: blobs, logger: logger, migrate: migrate) }
            }
        } else {
            stores = try fail { try Storage.embedded(dataDirectory: dataDirectory) }
        }
        stores = try fail { try s3.applied(to: stores, dataDirectory: dataDir) }
        if checkBlobs { try await s3.checkAtStart(stores) }
        return stores
    }
}

/// `bulwark admin migrate`: brings the database schema up to date (or, with `--check`, only says
/// whether it is). `serve` applies pending migrations itself unless started with `--no-migrate`;
/// this is for operators who migrate as a separate deployment step.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations (PostgreSQL with --database-url, else the embedded SQLite database)."
    )

    @Flag(help: "Only report the schema's state; exit 1 if migrations are pending.") var check = false
    @OptionGroup var storage: StorageOptions

    func run() async throws {
        var logger = Logger(label: "bulwark.migrate")
        logger.logLevel = .warning
        guard let url = storage.resolvedDatabaseURL else {
            // SQLite applies its migrations whenever the file is opened (one writer, in a transaction each).
            _ = try fail { try Storage.embedded(dataDirectory: URL(fileURLWithPath: storage.dataDir)) }
            print("the SQLite database in \(storage.dataDir) is up to date")
            return
        }
        let store = try fail { try PostgresStore(url: try PostgresURL(url), logger: logger) }
        defer { store.shutdown() }
        if check {
            let status = try await failAsync { try await naming(store.url.redacted) { try await store.migrationStatus() } }
            if !status.unknown.isEmpty {
                FileHandle.standardError.write(Data(
                    "error: \(store.url.redacted) has migrations this Bulwark doesn't know (\(status.unknown.map(String.init).joined(separator: ", "))): it was migrated by a newer version\n".utf8
                ))
                throw ExitCode.failure
            }
            if status.pending.isEmpty {
                print("\(store.url.redacted) is up to date (migration \(status.applied.last ?? 0))")
                return
            }
            print("\(store.url.redacted) has \(status.pending.count) pending migration(s):")
            for migration in status.pending { print("  \(migration.id) \(migration.name)") }
            throw ExitCode.failure
        }
        let applied = try await failAsync { try await naming(store.url.redacted) { try await store.migrate() } }
        if applied.isEmpty {
            print("\(store.url.redacted) was up to date")
        } else {
            for migration in applied { print("applied \(migration.id) \(migration.name)") }
            print("\(store.url.redacted) is up to date (migration \(applied.last!.id))")
        }
    }
}

/// Runs `body`, adding the database (URL without its password) to a ``BulwarkError``'s message:
/// the store's own messages leave it out because they can reach HTTP clients.
func naming<T>(_ database: String, _ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch let error as BulwarkError {
        throw BulwarkError(error.kind, "\(error.detail) [\(database)]")
    }
}
