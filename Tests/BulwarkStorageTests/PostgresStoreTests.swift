import BulwarkCore
import BulwarkPostgres
import BulwarkStorage
import Foundation
import PostgresNIO
import Testing

/// Whether the PostgreSQL backend runs at all, made visible: without `BULWARK_TEST_POSTGRES_URL`
/// this test is skipped with a note (and `.postgres` is absent from the conformance suites);
/// under `BULWARK_E2E_REQUIRED=1` (scripts/test, CI) it fails instead.
@Suite struct PostgresSetupTests {
    @Test(
        "PostgreSQL backend is configured and reachable",
        .enabled(
            if: PostgresTestDatabase.url != nil || PostgresTestDatabase.required,
            "PostgreSQL not configured (BULWARK_TEST_POSTGRES_URL unset): the .postgres conformance cases don't run"
        )
    )
    func postgresIsConfiguredAndReachable() async throws {
        guard PostgresTestDatabase.url != nil else {
            Issue.record(
                "PostgreSQL is required (BULWARK_E2E_REQUIRED=1) but BULWARK_TEST_POSTGRES_URL is not set: start one with scripts/pg-throwaway.sh start DIR and export the URL it prints"
            )
            return
        }
        #expect(Backend.allCases.contains(.postgres))
        let store = try PostgresTestDatabase.makeStore(url: try PostgresTestDatabase.freshURL(), migrate: false)
        let status = try await store.migrationStatus()
        #expect(status.applied.isEmpty)
        #expect(status.pending == PostgresMigrations.all)
    }
}

@Suite struct PostgresURLTests {
    @Test func aFullURLIsParsed() throws {
        let url = try PostgresURL("postgres://bulwark:s%40cret@db.example:6543/registry?sslmode=require&schema=bw&pool_max=25&connect_timeout=3")
        #expect(url.host == "db.example")
        #expect(url.port == 6543)
        #expect(url.username == "bulwark")
        #expect(url.password == "s@cret")
        #expect(url.database == "registry")
        #expect(url.tlsMode == .require)
        #expect(url.schema == "bw")
        #expect(url.maximumConnections == 25)
        #expect(url.connectTimeoutSeconds == 3)
        #expect(url.redacted == "postgres://bulwark:***@db.example:6543/registry?schema=bw")
        #expect(!url.redacted.contains("cret"))
    }

    @Test func defaultsRequireTLSExceptOnLoopback() throws {
        let remote = try PostgresURL("postgresql://u@db.internal/bulwark")
        #expect(remote.tlsMode == .require)
        #expect(remote.port == 5432)
        #expect(remote.maximumConnections == PostgresURL.defaultMaximumConnections)
        #expect(remote.connectTimeoutSeconds == PostgresURL.defaultConnectTimeoutSeconds)
        for host in ["127.0.0.1", "localhost", "[::1]"] {
            #expect(try PostgresURL("postgres://u@\(host):5432/bulwark").tlsMode == .disable, "\(host)")
        }
        #expect(try PostgresURL("postgres://u@127.0.0.1/b?sslmode=require").tlsMode == .require)
        #expect(try PostgresURL("postgres://u@db.internal/b?sslmode=disable").tlsMode == .disable)
    }

    @Test(arguments: [
        ("mysql://u@h/db", "scheme"),
        ("postgres://h/db", "no user"),
        ("postgres://u@h", "no database"),
        ("postgres://u@h/", "no database"),
        ("postgres://u@h/db?sslmode=prefer", "fall back"),
        ("postgres://u@h/db?sslmode=allow", "fall back"),
        ("postgres://u@h/db?sslmode=maybe", "unknown sslmode"),
        ("postgres://u@h/db?pool_max=0", "pool_max"),
        ("postgres://u@h/db?pool_max=1001", "pool_max"),
        ("postgres://u@h/db?pool_max=ten", "pool_max"),
        ("postgres://u@h/db?connect_timeout=0", "connect_timeout"),
        ("postgres://u@h/db?connect_timeout=601", "connect_timeout"),
        ("postgres://u@h/db?schema=Bad-Name", "schema"),
        ("postgres://u@h/db?schema=x;drop", "schema"),
        ("postgres://u@h/db?color=blue", "unknown parameter"),
        ("postgres://u@h/db?schema=a&schema=b", "twice"),
        ("postgres://u@h/db?sslmode=disable&sslrootcert=/tmp/ca.pem", "needs TLS"),
    ])
    func badURLsAreRefusedWithAReason(url: String, reason: String) {
        do {
            _ = try PostgresURL(url)
            Issue.record("\(url) was accepted")
        } catch let error as BulwarkError {
            #expect(error.kind == .badRequest)
            #expect(error.detail.contains("invalid database URL"))
            #expect(error.detail.contains(reason), "\(error.detail)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func theLimitsAtTheEdgesOfTheirRangesAreAccepted() throws {
        #expect(try PostgresURL("postgres://u@h/db?pool_max=1").maximumConnections == 1)
        #expect(try PostgresURL("postgres://u@h/db?pool_max=1000").maximumConnections == 1000)
        #expect(try PostgresURL("postgres://u@h/db?connect_timeout=1").connectTimeoutSeconds == 1)
        #expect(try PostgresURL("postgres://u@h/db?connect_timeout=600").connectTimeoutSeconds == 600)
        #expect(PostgresURL.isValidSchemaName("a" + String(repeating: "b", count: 62)))
        #expect(!PostgresURL.isValidSchemaName("a" + String(repeating: "b", count: 63)))
        #expect(!PostgresURL.isValidSchemaName("1abc"))
        #expect(!PostgresURL.isValidSchemaName(""))
    }
}

/// An unreachable database: operations fail promptly with 503-style errors that name the URL
/// without its password, instead of hanging.
@Suite struct PostgresUnavailableTests {
    @Test func anUnreachableDatabaseIsUnavailableWithinTheConnectTimeout() async throws {
        // Port 1 on loopback: nothing listens, connections are refused at once.
        let store = try PostgresStore(url: "postgres://bulwark:hunter2@127.0.0.1:1/bulwark?connect_timeout=1", logger: PostgresTestDatabase.logger)
        let started = ContinuousClock.now
        do {
            _ = try await store.account(named: "alice")
            Issue.record("expected the database to be unavailable")
        } catch let error as BulwarkError {
            #expect(error.kind == .unavailable)
            #expect(error.httpStatus == 503)
            #expect(error.detail.contains("unreachable"))
            // Nothing about the connection reaches clients: no password, no address.
            #expect(!error.detail.contains("hunter2"))
            #expect(!error.detail.contains("127.0.0.1"))
        }
        // It fails rather than hangs (a generous bound: CI machines are shared and slow).
        #expect(ContinuousClock.now - started < .seconds(60))
        await #expect(throws: BulwarkError.self) { try await store.migrate() }
        await #expect(throws: BulwarkError.self) {
            _ = try await Storage.postgres(
                url: "postgres://bulwark@127.0.0.1:1/bulwark?connect_timeout=1",
                blobs: try FileBlobStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("pg-\(UUID().uuidString)")),
                logger: PostgresTestDatabase.logger
            )
        }
    }
}

/// Migrations and behaviour across several instances (stores with their own pools) sharing one
/// database. Runs only when PostgreSQL is configured.
@Suite(.enabled(if: PostgresTestDatabase.url != nil, "PostgreSQL not configured (BULWARK_TEST_POSTGRES_URL)"))
struct PostgresStoreTests {
    @Test func migrationsApplyOnceAndAreRecorded() async throws {
        let url = try PostgresTestDatabase.freshURL()
        let store = try PostgresTestDatabase.makeStore(url: url, migrate: false)
        #expect(try await store.migrationStatus().pending.count == PostgresMigrations.all.count)
        await #expect(throws: BulwarkError.self) { try await store.requireCurrentSchema() }

        let applied = try await store.migrate()
        #expect(applied.map(\.id) == PostgresMigrations.all.map(\.id))
        #expect(try await store.migrate().isEmpty)
        let status = try await store.migrationStatus()
        #expect(status.isCurrent)
        #expect(status.applied == PostgresMigrations.all.map(\.id))
        try await store.requireCurrentSchema()
        try await store.checkReadiness()
        // The schema works.
        try await store.createAccount(Account(name: "alice", email: "a@example.com", passwordHash: nil, createdAt: Date()))
        #expect(try await store.account(named: "ALICE")?.name == "alice")
    }

    @Test func instancesStartingAtOnceApplyEachMigrationExactlyOnce() async throws {
        let url = try PostgresTestDatabase.freshURL()
        let first = try PostgresTestDatabase.makeStore(url: url, migrate: false)
        _ = try await first.migrationStatus()  // creates the schema
        let stores = try (0..<6).map { _ in try PostgresStore(url: url, logger: PostgresTestDatabase.logger) }
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for store in stores { group.addTask { try await store.migrate().count } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(counts.sorted() == [0, 0, 0, 0, 0, PostgresMigrations.all.count])
        #expect(try await first.migrationStatus().applied == PostgresMigrations.all.map(\.id))
    }

    @Test func aSchemaFromANewerVersionIsRefusedAndLeftAlone() async throws {
        let url = try PostgresTestDatabase.freshURL()
        let store = try PostgresTestDatabase.makeStore(url: url, migrate: true)
        _ = try await store.migrate()
        let admin = try PostgresStore(url: url, logger: PostgresTestDatabase.logger)
        try await admin.execute("INSERT INTO schema_migrations (id, name, applied_at) VALUES (9999, 'FromTheFuture', 0)")
        do {
            try await store.migrate()
            Issue.record("expected a refusal")
        } catch let error as BulwarkError {
            #expect(error.kind == .conflict)
            #expect(error.detail.contains("9999"))
            #expect(error.detail.contains("newer"))
        }
        let status = try await store.migrationStatus()
        #expect(status.unknown == [9999])
        #expect(!status.isCurrent)
        await #expect(throws: BulwarkError.self) { try await store.requireCurrentSchema() }
    }

    @Test func storageRefusesAnUnmigratedDatabaseWhenNotToldToMigrate() async throws {
        let url = try PostgresTestDatabase.freshURL()
        _ = try await PostgresTestDatabase.makeStore(url: url, migrate: false).migrationStatus()
        let blobs = try FileBlobStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("pg-\(UUID().uuidString)"))
        let urlString = try #require(PostgresTestDatabase.url) + (PostgresTestDatabase.url!.contains("?") ? "&" : "?") + "schema=\(url.schema!)"
        do {
            _ = try await Storage.postgres(url: urlString, blobs: blobs, logger: PostgresTestDatabase.logger, migrate: false)
            Issue.record("expected a refusal")
        } catch let error as BulwarkError {
            #expect(error.kind == .unavailable)
            #expect(error.detail.contains("bulwark admin migrate"))
        }
        let storage = try await Storage.postgres(url: urlString, blobs: blobs, logger: PostgresTestDatabase.logger, migrate: true)
        #expect(try await storage.accounts.account(named: "nobody") == nil)
        _ = try await Storage.postgres(url: urlString, blobs: blobs, logger: PostgresTestDatabase.logger, migrate: false)
    }

    /// Three instances with their own connection pools, one database: 50 concurrent inserts of
    /// one version (different build metadata) store exactly one.
    @Test func fiftyConcurrentInsertsOfOneVersionAcrossInstancesStoreExactlyOne() async throws {
        let url = try PostgresTestDatabase.freshURL(maximumConnections: 10)
        let first = try PostgresTestDatabase.makeStore(url: url, migrate: true)
        _ = try await first.migrate()
        let instances = [first, try PostgresStore(url: url, logger: PostgresTestDatabase.logger), try PostgresStore(url: url, logger: PostgresTestDatabase.logger)]
        let outcomes = await withTaskGroup(of: String.self) { group in
            for i in 0..<50 {
                let store = instances[i % instances.count]
                group.addTask {
                    do {
                        try await store.insert(try makeRelease("race.pkg", "1.0.0+\(i)"))
                        return "ok"
                    } catch let error as BulwarkError {
                        return error.kind == .conflict ? "conflict" : "other: \(error)"
                    } catch {
                        return "other: \(error)"
                    }
                }
            }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == "ok" }.count == 1)
        #expect(outcomes.filter { $0 == "conflict" }.count == 49, "\(outcomes.filter { $0.hasPrefix("other") })")
        #expect(try await instances[2].releases(of: try PackageIdentifier("race.pkg")).count == 1)
    }

    /// A code accepted on one instance is a replay on another; a challenge is taken once.
    @Test func replayGuardsHoldAcrossInstances() async throws {
        let url = try PostgresTestDatabase.freshURL()
        let a = try PostgresTestDatabase.makeStore(url: url, migrate: true)
        _ = try await a.migrate()
        let b = try PostgresStore(url: url, logger: PostgresTestDatabase.logger)
        try await a.saveTOTP(TOTPEnrolment(account: "alice", sealedSecret: [1], confirmed: false, lastUsedStep: nil, createdAt: Date()))
        #expect(try await b.confirmTOTP(account: "Alice", step: 100))
        #expect(try await a.advanceTOTPStep(account: "alice", to: 101))
        #expect(try await !b.advanceTOTPStep(account: "alice", to: 101))

        try await a.saveChallenge(ChallengeRecord(id: "c1", purpose: .authentication, bytes: [9], account: nil, expiresAt: Date().addingTimeInterval(60)))
        let takes = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<20 {
                let store = i.isMultiple(of: 2) ? a : b
                group.addTask { (try? await store.takeChallenge(id: "c1")) != nil }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(takes == 1)
    }

    /// A bad statement is an internal error that names the SQLSTATE, and the pool stays usable.
    @Test func driverErrorsBecomeBulwarkErrors() async throws {
        let store = try PostgresTestDatabase.makeStore()
        do {
            try await store.execute("SELECT * FROM no_such_table")
            Issue.record("expected an error")
        } catch let error as BulwarkError {
            #expect(error.kind == .internalError)
            #expect(error.detail.contains("42P01"))
        }
        #expect(try await store.account(named: "x") == nil)
    }
}
