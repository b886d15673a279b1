import BulwarkCore
import CSQLite
import Foundation
import Synchronization

/// A value bound to or read from a SQLite statement.
enum SQLiteValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case text(String)
    case blob([UInt8])

    var int: Int64? { if case .integer(let v) = self { v } else { nil } }
    var string: String? { if case .text(let v) = self { v } else { nil } }
    var bytes: [UInt8]? {
        switch self {
        case .blob(let v): v
        case .text(let v): Array(v.utf8)
        default: nil
        }
    }
    var date: Date? { int.map { Date(timeIntervalSince1970: TimeInterval($0)) } }

    static func date(_ d: Date?) -> SQLiteValue { d.map { .integer(Int64($0.timeIntervalSince1970.rounded(.down))) } ?? .null }
    static func optionalText(_ s: String?) -> SQLiteValue { s.map { .text($0) } ?? .null }
    static func optionalBlob(_ b: [UInt8]?) -> SQLiteValue { b.map { .blob($0) } ?? .null }
}

/// One SQLite connection, used by one caller at a time (calls are serialised by a lock).
///
/// WAL mode lets the admin CLI write while a server reads; `synchronous=FULL` makes a committed
/// publish survive power loss.
final class SQLiteConnection: @unchecked Sendable {
    private let db: OpaquePointer
    private let lock = NSLock()
    /// Prepared statements by SQL text, reused across calls (preparing costs as much as running a
    /// point query). A statement is taken out while in use and put back reset, so two threads never
    /// share one; guarded by its own lock, whatever the caller holds.
    private var statements: [String: OpaquePointer] = [:]
    private let statementsLock = NSLock()
    private static let maxCachedStatements = 256

    /// A read-only connection (``SQLiteReaders``) takes no part in writes: it only sets its page cache.
    /// `durable: false` (the stored-responses writer): commits don't wait for the disk; a crash can
    /// lose the last ones, never the database's consistency (WAL), and a later durable commit syncs them.
    init(path: String, readOnly: Bool = false, durable: Bool = true) throws {
        var handle: OpaquePointer?
        let flags = readOnly ? SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX
        guard sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw BulwarkError.internalError("can't open the database at '\(path)': \(message)")
        }
        db = handle
        sqlite3_busy_timeout(db, 10_000)
        if readOnly {
            // 8 MiB each: one reader per core, all within the memory target at a million packages.
            try exec("PRAGMA cache_size=-8192;")
        } else {
            try exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=\(durable ? "FULL" : "NORMAL"); PRAGMA foreign_keys=ON; PRAGMA cache_size=-16384;")
        }
    }

    private var isClosed = false

    deinit { close() }

    /// Closes the connection now (it must not be used after). The last connection to close
    /// checkpoints the WAL into the database file.
    func close() {
        lock.withLock {
            guard !isClosed else { return }
            isClosed = true
            statementsLock.withLock {
                for statement in statements.values { sqlite3_finalize(statement) }
                statements.removeAll()
            }
            sqlite3_close_v2(db)
        }
    }

    /// A prepared statement for `sql`: a cached one if free, else a new one.
    private func checkOut(_ sql: String) throws -> OpaquePointer {
        if let cached = statementsLock.withLock({ statements.removeValue(forKey: sql) }) { return cached }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            sqlite3_finalize(statement)
            throw BulwarkError.internalError("database error: \(String(cString: sqlite3_errmsg(db)))")
        }
        return statement
    }

    /// Resets `statement` (ending its read of the database) and keeps it for the next call.
    private func checkIn(_ sql: String, _ statement: OpaquePointer) {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        let kept = statementsLock.withLock { () -> Bool in
            guard statements[sql] == nil, statements.count < Self.maxCachedStatements else { return false }
            statements[sql] = statement
            return true
        }
        if !kept { sqlite3_finalize(statement) }
    }

    /// Runs `body` holding the connection; nested use from inside `body` is not allowed.
    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Runs `body` holding the connection if it is free right now; nil (without running it) if it is busy.
    func lockedIfFree<T>(_ body: () throws -> T) rethrows -> T? {
        guard lock.try() else { return nil }
        defer { lock.unlock() }
        return try body()
    }

    /// Runs `body` in an immediate transaction, committing if it returns and rolling back if it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try locked { try immediateTransaction(body) }
    }

    /// BEGIN IMMEDIATE … COMMIT, or ROLLBACK if `body` throws; the caller holds the connection.
    private func immediateTransaction<T>(_ body: () throws -> T) throws -> T {
        try exec("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try exec("COMMIT")
            return result
        } catch {
            try? exec("ROLLBACK")
            throw error
        }
    }

    /// ``transaction(_:)`` with a commit that doesn't sync (`synchronous=NORMAL` for it: in WAL
    /// mode a crash of the machine can lose that commit, never corrupt anything, and the next
    /// synced commit syncs it too); `synchronous=FULL` is restored after it.
    func unsyncedTransaction<T>(_ body: () throws -> T) throws -> T {
        try locked {
            try exec("PRAGMA synchronous=NORMAL")
            defer { try? exec("PRAGMA synchronous=FULL") }
            return try immediateTransaction(body)
        }
    }

    func exec(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(db, sql, nil, nil, &error) == SQLITE_OK else {
            let message = error.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(error)
            throw BulwarkError.internalError("database error: \(message)")
        }
    }

    /// Runs a statement and returns every row.
    @discardableResult
    func query(_ sql: String, _ arguments: [SQLiteValue] = []) throws -> [[SQLiteValue]] {
        let statement = try checkOut(sql)
        defer { checkIn(sql, statement) }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        for (i, argument) in arguments.enumerated() {
            let index = Int32(i + 1)
            switch argument {
            case .null: sqlite3_bind_null(statement, index)
            case .integer(let v): sqlite3_bind_int64(statement, index, v)
            case .text(let v): sqlite3_bind_text(statement, index, v, -1, transient)
            case .blob(let v):
                v.withUnsafeBytes { buffer in
                    _ = sqlite3_bind_blob(statement, index, buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(buffer.count), transient)
                }
            }
        }
        var rows: [[SQLiteValue]] = []
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { break }
            if rc != SQLITE_ROW, rc == SQLITE_CONSTRAINT || sqlite3_extended_errcode(db) & 0xFF == SQLITE_CONSTRAINT {
                throw SQLiteConstraintViolation()
            }
            guard rc == SQLITE_ROW else { throw BulwarkError.internalError("database error: \(String(cString: sqlite3_errmsg(db)))") }
            var row: [SQLiteValue] = []
            for column in 0..<sqlite3_column_count(statement) {
                switch sqlite3_column_type(statement, column) {
                case SQLITE_INTEGER: row.append(.integer(sqlite3_column_int64(statement, column)))
                case SQLITE_TEXT: row.append(.text(String(cString: sqlite3_column_text(statement, column))))
                case SQLITE_BLOB:
                    let count = Int(sqlite3_column_bytes(statement, column))
                    if count == 0 {
                        row.append(.blob([]))
                    } else {
                        let pointer = sqlite3_column_blob(statement, column)!.assumingMemoryBound(to: UInt8.self)
                        row.append(.blob(Array(UnsafeBufferPointer(start: pointer, count: count))))
                    }
                default: row.append(.null)
                }
            }
            rows.append(row)
        }
        return rows
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE; read it in the same `locked` or `transaction` body.
    var changes: Int { Int(sqlite3_changes(db)) }

    /// `PRAGMA integrity_check` result: "ok" when the database is sound.
    func integrityCheck() throws -> String {
        try locked { try query("PRAGMA integrity_check").first?.first?.string ?? "no answer" }
    }
}

struct SQLiteConstraintViolation: Error {}

/// Read-only connections for the read API's hot queries. WAL lets each read the last committed
/// state while the writer writes, and with one connection per core two requests never queue on one
/// connection's lock (at a million packages, where most reads miss the server's cache, that lock
/// was where requests waited).
final class SQLiteReaders: Sendable {
    private let path: String
    private let count: Int
    /// Opened on the first read: a CLI command or a test that never reads through them opens no
    /// extra files.
    private let opened = Mutex<[SQLiteConnection]?>(nil)
    private let next = Atomic<Int>(0)

    /// The database must exist and be in WAL mode (the writer connection opens and migrates it first).
    init(path: String, count: Int) {
        self.path = path
        self.count = max(1, count)
    }

    private func connections() throws -> [SQLiteConnection] {
        try opened.withLock { opened in
            if let opened { return opened }
            let connections = try (0..<count).map { _ in try SQLiteConnection(path: path, readOnly: true) }
            opened = connections
            return connections
        }
    }

    /// Closes every reader: before the writer, so that the writer is the last connection to close and
    /// folds the WAL back into the database file (a read-only connection can't).
    func close() {
        for connection in opened.withLock({ $0 ?? [] }) { connection.close() }
    }

    /// Runs `body` on a free reader, or waits for one if all are busy. One statement per call reads
    /// one consistent snapshot.
    func read<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        let connections = try connections()
        let start = next.add(1, ordering: .relaxed).oldValue
        for i in 0..<connections.count {
            let connection = connections[(start + i) % connections.count]
            if let result = try connection.lockedIfFree({ try body(connection) }) { return result }
        }
        let connection = connections[start % connections.count]
        return try connection.locked { try body(connection) }
    }
}
