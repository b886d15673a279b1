import BulwarkCore
import BulwarkStorage
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// `bulwark admin export`/`import` on PostgreSQL. The schema mirrors SQLite's table for table and
/// column for column, except the `seq` identity columns that stand in for SQLite's `rowid`: they
/// are neither exported (rows are exported in `seq` order instead) nor imported (they number
/// the rows again in import order). Other identity columns (`id`) are imported as they were, with
/// their sequence moved past the largest value.
extension PostgresStore: TableDumping {
    struct Column: Sendable {
        let name: String
        let type: String
        let isIdentity: Bool
    }

    public func dumpableTables() async throws -> [String] {
        let logger = logger
        // Creation order (the migrations create parents first) is the order of the tables' oids.
        let rows = try await withConnection { connection in
            try await connection.all(
                "SELECT c.relname FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace ORDER BY c.oid",
                logger
            )
        }
        return try rows.map { try $0.decode(String.self) }.filter { $0 != "schema_migrations" && !shortLivedTables.contains($0) }
    }

    func columns(of table: String, on connection: PostgresConnection) async throws -> [Column] {
        let rows = try await connection.all(
            "SELECT column_name, data_type, is_identity FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = \(table) ORDER BY ordinal_position",
            logger
        )
        return try rows.map { row in
            let (name, type, identity) = try row.decode((String, String, String).self)
            return Column(name: name, type: type, isIdentity: identity == "YES")
        }
    }

    public func dumpTable(_ name: String) async throws -> TableDump {
        try await withConnection { connection in
            let all = try await self.columns(of: name, on: connection)
            guard !all.isEmpty else { throw BulwarkError.notFound("no table \(name)") }
            let exported = all.filter { !($0.isIdentity && $0.name == "seq") }
            let order = all.contains { $0.name == "seq" } ? " ORDER BY seq" : (all.contains { $0.name == "id" && $0.isIdentity } ? " ORDER BY id" : "")
            let sql = "SELECT \(exported.map { Self.quoted($0.name) }.joined(separator: ", ")) FROM \(Self.quoted(name))\(order)"
            let rows = try await connection.all(PostgresQuery(unsafeSQL: sql), self.logger)
            let values: [[DumpValue]] = try rows.map { row in
                try zip(row.makeRandomAccess(), exported).map { cell, column in try Self.value(cell, type: column.type) }
            }
            return TableDump(name: name, columns: exported.map(\.name), rows: values)
        }
    }

    static func value(_ cell: PostgresCell, type: String) throws -> DumpValue {
        guard cell.bytes != nil else { return .null }
        switch type {
        case "boolean": return .bool(try cell.decode(Bool.self))
        case "bigint", "integer", "smallint": return .integer(try cell.decode(Int64.self))
        case "bytea": return .bytes(Array(try cell.decode(ByteBuffer.self).readableBytesView))
        case "text", "character varying": return .text(try cell.decode(String.self))
        default: throw BulwarkError.internalError("column \(cell.columnName) has type \(type), which export doesn't know")
        }
    }

    public func loadTables(_ tables: [TableDump]) async throws {
        let known = try await dumpableTables()
        try await transaction { connection in
            for name in known {
                let rows = try await connection.all(PostgresQuery(unsafeSQL: "SELECT 1 FROM \(Self.quoted(name)) LIMIT 1"), self.logger)
                guard rows.isEmpty else { throw BulwarkError.conflict("the database is not empty (table \(name) has rows): import into a new one") }
            }
            for table in tables {
                guard known.contains(table.name) else { throw BulwarkError.badRequest("the export has a table '\(table.name)' this database doesn't") }
                let columns = try await self.columns(of: table.name, on: connection)
                var types: [String] = []
                for name in table.columns {
                    guard let column = columns.first(where: { $0.name == name }) else {
                        throw BulwarkError.badRequest("the export's table \(table.name) has a column '\(name)' this database doesn't")
                    }
                    types.append(column.type)
                }
                let identities = columns.filter { $0.isIdentity && table.columns.contains($0.name) }
                let overriding = identities.isEmpty ? "" : " OVERRIDING SYSTEM VALUE"
                let placeholders = (1...max(1, table.columns.count)).map { "$\($0)" }.joined(separator: ", ")
                let sql = "INSERT INTO \(Self.quoted(table.name)) (\(table.columns.map(Self.quoted).joined(separator: ", ")))\(overriding) VALUES (\(placeholders))"
                for row in table.rows {
                    var bindings = PostgresBindings(capacity: row.count)
                    for (value, type) in zip(row, types) { try Self.bind(value, type: type, into: &bindings) }
                    try await connection.all(PostgresQuery(unsafeSQL: sql, binds: bindings), self.logger)
                }
                for identity in identities {
                    try await connection.all(PostgresQuery(unsafeSQL: """
                        SELECT setval(pg_get_serial_sequence('\(Self.quoted(table.name))', '\(identity.name)'), \
                        coalesce((SELECT max(\(Self.quoted(identity.name))) FROM \(Self.quoted(table.name))), 0) + 1, false)
                        """), self.logger)
                }
            }
        }
    }

    static func bind(_ value: DumpValue, type: String, into bindings: inout PostgresBindings) throws {
        switch (value, type) {
        case (.null, _): bindings.appendNull()
        case (.integer(let v), "boolean"): bindings.append(v != 0)
        case (.bool(let v), "boolean"): bindings.append(v)
        case (.integer(let v), "bigint"), (.integer(let v), "integer"), (.integer(let v), "smallint"): bindings.append(v)
        case (.bool(let v), "bigint"), (.bool(let v), "integer"), (.bool(let v), "smallint"): bindings.append(Int64(v ? 1 : 0))
        case (.text(let v), "text"), (.text(let v), "character varying"): bindings.append(v)
        case (.bytes(let v), "bytea"): bindings.append(ByteBuffer(bytes: v))
        case (.text(let v), "bytea"): bindings.append(ByteBuffer(bytes: Array(v.utf8)))
        default: throw BulwarkError.badRequest("can't store \(value) in a \(type) column")
        }
    }

    public func schemaVersion() async throws -> Int {
        let status = try await migrationStatus()
        return status.applied.last ?? 0
    }

    static func quoted(_ identifier: String) -> String { "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}
