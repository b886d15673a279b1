import Foundation

/// Why, by whom and when a release was yanked. A yanked release stays downloadable by its exact
/// version, but the release list marks it with a `problem` so resolvers skip it.
public struct Yank: Sendable, Equatable {
    public var reason: String
    public var by: String
    public var at: Date

    public init(reason: String, by: String, at: Date) {
        self.reason = reason
        self.by = by
        self.at = at
    }
}

/// A yanked version of a package.
public struct YankedRelease: Sendable, Equatable {
    public var version: SemanticVersion
    public var yank: Yank

    public init(version: SemanticVersion, yank: Yank) {
        self.version = version
        self.yank = yank
    }
}

/// What stays of a deleted release, forever: its version can never be published again.
public struct Tombstone: Sendable, Equatable {
    /// The package in its stored case.
    public var package: PackageIdentifier
    /// The version as it was published (build metadata included).
    public var version: SemanticVersion
    /// The deleted archive's checksum (for the record; the archive itself may be gone).
    public var checksum: String
    public var deletedBy: String
    public var deletedAt: Date

    public init(package: PackageIdentifier, version: SemanticVersion, checksum: String, deletedBy: String, deletedAt: Date) {
        self.package = package
        self.version = version
        self.checksum = checksum
        self.deletedBy = deletedBy
        self.deletedAt = deletedAt
    }

    /// The 409 detail for a publish of this version.
    public var republishDetail: String {
        "version \(version) of \(package) was deleted on \(Timestamp.iso8601(deletedAt)) and can never be published again: publish a new version"
    }
}

/// The result of deleting a release.
public struct DeletedRelease: Sendable, Equatable {
    public var tombstone: Tombstone
    /// Whether another release or a pending staged release still uses the archive (same checksum):
    /// if so, the archive must stay.
    public var archiveStillReferenced: Bool

    public init(tombstone: Tombstone, archiveStillReferenced: Bool) {
        self.tombstone = tombstone
        self.archiveStillReferenced = archiveStillReferenced
    }
}

/// How the actor of a package event proved who they were.
public struct CredentialUse: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        /// An API token (its id in ``CredentialUse/id``).
        case token
        /// A passkey assertion (its name in ``CredentialUse/id``).
        case passkey
        /// An authenticator-app code.
        case totp
        /// A single-use recovery code.
        case recoveryCode = "recovery-code"
        /// A second factor whose kind wasn't recorded.
        case secondFactor = "second-factor"
    }

    public var kind: Kind
    /// The token id or the passkey's name; never a secret.
    public var id: String?

    public init(kind: Kind, id: String? = nil) {
        self.kind = kind
        self.id = id
    }

    public static func token(_ id: String) -> Self { .init(kind: .token, id: id) }

    public var description: String {
        switch kind {
        case .token: "token \(id ?? "?")"
        case .passkey: id.map { "passkey '\($0)'" } ?? "passkey"
        case .totp: "authenticator app"
        case .recoveryCode: "recovery code"
        case .secondFactor: "second factor"
        }
    }
}

/// One line of a package's audit log: who did what to which version, with which credential.
public struct PackageEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case published
        /// Published under `publishing: approval`: waiting for a maintainer.
        case staged
        case approved
        case rejected
        case yanked
        case unyanked
        case deleted
    }

    public var package: PackageIdentifier
    public var version: SemanticVersion?
    public var kind: Kind
    /// The account that acted.
    public var actor: String
    public var credential: CredentialUse
    /// A short description without secrets (a yank reason, a staged release id).
    public var detail: String
    public var ip: String?
    public var at: Date

    public init(
        package: PackageIdentifier, version: SemanticVersion?, kind: Kind, actor: String, credential: CredentialUse, detail: String = "",
        ip: String?, at: Date
    ) {
        self.package = package
        self.version = version
        self.kind = kind
        self.actor = actor
        self.credential = credential
        self.detail = detail
        self.ip = ip
        self.at = at
    }
}
