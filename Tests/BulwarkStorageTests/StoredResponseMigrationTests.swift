import BulwarkCore
import Foundation
import Testing

@testable import BulwarkStorage

/// A data directory written by a version with one registry-wide epoch (schema 9) opens under the
/// per-package epochs (migration 10): its stored responses are still served, and the new triggers
/// invalidate them per package.
@Suite struct StoredResponseMigrationTests {
    @Test func aSchema9DatabaseKeepsItsStoredResponsesAndInvalidatesPerPackage() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-migrate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("bulwark.sqlite3").path
        do {
            // What the previous version left: migrations 1–9, two packages, a response of each.
            let old = try SQLiteConnection(path: path)
            try old.locked {
                try old.exec("CREATE TABLE schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)")
            }
            for migration in SQLiteMigrations.all where migration.id <= 9 {
                try old.transaction {
                    try old.exec(migration.sql)
                    try old.query("INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, 0)", [.integer(Int64(migration.id)), .text(migration.name)])
                }
            }
            try old.locked {
                try old.exec("""
                    INSERT INTO packages (key, scope, name, created_at) VALUES ('test.a', 'test', 'a', 0), ('test.b', 'test', 'b', 0);
                    INSERT INTO read_documents (id, package_key, path, base, headers, body) VALUES
                        (\(SQLiteStore.documentID(package: "test.a", path: "list/1")), 'test.a', 'list/1', 'base', x'', x'41'),
                        (\(SQLiteStore.documentID(package: "test.b", path: "list/1")), 'test.b', 'list/1', 'base', x'', x'42');
                    """)
                #expect(try old.query("SELECT n FROM read_epoch").first?.first?.int == 2)
            }
            old.close()
        }

        let store = try SQLiteStore(path: path)
        #expect(try store.storedResponseCount() == 2)
        #expect(try store.storedResponse(package: "test.a", path: "list/1", base: "base")?.body == [0x41])
        #expect(try store.epoch(package: "test.a") == 0)
        // A change to test.b: its response goes and its epoch moves; test.a's stay.
        try store.connection.locked { try store.connection.exec("UPDATE packages SET name = 'b' WHERE key = 'test.b'") }
        #expect(try store.epoch(package: "test.b") == 2)  // the UPDATE trigger bumps for OLD and NEW
        #expect(try store.storedResponse(package: "test.b", path: "list/1", base: "base") == nil)
        #expect(try store.storedResponse(package: "test.a", path: "list/1", base: "base")?.body == [0x42 - 1])
        #expect(try store.epoch(package: "test.a") == 0)
        let tables = try store.connection.locked { try store.connection.query("SELECT name FROM sqlite_master WHERE type = 'table'") }
        #expect(!tables.contains { $0.first?.string == "read_epoch" })
    }
}
