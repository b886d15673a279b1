import Foundation

/// A rendered read response kept in the database: what a read that misses the server's memory
/// cache serves with one lookup instead of querying the package's rows and rendering them again.
///
/// The store treats it as opaque bytes; the server decides what it holds (for the Swift registry:
/// the `200` responses of a package's release list, release metadata and manifests, and for a
/// download its headers with the archive's checksum as the body).
public struct StoredResponse: Sendable, Equatable {
    /// The package's canonical key (`scope.name`, lower-cased): every change to the package's
    /// releases, manifests, yanks or tombstones deletes its stored responses.
    public var package: String
    /// The response's key within its package, e.g. `metadata/1.0.0` (the server's canonical form
    /// of the request, so that spellings of one URL share one row).
    public var path: String
    /// The public base URL the response was rendered for (links in it are absolute): a lookup with
    /// another base finds nothing.
    public var base: String
    /// The response's header fields, encoded by the server.
    public var headers: [UInt8]
    public var body: [UInt8]

    public init(package: String, path: String, base: String, headers: [UInt8], body: [UInt8]) {
        self.package = package
        self.path = path
        self.base = base
        self.headers = headers
        self.body = body
    }
}

/// Rendered read responses that stay valid until the package changes (only the embedded SQLite
/// store has them: there every write that changes what a package's reads answer, from any process,
/// deletes that package's responses in the same transaction).
///
/// Writes are guarded against racing a change: the server asks for the package's
/// ``epoch(package:)`` before it reads what it renders, and ``store(_:)`` stores a response only if
/// no change to its package committed since. So a stored response never outlives the data it was
/// rendered from, and a change to one package refuses no other package's renders.
public protocol StoredResponseStore: Sendable {
    /// The response stored for this package and path, rendered for `base`; nil if there is none.
    func storedResponse(package: String, path: String, base: String) throws -> StoredResponse?
    /// A number that every change to the package's releases, manifests, yanks or tombstones
    /// increases (0 for a package nothing was ever written for).
    func epoch(package: String) throws -> Int64
    /// The stored response, or if there is none the package's epoch to store a fresh render under:
    /// both in one lookup (what a read that misses the memory cache asks).
    func storedResponseOrEpoch(package: String, path: String, base: String) throws -> StoredLookup
    /// Stores each response (replacing an older one for the same package and path) whose package's
    /// epoch is still the one given with it; returns how many were stored.
    @discardableResult
    func store(_ responses: [(response: StoredResponse, epoch: Int64)]) throws -> Int
    /// How many responses are stored (tests, `admin` reports).
    func storedResponseCount() throws -> Int
}

/// What ``StoredResponseStore/storedResponseOrEpoch(package:path:base:)`` finds.
public enum StoredLookup: Sendable, Equatable {
    case found(StoredResponse)
    /// Nothing stored: render, and store the result if the package's epoch is still this one.
    case missing(epoch: Int64)
}

extension StoredResponseStore {
    public func storedResponseOrEpoch(package: String, path: String, base: String) throws -> StoredLookup {
        let epoch = try epoch(package: package)
        if let found = try storedResponse(package: package, path: path, base: base) { return .found(found) }
        return .missing(epoch: epoch)
    }

    /// Stores responses that were all rendered under one epoch (of one package, or of packages that
    /// share it); returns how many were stored.
    @discardableResult
    public func store(_ responses: [StoredResponse], ifEpoch epoch: Int64) throws -> Int {
        try store(responses.map { (response: $0, epoch: epoch) })
    }
}
