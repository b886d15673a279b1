import BulwarkCore
import Crypto
import Foundation
import NIOCore

/// One column value of a table row, as `bulwark admin export` writes it. The SQLite and PostgreSQL
/// schemas have the same tables and columns (dates as integer seconds, bytes as blobs); only flags
/// differ (SQLite integers, PostgreSQL booleans), and each backend converts on load.
public enum DumpValue: Sendable, Equatable, Codable {
    case null
    case integer(Int64)
    case bool(Bool)
    case text(String)
    case bytes([UInt8])

    // JSON: null, a number, true/false, a string, or {"base64": "…"} for bytes.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(String.self) {
            self = .text(value)
        } else {
            let object = try container.decode([String: String].self)
            guard let base64 = object["base64"], let data = Data(base64Encoded: base64) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected null, a number, a boolean, a string or {\"base64\": …}")
            }
            self = .bytes(Array(data))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .integer(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .text(let value): try container.encode(value)
        case .bytes(let value): try container.encode(["base64": Data(value).base64EncodedString()])
        }
    }
}

/// A table's rows, column by column.
public struct TableDump: Sendable, Equatable {
    public var name: String
    public var columns: [String]
    public var rows: [[DumpValue]]

    public init(name: String, columns: [String], rows: [[DumpValue]]) {
        self.name = name
        self.columns = columns
        self.rows = rows
    }
}

/// A database that can hand over, and take, all its durable rows table by table: what
/// `bulwark admin export`/`import` use to move a registry between SQLite and PostgreSQL.
public protocol TableDumping: Sendable {
    /// The durable tables in creation order (parents before children), without the migration
    /// bookkeeping and without short-lived state (sessions, WebAuthn challenges, throttling).
    func dumpableTables() async throws -> [String]
    /// Every row of one table.
    func dumpTable(_ name: String) async throws -> TableDump
    /// Inserts every table in one transaction: all or nothing. The database must be empty.
    func loadTables(_ tables: [TableDump]) async throws
    /// The latest migration applied, which an import must match.
    func schemaVersion() async throws -> Int
}

extension TableDumping {
    /// Throws a `.conflict` ``BulwarkError`` unless every durable table is empty: the check
    /// ``loadTables(_:)`` makes, run before an import stores any archive.
    public func requireEmpty() async throws { try await loadTables([]) }
}

/// Tables left out of exports: rows that only matter for minutes, and rendered responses (SQLite's
/// `read_documents` and its epoch), which the importing server renders again.
public let shortLivedTables: Set<String> = ["sessions", "challenges", "throttle_failures", "read_documents", "read_epoch", "read_package_epochs", "archive_claims"]

/// `bulwark admin export DIR` / `import DIR`: the registry as files.
///
/// ```
/// DIR/export.json          format, schema version, time, tables with row counts, blob count
/// DIR/tables/NAME.json     {"columns": [...], "rows": [[...], ...]}
/// DIR/blobs/SHA256.zip     every archive a release or a pending staged release refers to
/// ```
/// The TOTP seeds in `totp_enrolments` stay sealed with the registry's secret key: the new
/// deployment must run with the same key file (`--secret-key-file`).
public enum RegistryExport {
    public static let format = "bulwark-export-1"

    struct Manifest: Codable {
        var format: String
        var schemaVersion: Int
        var createdAt: String
        var tables: [Entry]
        var blobs: Int

        struct Entry: Codable {
            var name: String
            var rows: Int
        }
    }

    struct TableFile: Codable {
        var columns: [String]
        var rows: [[DumpValue]]
    }

    public struct Summary: Sendable, Equatable {
        public var tables: Int
        public var rows: Int
        public var blobs: Int
    }

    /// Writes the registry into `directory`, which must not exist or be empty.
    public static func export(from database: any TableDumping, blobs: any BlobStore, to directory: URL, now: Date = Date()) async throws -> Summary {
        let fileManager = FileManager.default
        if let existing = try? fileManager.contentsOfDirectory(atPath: directory.path), !existing.isEmpty {
            throw BulwarkError.conflict("\(directory.path) is not empty: export into a new directory")
        }
        try fileManager.createDirectory(at: directory.appendingPathComponent("tables"), withIntermediateDirectories: true)
        try fileManager.createDirectory(at: directory.appendingPathComponent("blobs"), withIntermediateDirectories: true)
        let version = try await database.schemaVersion()
        var entries: [Manifest.Entry] = []
        var checksums = Set<String>()
        var rowCount = 0
        let encoder = JSONEncoder()
        for name in try await database.dumpableTables() {
            let table = try await database.dumpTable(name)
            try encoder.encode(TableFile(columns: table.columns, rows: table.rows)).write(to: directory.appendingPathComponent("tables/\(name).json"))
            entries.append(.init(name: name, rows: table.rows.count))
            rowCount += table.rows.count
            if name == "releases", let column = table.columns.firstIndex(of: "checksum") {
                for row in table.rows { if case .text(let checksum) = row[column] { checksums.insert(checksum) } }
            }
            // A pending staged release's archive is needed to approve it after the move; a rejected
            // or purged one's may be gone, and an approved one's is its release's.
            if name == "staged_releases", let state = table.columns.firstIndex(of: "state"), let release = table.columns.firstIndex(of: "release"),
                let id = table.columns.firstIndex(of: "id")
            {
                for row in table.rows {
                    guard case .text("pending") = row[state], case .text(let json) = row[release] else { continue }
                    let stagedID: String = if case .text(let value) = row[id] { value } else { "?" }
                    checksums.insert(try StagedArchive.checksum(ofReleaseJSON: json, stagedID: stagedID))
                }
            }
        }
        for checksum in checksums.sorted() {
            try BlobChecksum.validate(checksum)
            let bytes = try await blobs.open(checksum: checksum).collect(upTo: Int.max)
            let data = Data(bytes.readableBytesView)
            guard Self.sha256(data) == checksum else {
                throw BulwarkError.internalError("the stored archive \(checksum) does not match its checksum: export stopped")
            }
            try data.write(to: directory.appendingPathComponent("blobs/\(checksum).zip"))
        }
        let manifest = Manifest(format: format, schemaVersion: version, createdAt: Timestamp.iso8601(now), tables: entries, blobs: checksums.count)
        let pretty = JSONEncoder()
        pretty.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Written last: a directory without it is an interrupted export.
        try pretty.encode(manifest).write(to: directory.appendingPathComponent("export.json"))
        return Summary(tables: entries.count, rows: rowCount, blobs: checksums.count)
    }

    /// Loads an export into an empty registry: archives first (each checked against its name),
    /// then every table in one transaction. A registry that isn't empty is refused before anything
    /// is stored.
    public static func `import`(from directory: URL, into database: any TableDumping, blobs: any BlobStore) async throws -> Summary {
        let manifestURL = directory.appendingPathComponent("export.json")
        guard let manifestData = try? Data(contentsOf: manifestURL) else {
            throw BulwarkError.badRequest("\(directory.path) has no export.json: not a finished bulwark export")
        }
        let manifest: Manifest
        do { manifest = try JSONDecoder().decode(Manifest.self, from: manifestData) } catch {
            throw BulwarkError.badRequest("\(manifestURL.path) is not a bulwark export manifest")
        }
        guard manifest.format == format else { throw BulwarkError.badRequest("unknown export format '\(manifest.format)' (expected \(format))") }
        let version = try await database.schemaVersion()
        guard manifest.schemaVersion == version else {
            throw BulwarkError.badRequest("the export is at schema \(manifest.schemaVersion) but this database is at \(version): use the same Bulwark version for both")
        }
        var tables: [TableDump] = []
        var rows = 0
        for entry in manifest.tables {
            let file = directory.appendingPathComponent("tables/\(entry.name).json")
            let table: TableFile
            do { table = try JSONDecoder().decode(TableFile.self, from: Data(contentsOf: file)) } catch {
                throw BulwarkError.badRequest("\(file.path) is missing or malformed")
            }
            guard table.rows.count == entry.rows, table.rows.allSatisfy({ $0.count == table.columns.count }) else {
                throw BulwarkError.badRequest("\(file.path) does not hold the \(entry.rows) rows export.json lists")
            }
            tables.append(TableDump(name: entry.name, columns: table.columns, rows: table.rows))
            rows += table.rows.count
        }
        // Before any archive goes into the target's blob store (an S3 bucket, say).
        try await database.requireEmpty()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("blobs").path)) ?? []
        guard names.count == manifest.blobs else { throw BulwarkError.badRequest("the export lists \(manifest.blobs) archives but holds \(names.count)") }
        for name in names.sorted() {
            let checksum = String(name.dropLast(4))
            guard name.hasSuffix(".zip"), BlobChecksum.isValid(checksum) else { throw BulwarkError.badRequest("unexpected file blobs/\(name) in the export") }
            let source = directory.appendingPathComponent("blobs/\(name)")
            let data = try Data(contentsOf: source)
            guard Self.sha256(data) == checksum else { throw BulwarkError.badRequest("blobs/\(name) does not match its checksum: the export is damaged") }
            if try await blobs.exists(checksum: checksum) { continue }
            let temporary = try blobs.makeTemporaryFile()
            try data.write(to: temporary)
            try await blobs.commit(temporaryFile: temporary, checksum: checksum)
        }
        try await database.loadTables(tables)
        return Summary(tables: tables.count, rows: rows, blobs: names.count)
    }

    static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
