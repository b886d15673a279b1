import BulwarkCore
import Foundation

extension SQLiteStore: TableDumping {
    public func dumpableTables() async throws -> [String] {
        // Creation order: the migrations create parents before the tables that refer to them.
        let rows = try connection.locked {
            try connection.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid")
        }
        return rows.compactMap { $0.first?.string }.filter { $0 != "schema_migrations" && !shortLivedTables.contains($0) }
    }

    public func dumpTable(_ name: String) async throws -> TableDump {
        let columns = try columnNames(of: name)
        let list = columns.map(Self.quoted).joined(separator: ", ")
        let rows = try connection.locked { try connection.query("SELECT \(list) FROM \(Self.quoted(name)) ORDER BY rowid") }
        return TableDump(name: name, columns: columns, rows: rows.map { row in
            row.map { value in
                switch value {
                case .null: .null
                case .integer(let v): .integer(v)
                case .text(let v): .text(v)
                case .blob(let v): .bytes(v)
                }
            }
        })
    }

    public func loadTables(_ tables: [TableDump]) async throws {
        let known = Set(try await dumpableTables())
        for table in tables {
            guard known.contains(table.name) else { throw BulwarkError.badRequest("the export has a table '\(table.name)' this database doesn't") }
            let columns = Set(try columnNames(of: table.name))
            if let unknown = table.columns.first(where: { !columns.contains($0) }) {
                throw BulwarkError.badRequest("the export's table \(table.name) has a column '\(unknown)' this database doesn't")
            }
        }
        try connection.transaction {
            for name in known {
                let count = try connection.query("SELECT count(*) FROM \(Self.quoted(name))").first?.first?.int ?? 0
                guard count == 0 else { throw BulwarkError.conflict("the database is not empty (table \(name) has rows): import into a new one") }
            }
            for table in tables where !table.rows.isEmpty {
                let sql = "INSERT INTO \(Self.quoted(table.name)) (\(table.columns.map(Self.quoted).joined(separator: ", "))) VALUES (\(table.columns.map { _ in "?" }.joined(separator: ", ")))"
                for row in table.rows {
                    try connection.query(sql, row.map { value -> SQLiteValue in
                        switch value {
                        case .null: .null
                        case .integer(let v): .integer(v)
                        case .bool(let v): .integer(v ? 1 : 0)
                        case .text(let v): .text(v)
                        case .bytes(let v): .blob(v)
                        }
                    })
                }
            }
        }
    }

    public func schemaVersion() async throws -> Int {
        let rows = try connection.locked { try connection.query("SELECT max(id) FROM schema_migrations") }
        return Int(rows.first?.first?.int ?? 0)
    }

    func columnNames(of table: String) throws -> [String] {
        let rows = try connection.locked { try connection.query("PRAGMA table_info(\(Self.quoted(table)))") }
        return rows.compactMap { $0.count > 1 ? $0[1].string : nil }
    }

    static func quoted(_ identifier: String) -> String { "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}
