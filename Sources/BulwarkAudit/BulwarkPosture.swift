import Foundation

/// A Swift package's security posture as a Bulwark registry publishes it
/// (`GET /api/v1/packages/{scope}/{name}/security`), for `bulwark audit --registry URL`.
public struct BulwarkPosture: Codable, Sendable, Equatable {
    public struct Policy: Codable, Sendable, Equatable {
        public var secondFactor: String
        public var publishing: String
    }

    public struct Releases: Codable, Sendable, Equatable {
        public var count: Int
        public var signed: Int
        public var latest: String?
        public var latestSigned: Bool
    }

    public struct Owner: Codable, Sendable, Equatable {
        public var username: String
        public var passkeys: Int
        public var totp: Bool
    }

    public var package: String
    public var policy: Policy
    public var owners: [Owner]
    public var ownersWithPasskeys: Int
    public var ownersWithoutSecondFactor: Int
    public var releases: Releases

    /// One line for the terminal report.
    public var summary: String {
        "\(owners.count) owner\(owners.count == 1 ? "" : "s") (\(ownersWithPasskeys) with passkeys, \(ownersWithoutSecondFactor) without a second factor); "
            + "policy: second factor \(policy.secondFactor), publishing by \(policy.publishing); "
            + "\(releases.signed) of \(releases.count) releases signed"
    }
}

/// The postures fetched from one Bulwark registry.
public struct BulwarkLookup: Sendable {
    /// The registry's base URL.
    public var registry: String
    /// Posture per lower-cased package identity.
    public var packages: [String: BulwarkPosture]

    public init(registry: String, packages: [String: BulwarkPosture]) {
        self.registry = registry
        self.packages = packages
    }
}

extension AuditReport {
    /// Swift dependencies pinned to a registry (`scope.name` identities without a Git location).
    public var registryPinnedSwiftPackages: [String] {
        Array(Set(dependencies.compactMap { item -> String? in
            let d = item.dependency
            guard d.registry == .swift, d.location == nil, d.name.contains(".") else { return nil }
            return d.name.lowercased()
        })).sorted()
    }
}
