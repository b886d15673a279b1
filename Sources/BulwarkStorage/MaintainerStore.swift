import BulwarkCore
import Foundation

/// A role on one package. The scope's owners are owners of every package in it without a stored
/// role; the roles stored here are granted per package, by invitation.
public enum PackageRole: String, Sendable, Codable, CaseIterable {
    /// Manages maintainers and the policy, and does everything a maintainer does.
    case owner
    /// Publishes the package (with tokens) and approves or rejects its staged releases.
    case maintainer

    /// Higher is more: owner > maintainer.
    public var rank: Int { self == .owner ? 1 : 0 }
}

/// An account's stored role on a package.
public struct PackageMember: Sendable, Equatable {
    public var account: String
    public var role: PackageRole
    public var addedAt: Date
    /// Who invited them (nil when the operator added them).
    public var addedBy: String?

    public init(account: String, role: PackageRole, addedAt: Date, addedBy: String? = nil) {
        self.account = account
        self.role = role
        self.addedAt = addedAt
        self.addedBy = addedBy
    }
}

/// An owner's offer of a role on a package to another account. Single use: it is accepted,
/// declined or revoked once, and counts as expired (unusable) from `expiresAt`.
public struct Invitation: Sendable, Equatable {
    public enum State: String, Sendable, CaseIterable {
        case pending, accepted, declined, revoked, expired
    }

    public var id: String
    public var package: PackageIdentifier
    public var invitee: String
    public var role: PackageRole
    public var invitedBy: String
    public var state: State
    public var createdAt: Date
    public var expiresAt: Date
    public var decidedAt: Date?

    public init(
        id: String, package: PackageIdentifier, invitee: String, role: PackageRole, invitedBy: String, state: State = .pending,
        createdAt: Date, expiresAt: Date, decidedAt: Date? = nil
    ) {
        self.id = id
        self.package = package
        self.invitee = invitee
        self.role = role
        self.invitedBy = invitedBy
        self.state = state
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.decidedAt = decidedAt
    }

    /// The state as of `now`: a pending invitation past its expiry counts as expired.
    public func effectiveState(at now: Date) -> State {
        state == .pending && now >= expiresAt ? .expired : state
    }
}

/// What ``MaintainerStore/removeMember(_:from:keepingAnOwner:)`` did.
public enum MemberRemoval: String, Sendable, Equatable {
    case removed
    /// The account has no stored role on the package.
    case notAMember
    /// Refused: it is the package's last stored owner and `keepingAnOwner` was set.
    case lastOwner
}

/// Per-package roles (owner, maintainer) and the invitations that grant them.
///
/// Every check that guards a rule is atomic in the store: an invitation is accepted at most once
/// (even concurrently), and removing the last owner is refused in the same step that would remove it.
public protocol MaintainerStore: Sendable {
    /// The package's stored members (not its scope's owners), oldest first. Account names compare
    /// case-insensitively; package identifiers too.
    func members(of id: PackageIdentifier) async throws -> [PackageMember]
    /// Adds a member or changes an existing member's role (the operator, imports, tests).
    func setMember(_ member: PackageMember, of id: PackageIdentifier) async throws
    /// Removes a member. With `keepingAnOwner`, refuses (`.lastOwner`, nothing changed) to remove
    /// the last stored owner; the check and the delete are one step.
    func removeMember(_ account: String, from id: PackageIdentifier, keepingAnOwner: Bool) async throws -> MemberRemoval
    /// The packages on which `account` has a stored role, with the role, sorted by package.
    func memberships(of account: String) async throws -> [(package: PackageIdentifier, role: PackageRole)]

    /// Stores a new pending invitation. Throws a `.conflict` ``BulwarkError`` if the same account has
    /// a pending invitation to the same package that has not expired at `invitation.createdAt`, or
    /// if the id exists.
    func createInvitation(_ invitation: Invitation) async throws
    /// One invitation, whatever its state.
    func invitation(id: String) async throws -> Invitation?
    /// Invitations in state `pending` (expired or not) addressed to `account`, oldest first.
    func pendingInvitations(for account: String) async throws -> [Invitation]
    /// Invitations in state `pending` (expired or not) to the package, oldest first.
    func pendingInvitations(of id: PackageIdentifier) async throws -> [Invitation]
    /// Accepts a pending invitation addressed to `account` that has not expired at `date`, and grants
    /// its role, in one step: of concurrent acceptances exactly one returns true. Accepting never
    /// lowers a role (an owner invited as maintainer stays owner). False if the invitation is
    /// unknown, decided, expired or addressed to someone else; then nothing changes.
    func acceptInvitation(id: String, by account: String, at date: Date) async throws -> Bool
    /// Moves a pending invitation to `declined` or `revoked`; false if it was not pending.
    func closeInvitation(id: String, as state: Invitation.State, at date: Date) async throws -> Bool
}

/// Stands in for a backend that has no maintainer store yet: nobody has a stored role, and
/// granting one fails with a clear error.
public struct UnsupportedMaintainerStore: MaintainerStore {
    public init() {}
    static var unsupported: BulwarkError { .internalError("this storage backend doesn't store package maintainers yet") }
    public func members(of id: PackageIdentifier) -> [PackageMember] { [] }
    public func setMember(_ member: PackageMember, of id: PackageIdentifier) throws { throw Self.unsupported }
    public func removeMember(_ account: String, from id: PackageIdentifier, keepingAnOwner: Bool) -> MemberRemoval { .notAMember }
    public func memberships(of account: String) -> [(package: PackageIdentifier, role: PackageRole)] { [] }
    public func createInvitation(_ invitation: Invitation) throws { throw Self.unsupported }
    public func invitation(id: String) -> Invitation? { nil }
    public func pendingInvitations(for account: String) -> [Invitation] { [] }
    public func pendingInvitations(of id: PackageIdentifier) -> [Invitation] { [] }
    public func acceptInvitation(id: String, by account: String, at date: Date) -> Bool { false }
    public func closeInvitation(id: String, as state: Invitation.State, at date: Date) -> Bool { false }
}
