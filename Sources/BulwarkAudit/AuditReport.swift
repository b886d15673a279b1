import Foundation

/// A dependency with the 2FA status that protects its publisher.
public struct AuditedDependency: Sendable, Hashable {
    /// The dependency.
    public var dependency: Dependency
    /// Its registry's status, or its host's for a Swift package fetched from a known host.
    public var twoFactor: TwoFactorStatus
}

/// Totals for one registry.
public struct RegistrySummary: Sendable {
    /// The registry.
    public var id: RegistryID
    /// Display name.
    public var name: String
    /// Dependencies from it.
    public var count: Int
    /// The registry's status.
    public var twoFactor: TwoFactorStatus
    /// The worst status among its dependencies (differs for Swift packages on GitHub).
    public var worstDependencyStatus: TwoFactorStatus
    /// The overview's status, when it changed since.
    public var originalTwoFactor: TwoFactorStatus?
}

/// The result of an audit: dependencies with their statuses, per-registry totals, unreadable files.
public struct AuditReport: Sendable {
    /// Every dependency found, in file order.
    public var dependencies: [AuditedDependency]
    /// Files that could not be read.
    public var errors: [FileError]
    /// The data used.
    public var data: RegistryData
    /// Postures read from a Bulwark registry (`--registry URL`), if asked for.
    public var bulwark: BulwarkLookup?

    /// Pairs dependencies with the data's statuses.
    public init(dependencies: [Dependency], errors: [FileError], data: RegistryData) {
        self.errors = errors
        self.data = data
        self.dependencies = dependencies.map { AuditedDependency(dependency: $0, twoFactor: Self.status(of: $0, data: data)) }
    }

    /// Registries without publisher accounts whose packages come from code hosts: their
    /// dependencies get the host's posture when the data knows the host.
    public static let hostedRegistries: Set<RegistryID> = [.swift, .go]

    /// The status for one dependency: its registry's, or for a Swift package or Go module its
    /// code host's when the data knows it (github.com).
    public static func status(of dependency: Dependency, data: RegistryData) -> TwoFactorStatus {
        if hostedRegistries.contains(dependency.registry), let location = dependency.location,
            let host = SwiftManifestReader.host(of: location),
            let posture = data.hosts[host]
        {
            return posture.twoFactor
        }
        return data.registry(dependency.registry)?.twoFactor.status ?? .unknown
    }

    /// Number of dependencies.
    public var total: Int { dependencies.count }

    /// Totals per registry, worst status first, then the largest count.
    public var byRegistry: [RegistrySummary] {
        let groups = Dictionary(grouping: dependencies, by: \.dependency.registry)
        return groups.map { id, members in
            let entry = data.registry(id)
            return RegistrySummary(
                id: id, name: entry?.name ?? id.rawValue, count: members.count,
                twoFactor: entry?.twoFactor.status ?? .unknown,
                worstDependencyStatus: members.map(\.twoFactor).min() ?? .unknown,
                originalTwoFactor: entry?.twoFactor.original?.status
            )
        }.sorted {
            ($0.worstDependencyStatus, -$0.count, $0.id) < ($1.worstDependencyStatus, -$1.count, $1.id)
        }
    }

    /// Dependencies whose status is at or below `threshold` (all of them fail `--fail-on`).
    public func failing(at threshold: FailLevel) -> [AuditedDependency] {
        guard let level = threshold.status else { return [] }
        return dependencies.filter { $0.twoFactor <= level }
    }

    /// Share of `count` in the total, rounded, as "71%".
    public func percent(_ count: Int) -> String {
        guard total > 0 else { return "0%" }
        let value = Double(count) * 100 / Double(total)
        if value > 0 && value < 1 { return "<1%" }
        return "\(Int(value.rounded()))%"
    }

    /// The one-line verdict: "312 dependencies: 71% from registries that require 2FA for
    /// every publisher, 4% from registries with no 2FA (CocoaPods: 9, CRAN: 4)".
    public var verdict: String {
        guard total > 0 else { return "No registry dependencies found." }
        let required = dependencies.filter { $0.twoFactor == .required }.count
        let none = byRegistry.filter { $0.worstDependencyStatus == .none && $0.count > 0 }
        let noneCount = dependencies.filter { $0.twoFactor == .none }.count
        let noun = total == 1 ? "dependency" : "dependencies"
        var line = "\(total) \(noun): \(percent(required)) from registries that require 2FA for every publisher, "
            + "\(percent(noneCount)) from registries with no 2FA"
        if !none.isEmpty {
            line += " (" + none.map { "\($0.name): \($0.count)" }.joined(separator: ", ") + ")"
        }
        return line
    }
}

/// The `--fail-on` threshold.
public enum FailLevel: String, Sendable, CaseIterable {
    /// Never fail.
    case never
    /// Fail on dependencies from registries without 2FA.
    case none
    /// Fail on `none` and `optional`.
    case optional
    /// Fail on `none`, `optional` and `available`.
    case available

    /// The highest status that fails, `nil` for never.
    public var status: TwoFactorStatus? {
        switch self {
        case .never: nil
        case .none: TwoFactorStatus.none
        case .optional: .optional
        case .available: .available
        }
    }
}
