import Foundation

/// How a registry protects publishing with a second factor, worst first.
///
/// The order is the one `--fail-on` uses: `none` < `optional` < `available` < `indirect` <
/// `notApplicable` < `required`. `unknown` only appears in the overview's original values.
public enum TwoFactorStatus: String, Codable, Sendable, CaseIterable, Comparable {
    /// No second factor at all.
    case none
    /// Offered as a personal opt-in that nobody can enforce.
    case optional
    /// Offered to every publisher, required only for some.
    case available
    /// No 2FA of its own; another identity provider's rules apply (GitHub, SSO).
    case indirect
    /// No publisher accounts (a proxy or an index).
    case notApplicable = "not-applicable"
    /// Required for every publisher.
    case required
    /// Not known (only in the overview's original values).
    case unknown

    /// Position in the worst-first order (`unknown` counts as the worst).
    public var rank: Int {
        switch self {
        case .unknown: -1
        case .none: 0
        case .optional: 1
        case .available: 2
        case .indirect: 3
        case .notApplicable: 4
        case .required: 5
        }
    }

    /// Worse statuses sort first.
    public static func < (lhs: TwoFactorStatus, rhs: TwoFactorStatus) -> Bool { lhs.rank < rhs.rank }
}

/// The identifiers of the 20 registries of the overview.
public enum RegistryID: String, Codable, Sendable, CaseIterable, Comparable {
    /// npm.
    case npm
    /// The Go module proxy.
    case go
    /// Docker Hub.
    case dockerhub
    /// NuGet.
    case nuget
    /// PyPI.
    case pypi
    /// Maven Central.
    case maven
    /// Packagist.
    case packagist
    /// crates.io.
    case crates
    /// RubyGems.org.
    case rubygems
    /// CocoaPods trunk.
    case cocoapods
    /// GitHub Actions.
    case githubActions = "github-actions"
    /// CRAN.
    case cran
    /// Clojars.
    case clojars
    /// conda-forge.
    case condaForge = "conda-forge"
    /// Hex.pm.
    case hex
    /// Hackage.
    case hackage
    /// The Julia General registry.
    case julia
    /// Swift packages (Git hosts, Swift Package Index, registries).
    case swift
    /// Spack.
    case spack
    /// Homebrew.
    case homebrew

    /// Alphabetical by identifier.
    public static func < (lhs: RegistryID, rhs: RegistryID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The bundled data file `registries.json`: one entry per registry, each claim with sources and a date.
public struct RegistryData: Codable, Sendable {
    /// Version of the file's layout; bumped on incompatible changes.
    public var schemaVersion: Int
    /// Version of the data itself.
    public var dataVersion: String
    /// When the data as a whole was last checked.
    public var asOf: String
    /// What the file is.
    public var description: String?
    /// Meaning of every status value.
    public var statuses: [String: String]
    /// Posture of code hosts, for dependencies fetched from a host rather than a registry (Swift URLs).
    public var hosts: [String: HostPosture]
    /// One entry per registry.
    public var registries: [Registry]

    /// The entry for `id`.
    public func registry(_ id: RegistryID) -> Registry? { registries.first { $0.id == id } }

    /// The data bundled with this module.
    public static func bundled() throws -> RegistryData {
        guard let url = Bundle.module.url(forResource: "registries", withExtension: "json", subdirectory: "Resources")
            ?? Bundle.module.url(forResource: "registries", withExtension: "json")
        else { throw AuditError("the bundled registries.json is missing") }
        return try decode(Data(contentsOf: url))
    }

    /// Decodes a data file.
    public static func decode(_ data: Data) throws -> RegistryData {
        do {
            return try JSONDecoder().decode(RegistryData.self, from: data)
        } catch {
            throw AuditError("registries.json does not decode: \(error)")
        }
    }
}

/// The 2FA posture of a code host.
public struct HostPosture: Codable, Sendable {
    /// The host's status.
    public var twoFactor: TwoFactorStatus
    /// Why.
    public var note: String
    /// When the claim was checked.
    public var asOf: String
    /// Where it comes from.
    public var sources: [String]
}

/// One registry of the overview.
public struct Registry: Codable, Sendable {
    /// Stable identifier, as in the JSON report.
    public var id: RegistryID
    /// Display name.
    public var name: String
    /// Home page.
    public var url: String
    /// How many packages it holds.
    public var packages: PackageCount
    /// How it protects publishing.
    public var twoFactor: TwoFactorClaim
    /// Further facts (trusted publishing, tokens, plans).
    public var notes: [Note]
}

/// A package count with its date and source.
public struct PackageCount: Codable, Sendable {
    /// Number of packages.
    public var count: Int
    /// When it was counted.
    public var asOf: String
    /// Where the number comes from.
    public var sources: [String]
}

/// The 2FA claim for a registry, with the overview's value beside it when it changed since.
public struct TwoFactorClaim: Codable, Sendable {
    /// Current status.
    public var status: TwoFactorStatus
    /// Methods offered (WebAuthn, TOTP, via GitHub…).
    public var methods: [String]
    /// Whether SMS is offered (`nil`: not applicable).
    public var sms: Bool?
    /// Who must use it, in words.
    public var mandatory: String?
    /// `false` when the claim rests on a weak source.
    public var verified: Bool?
    /// When the claim was checked.
    public var asOf: String
    /// Where it comes from.
    public var sources: [String]
    /// The overview's value, when it differs from the current one.
    public var original: OriginalTwoFactor?

    /// Whether the status or methods changed since the overview.
    public var changedSinceOverview: Bool { original != nil }
}

/// The overview's value of a 2FA claim.
public struct OriginalTwoFactor: Codable, Sendable {
    /// Status in the overview.
    public var status: TwoFactorStatus
    /// Methods in the overview.
    public var methods: [String]
    /// SMS in the overview.
    public var sms: Bool?
    /// Date of the overview.
    public var asOf: String
    /// The overview's documentation link.
    public var sources: [String]
}

/// A dated, sourced remark.
public struct Note: Codable, Sendable {
    /// The remark.
    public var text: String
    /// When it was checked.
    public var asOf: String
    /// Where it comes from.
    public var sources: [String]
}
