import Foundation

/// Something the server needs to answer requests — a database, a blob store — that `/readyz`
/// asks before a load balancer sends traffic.
public protocol ReadinessCheck: Sendable {
    /// Shown in `/readyz`'s answer, e.g. `database` or `blobs`.
    var readinessName: String { get }
    /// Returns when the dependency is reachable and usable (for a database: its schema is
    /// current); throws a short, secret-free reason otherwise.
    func checkReadiness() async throws
}

extension SQLiteStore: ReadinessCheck {
    public var readinessName: String { "database" }

    public func checkReadiness() async throws {
        let applied = try connection.locked { try connection.query("SELECT max(id) FROM schema_migrations") }
        let latest = SQLiteMigrations.all.map(\.id).max() ?? 0
        guard let version = applied.first?[0].int, version >= Int64(latest) else {
            throw ReadinessFailure("the SQLite schema is not current (expected migration \(latest))")
        }
    }
}

extension MemoryStore: ReadinessCheck {
    public nonisolated var readinessName: String { "database" }
    public nonisolated func checkReadiness() async throws {}
}

extension FileBlobStore: ReadinessCheck {
    public var readinessName: String { "blobs" }

    public func checkReadiness() async throws {
        // The store must be able to take an upload: its temporary directory exists and is writable.
        let tmp = root.appendingPathComponent("tmp").path
        guard access(tmp, W_OK) == 0 else { throw ReadinessFailure("the blob directory is not writable (errno \(errno))") }
    }
}

/// Why a dependency is not ready.
public struct ReadinessFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
