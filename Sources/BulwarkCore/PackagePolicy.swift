import Foundation

/// What a package demands of its maintainers beyond the registry's baseline. Every package has
/// ``PackagePolicy/default`` until an owner changes it.
public struct PackagePolicy: Sendable, Equatable, Codable {
    /// Which second factors count for this package's sensitive actions.
    public enum SecondFactor: String, Sendable, Codable, CaseIterable {
        /// Any second factor the registry accepts (TOTP, passkey).
        case any
        /// Passkeys only (phishing-resistant).
        case passkey
    }

    /// What a publish with a token does.
    public enum Publishing: String, Sendable, Codable, CaseIterable {
        /// The release is created at once.
        case tokens
        /// The release is staged until a maintainer approves it.
        case approval
    }

    public var secondFactor: SecondFactor
    public var publishing: Publishing

    public init(secondFactor: SecondFactor, publishing: Publishing) {
        self.secondFactor = secondFactor
        self.publishing = publishing
    }

    public static let `default` = PackagePolicy(secondFactor: .any, publishing: .tokens)
}

/// A release published under `publishing: approval`, waiting for a maintainer's decision. It holds
/// the full release to create on approval; until then the version is invisible to consumers.
public struct StagedRelease: Sendable, Equatable {
    public enum State: String, Sendable, CaseIterable {
        case pending, approved, rejected, expired
    }

    public var id: String
    public var release: Release
    public var state: State
    public var createdAt: Date
    public var expiresAt: Date
    public var decidedBy: String?
    public var decidedAt: Date?

    public init(
        id: String, release: Release, state: State = .pending, createdAt: Date, expiresAt: Date, decidedBy: String? = nil,
        decidedAt: Date? = nil
    ) {
        self.id = id
        self.release = release
        self.state = state
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.decidedBy = decidedBy
        self.decidedAt = decidedAt
    }

    /// The state as of `now`: a pending release past its expiry counts as expired.
    public func effectiveState(at now: Date) -> State {
        state == .pending && now >= expiresAt ? .expired : state
    }
}
