/// Limits applied to every uploaded source archive, before anything is stored.
public struct ArchiveLimits: Sendable, Equatable {
    /// The most entries (files, directories, links) an archive may have.
    public var maxEntries: Int
    /// The most bytes all entries may inflate to, together.
    public var maxUncompressedBytes: UInt64
    /// The largest ratio of inflated to compressed size for one entry (zip bombs).
    public var maxCompressionRatio: UInt64
    /// The largest manifest (`Package.swift`, `Package@swift-*.swift`) the registry serves.
    public var maxManifestBytes: Int

    public init(
        maxEntries: Int = 10_000,
        maxUncompressedBytes: UInt64 = 512 * 1024 * 1024,
        maxCompressionRatio: UInt64 = 200,
        maxManifestBytes: Int = 1024 * 1024
    ) {
        self.maxEntries = maxEntries
        self.maxUncompressedBytes = maxUncompressedBytes
        self.maxCompressionRatio = maxCompressionRatio
        self.maxManifestBytes = maxManifestBytes
    }
}

/// A manifest found at the root of a source archive.
public struct ArchiveManifest: Sendable, Equatable {
    /// `Package.swift` or `Package@swift-X.swift`.
    public let filename: String
    /// The tools version the manifest declares on its first line, if it declares one.
    public let declaredToolsVersion: ToolsVersionString?
    /// The manifest exactly as stored in the archive.
    public let bytes: [UInt8]

    public init(filename: String, declaredToolsVersion: ToolsVersionString?, bytes: [UInt8]) {
        self.filename = filename
        self.declaredToolsVersion = declaredToolsVersion
        self.bytes = bytes
    }
}

public typealias ToolsVersionString = String

/// What inspection learned about a valid archive.
public struct ArchiveSummary: Sendable, Equatable {
    /// The single top-level directory every entry sits in.
    public let rootDirectory: String
    public let entryCount: Int
    public let uncompressedBytes: UInt64
    /// `Package.swift` first, then the alternates sorted by name.
    public let manifests: [ArchiveManifest]
}
