import Foundation

/// A manifest of a release, served byte for byte as it is in the archive.
public struct ReleaseManifest: Sendable, Equatable {
    /// `Package.swift` or `Package@swift-X.swift`.
    public var filename: String
    /// The tools version the file declares (`5.9`, `6.0`), if it declares one.
    public var toolsVersion: String?
    public var bytes: [UInt8]

    public init(filename: String, toolsVersion: String?, bytes: [UInt8]) {
        self.filename = filename
        self.toolsVersion = toolsVersion
        self.bytes = bytes
    }
}

/// A detached CMS signature stored with a release (SE-0391 `cms-1.0.0`).
public struct ReleaseSignature: Sendable, Equatable {
    public var format: String
    /// DER bytes of the signature.
    public var bytes: [UInt8]

    public init(format: String, bytes: [UInt8]) {
        self.format = format
        self.bytes = bytes
    }
}

/// A published, immutable release.
public struct Release: Sendable, Equatable {
    /// The package, in the case it was first published with.
    public var package: PackageIdentifier
    /// The version as published (build metadata included).
    public var version: SemanticVersion
    /// Lowercase hex SHA-256 of the archive bytes.
    public var checksum: String
    public var archiveSize: Int64
    /// The metadata JSON exactly as uploaded, if any.
    public var metadata: [UInt8]?
    public var archiveSignature: ReleaseSignature?
    public var metadataSignature: ReleaseSignature?
    /// `Package.swift` first, then alternates.
    public var manifests: [ReleaseManifest]
    /// Normalised repository URLs (see ``RepositoryURL``) indexed for `/identifiers`.
    public var repositoryURLs: [String]
    public var publishedAt: Date
    /// The account that published it.
    public var publisher: String

    public init(
        package: PackageIdentifier, version: SemanticVersion, checksum: String, archiveSize: Int64,
        metadata: [UInt8]?, archiveSignature: ReleaseSignature?, metadataSignature: ReleaseSignature?,
        manifests: [ReleaseManifest], repositoryURLs: [String], publishedAt: Date, publisher: String
    ) {
        self.package = package
        self.version = version
        self.checksum = checksum
        self.archiveSize = archiveSize
        self.metadata = metadata
        self.archiveSignature = archiveSignature
        self.metadataSignature = metadataSignature
        self.manifests = manifests
        self.repositoryURLs = repositoryURLs
        self.publishedAt = publishedAt
        self.publisher = publisher
    }
}

/// One line of a package's release list.
public struct ReleaseSummary: Sendable, Equatable {
    public var version: SemanticVersion
    public var publishedAt: Date

    public init(version: SemanticVersion, publishedAt: Date) {
        self.version = version
        self.publishedAt = publishedAt
    }
}

/// A registry account.
public struct Account: Sendable, Equatable {
    public var name: String
    public var email: String
    /// bcrypt hash; nil for accounts that can't sign in with a password.
    public var passwordHash: String?
    public var createdAt: Date

    public init(name: String, email: String, passwordHash: String?, createdAt: Date) {
        self.name = name
        self.email = email
        self.passwordHash = passwordHash
        self.createdAt = createdAt
    }

    /// 1–39 letters, digits, single hyphens or underscores; compared case-insensitively.
    public static func isValidName(_ name: String) -> Bool {
        PackageIdentifier.isValidName(name) && name.utf8.count <= 39
    }
}

/// A stored API token: its hash, never the token.
public struct TokenRecord: Sendable, Equatable {
    public var id: String
    /// SHA-256 (lowercase hex) of the token.
    public var hash: String
    public var account: String
    public var permissions: [TokenPermission]
    public var packages: [PackagePattern]
    public var createdAt: Date
    public var expiresAt: Date?
    public var lastUsedAt: Date?
    public var revokedAt: Date?
    /// The address the token was last used from.
    public var lastUsedIP: String?

    public init(
        id: String, hash: String, account: String, permissions: [TokenPermission], packages: [PackagePattern],
        createdAt: Date, expiresAt: Date?, lastUsedAt: Date? = nil, revokedAt: Date? = nil, lastUsedIP: String? = nil
    ) {
        self.id = id
        self.hash = hash
        self.account = account
        self.permissions = permissions
        self.packages = packages
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
        self.lastUsedIP = lastUsedIP
    }

    /// Whether the token may be used at `now`.
    public func isActive(at now: Date) -> Bool {
        revokedAt == nil && (expiresAt.map { now < $0 } ?? true)
    }

    /// Whether the token allows publishing `id`.
    public func allowsPublishing(_ id: PackageIdentifier) -> Bool {
        allows(.publish, on: id)
    }

    /// Whether the token carries `permission` and covers `id`.
    public func allows(_ permission: TokenPermission, on id: PackageIdentifier) -> Bool {
        permissions.contains(permission) && packages.contains { $0.covers(id) }
    }
}
