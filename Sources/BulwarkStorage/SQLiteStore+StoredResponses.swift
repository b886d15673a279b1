import BulwarkCore
import Foundation
import Synchronization

/// Rendered responses in the `read_documents` table: looked up on the read-only connections, stored
/// through a connection of their own that doesn't sync on commit (they can be rendered again), so
/// storing them never waits for the disk nor holds the publishing connection.
extension SQLiteStore: StoredResponseStore {
    public func storedResponse(package: String, path: String, base: String) throws -> StoredResponse? {
        let rows = try readers.read { connection in
            try connection.query(
                "SELECT package_key, path, base, headers, body FROM read_documents WHERE id = ?",
                [.integer(Self.documentID(package: package, path: path))]
            )
        }
        // A hash collision or another base URL: not this response.
        guard let row = rows.first, row[0].string == package, row[1].string == path, row[2].string == base,
            let headers = row[3].bytes, let body = row[4].bytes
        else { return nil }
        return StoredResponse(package: package, path: path, base: base, headers: headers, body: body)
    }

    public func storedResponseOrEpoch(package: String, path: String, base: String) throws -> StoredLookup {
        // One statement, one snapshot: the package's epoch is read with the (missing) row, and only
        // when the row is missing. The key columns are compared in SQL (a hash collision or another
        // base URL finds no row), so none is decoded.
        let rows = try readers.read { connection in
            try connection.query(
                """
                SELECT CASE WHEN d.id IS NULL THEN coalesce((SELECT n FROM read_package_epochs WHERE package_key = ?2), 0) END,
                    d.headers, d.body
                FROM (SELECT 1) LEFT JOIN read_documents d ON d.id = ?1 AND d.package_key = ?2 AND d.path = ?3 AND d.base = ?4
                """,
                [.integer(Self.documentID(package: package, path: path)), .text(package), .text(path), .text(base)]
            )
        }
        guard let row = rows.first else { throw BulwarkError.internalError("the stored-response lookup returned no row") }
        guard let headers = row[1].bytes, let body = row[2].bytes else { return .missing(epoch: row[0].int ?? 0) }
        return .found(StoredResponse(package: package, path: path, base: base, headers: headers, body: body))
    }

    public func epoch(package: String) throws -> Int64 {
        let rows = try readers.read { try $0.query("SELECT n FROM read_package_epochs WHERE package_key = ?", [.text(package)]) }
        return rows.first?.first?.int ?? 0
    }

    @discardableResult
    public func store(_ responses: [(response: StoredResponse, epoch: Int64)]) throws -> Int {
        guard !responses.isEmpty else { return 0 }
        let connection = try responseWriter()
        return try connection.transaction {
            // Each package's epoch is checked inside the write transaction, in the insert itself: no
            // change can commit between the check and the insert.
            var stored = 0
            for (response, epoch) in responses {
                try connection.query(
                    """
                    INSERT OR REPLACE INTO read_documents (id, package_key, path, base, headers, body)
                    SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE coalesce((SELECT n FROM read_package_epochs WHERE package_key = ?2), 0) = ?7
                    """,
                    [
                        .integer(Self.documentID(package: response.package, path: response.path)), .text(response.package), .text(response.path),
                        .text(response.base), .blob(response.headers), .blob(response.body), .integer(epoch),
                    ]
                )
                stored += connection.changes
            }
            return stored
        }
    }

    public func storedResponseCount() throws -> Int {
        let rows = try connection.locked { try connection.query("SELECT count(*) FROM read_documents") }
        return Int(rows.first?.first?.int ?? 0)
    }

    /// The second read-write connection, which doesn't sync on commit (stored responses can be
    /// rendered again).
    func responseWriter() throws -> SQLiteConnection {
        if let open = responseWriterConnection.withLock({ $0 }) { return open }
        let opened = try SQLiteConnection(path: path, durable: false)
        return responseWriterConnection.withLock { current in
            if let current {
                opened.close()
                return current
            }
            current = opened
            return opened
        }
    }

    /// The row id of a stored response: 63 bits of FNV-1a over the package key, a NUL and the path.
    /// Stable across processes and releases (it is on disk); collisions are told apart by the key columns.
    static func documentID(package: String, path: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func add(_ byte: UInt8) {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        for byte in package.utf8 { add(byte) }
        add(0)
        for byte in path.utf8 { add(byte) }
        return Int64(bitPattern: hash & 0x7fff_ffff_ffff_ffff)
    }
}
