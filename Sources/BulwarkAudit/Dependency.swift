import Foundation

/// One dependency found in a project.
public struct Dependency: Hashable, Sendable, Codable {
    /// The registry it is published on.
    public var registry: RegistryID
    /// Its name as the registry knows it (`@scope/name`, `group:artifact`, `owner/repo`…).
    public var name: String
    /// The pinned or required version, when the file says.
    public var version: String?
    /// The file it was found in, relative to the audited directory.
    public var file: String
    /// Where its code comes from when that is not the registry itself: a Swift package's Git URL,
    /// a Go module's code host. The host's 2FA posture applies to it when the data knows the host.
    public var location: String?

    /// Creates a dependency.
    public init(registry: RegistryID, name: String, version: String? = nil, file: String, location: String? = nil) {
        self.registry = registry
        self.name = name
        self.version = version.flatMap { $0.isEmpty ? nil : $0 }
        self.file = file
        self.location = location
    }
}

/// A file that could not be read, with the reason. The audit goes on without it.
public struct FileError: Hashable, Sendable, Codable {
    /// Path relative to the audited directory.
    public var file: String
    /// Why it could not be read.
    public var message: String

    /// Creates an error entry.
    public init(file: String, message: String) {
        self.file = file
        self.message = message
    }
}

/// An error with a one-line message.
public struct AuditError: Error, CustomStringConvertible, Sendable {
    /// The message.
    public let description: String

    /// Creates an error.
    public init(_ description: String) { self.description = description }
}

/// Reads one kind of dependency file.
///
/// Readers get the file's text and its path relative to the audited directory, and either
/// return the registry dependencies in it or throw an ``AuditError`` saying why the file
/// cannot be read. Git and path dependencies are left out: they do not come from a registry
/// (except for Swift, whose packages come from their Git hosts: see ``SwiftManifestReader``).
public protocol DependencyReader: Sendable {
    /// Whether this reader handles the file at `path` (relative, `/`-separated).
    func handles(path: String, fileName: String) -> Bool
    /// File names that, next to a file of this reader, make it redundant (a lockfile beside its manifest).
    var supersededBy: [String] { get }
    /// The dependencies in `text`.
    func read(_ text: String, file: String) throws -> [Dependency]
}

extension DependencyReader {
    /// By default nothing supersedes a file.
    public var supersededBy: [String] { [] }
}
