import BulwarkCore
import BulwarkStorage
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Every store protocol of `BulwarkStorage` on PostgreSQL, for several server instances sharing
/// one database. Semantics match ``SQLiteStore`` (the conformance suites run against both); every
/// replay guard and every "exactly one wins" operation is one SQL statement or one transaction
/// that holds across connections and instances (see each method).
///
/// Connections come from a `PostgresClient` pool. Its `run()` task is started by the store when
/// it is created and cancelled when the store is deallocated (or ``shutdown()`` is called), so a
/// store is usable as soon as it exists and owns its connections: nothing else has to run a
/// service for it, and tests that make hundreds of stores don't leak connections.
///
/// Waiting for a connection is bounded by the URL's `connect_timeout`: when the database is
/// unreachable an operation fails with an `.unavailable` ``BulwarkError`` (HTTP 503) instead of
/// hanging, and works again by itself once the database is back.
public final class PostgresStore: Sendable {
    public let url: PostgresURL
    let client: PostgresClient
    let logger: Logger
    private let runner: Task<Void, Never>
    /// Set just before the pool's `run()` starts: a lease asked for earlier makes PostgresNIO log
    /// a warning (which the CLI would print next to its one-line answer).
    private let running: LeaseFlag
    /// Work that must finish before the first operation (tests create their schema here).
    let preparation: Task<Void, any Error>?

    /// Creates the store and starts its connection pool. Nothing connects until the first
    /// operation; call ``migrate()`` or ``migrationStatus()`` to check the database.
    ///
    /// - Parameter preparing: runs once, before any operation, with the store's client (for
    ///   example to create a schema and apply migrations); operations wait for it and fail with
    ///   its error if it fails.
    public init(url: PostgresURL, logger: Logger, preparing: (@Sendable (PostgresClient, Logger) async throws -> Void)? = nil) throws {
        self.url = url
        self.logger = logger
        // The pool logs every failed connection attempt at info; those failures already surface
        // as 503s and in /readyz, so its background log starts at notice unless debugging.
        var backgroundLogger = logger
        if backgroundLogger.logLevel > .debug { backgroundLogger.logLevel = max(backgroundLogger.logLevel, .notice) }
        let client = PostgresClient(configuration: try url.clientConfiguration(), backgroundLogger: backgroundLogger)
        self.client = client
        let running = LeaseFlag()
        self.running = running
        runner = Task {
            running.set()
            await client.run()
        }
        if let preparing {
            preparation = Task { try await preparing(client, logger) }
        } else {
            preparation = nil
        }
    }

    /// Parses the URL and creates the store.
    public convenience init(url: String, logger: Logger) throws {
        try self.init(url: try PostgresURL(url), logger: logger)
    }

    deinit {
        preparation?.cancel()
        runner.cancel()
    }

    /// Closes the pool's connections; the store can't be used afterwards.
    public func shutdown() {
        preparation?.cancel()
        runner.cancel()
    }

    // MARK: Running SQL

    /// Waits until the pool's task has started `run()` (normally at once; bounded, just in case).
    func untilRunning() async throws {
        guard !running.isSet else { return }
        for _ in 0..<1_000 where !running.isSet { try await Task.sleep(for: .milliseconds(1)) }
        try await Task.sleep(for: .milliseconds(1))
    }

    /// Runs `body` with a pooled connection, mapping driver errors to ``BulwarkError``.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        do {
            try await untilRunning()
            if let preparation { try await preparation.value }
            return try await Self.withConnection(client: client, timeout: .seconds(url.connectTimeoutSeconds), body)
        } catch {
            throw Self.mapError(error, url: url)
        }
    }

    /// Leases a connection, giving up with `.unavailable` if none comes within `timeout` (the
    /// pool keeps trying to connect for far longer). Once leased, the work is not timed.
    static func withConnection<T: Sendable>(
        client: PostgresClient, timeout: Duration, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let leased = LeaseFlag()
        return try await withThrowingTaskGroup(of: LeaseOutcome<T>.self) { group in
            group.addTask {
                try await client.withConnection { connection in
                    leased.set()
                    return LeaseOutcome.value(try await body(connection))
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                guard leased.isSet else { throw DatabaseUnreachable() }
                return .timerExpiredAfterLease
            }
            while let outcome = try await group.next() {
                if case .value(let value) = outcome {
                    group.cancelAll()
                    return value
                }
            }
            throw DatabaseUnreachable()
        }
    }

    /// Runs `body` in a transaction (READ COMMITTED), committing if it returns and rolling back if
    /// it throws. A serialization failure or deadlock is retried a few times.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let logger = logger
        return try await withConnection { connection in
            var attempt = 0
            while true {
                attempt += 1
                _ = try await connection.query("BEGIN", logger: logger).collect()
                do {
                    let value = try await body(connection)
                    _ = try await connection.query("COMMIT", logger: logger).collect()
                    return value
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger).collect()
                    if attempt < 5, Self.isRetryable(error) { continue }
                    throw error
                }
            }
        }
    }

    /// Runs one statement (operators' tools and tests; the stores use their own methods).
    public func execute(_ query: PostgresQuery) async throws {
        try await rows(query)
    }

    /// Runs one statement on a pooled connection and returns all its rows.
    @discardableResult
    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        let logger = logger
        return try await withConnection { connection in try await connection.query(query, logger: logger).collect() }
    }

    // MARK: Errors

    struct DatabaseUnreachable: Error {}

    /// A unique, foreign-key or check constraint was violated (SQLSTATE class 23). Methods where
    /// that means "exists already" catch it and throw a `.conflict` with their own words.
    struct ConstraintViolation: Error, CustomStringConvertible {
        let sqlState: String
        let message: String
        var description: String { "constraint violation (SQLSTATE \(sqlState)): \(message)" }
    }

    /// The SQLSTATE of a server error, if it is one.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// A unique, foreign-key or check constraint was violated (SQLSTATE class 23), as the driver
    /// reports it or as ``mapError(_:url:)`` passes it on.
    static func isConstraintViolation(_ error: any Error) -> Bool {
        error is ConstraintViolation || (sqlState(error)?.hasPrefix("23") ?? false)
    }

    static func isRetryable(_ error: any Error) -> Bool {
        ["40001", "40P01"].contains(sqlState(error) ?? "")
    }

    /// Turns a driver error into a ``BulwarkError`` whose detail names no secret and no address
    /// (it may reach HTTP clients): the SQLSTATE and the server's message (which names objects,
    /// not values), never bound parameters.
    static func mapError(_ error: any Error, url: PostgresURL) -> any Error {
        switch error {
        case let error as BulwarkError: return error
        case is CancellationError, is ConstraintViolation: return error
        case is DatabaseUnreachable:
            return BulwarkError(.unavailable, "the database is unreachable (no connection within \(url.connectTimeoutSeconds) s)")
        case let error as PSQLError:
            switch error.code {
            case .server:
                let state = error.serverInfo?[.sqlState] ?? "?"
                let message = error.serverInfo?[.message] ?? "no message"
                // Class 08: connection exception; 57P0x: the server is shutting down or restarting.
                if state.hasPrefix("08") || state.hasPrefix("57P") {
                    return BulwarkError(.unavailable, "the database is unavailable (SQLSTATE \(state): \(message))")
                }
                if state.hasPrefix("23") { return ConstraintViolation(sqlState: state, message: message) }
                if state == "28P01" || state == "28000" {
                    return BulwarkError(.unavailable, "the database refused the credentials (SQLSTATE \(state): \(message))")
                }
                return BulwarkError.internalError("database error (SQLSTATE \(state)): \(message)")
            case .queryCancelled:
                return CancellationError()
            default:
                return BulwarkError(.unavailable, "the database is unavailable (\(error.code))")
            }
        default:
            // Connection pool and socket errors (refused, reset, circuit breaker tripped, TLS).
            return BulwarkError(.unavailable, "the database is unavailable (\(String(describing: type(of: error))))")
        }
    }

    // MARK: Values

    /// Dates are whole seconds since 1970, rounded down, as in SQLite.
    static func seconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }
    static func seconds(_ date: Date?) -> Int64? { date.map(seconds) }
    static func date(_ seconds: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(seconds)) }
    static func date(_ seconds: Int64?) -> Date? { seconds.map(date) }
    static func data(_ bytes: [UInt8]?) -> Data? { bytes.map { Data($0) } }
}

/// Whether a connection was leased, shared by the lease and its timer.
final class LeaseFlag: Sendable {
    private let state = Mutex(false)
    func set() { state.withLock { $0 = true } }
    var isSet: Bool { state.withLock { $0 } }
}

enum LeaseOutcome<T: Sendable>: Sendable {
    case value(T)
    case timerExpiredAfterLease
}

extension PostgresConnection {
    /// Runs one statement and returns all its rows (reading them all also surfaces any error).
    @discardableResult
    func all(_ query: PostgresQuery, _ logger: Logger) async throws -> [PostgresRow] {
        try await self.query(query, logger: logger).collect()
    }
}

/// A lower-cased key for case-insensitive comparisons, the same as the SQLite store's.
extension String {
    var key: String { lowercased() }
}
