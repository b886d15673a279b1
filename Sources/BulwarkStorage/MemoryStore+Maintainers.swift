import BulwarkCore
import Foundation

/// The in-memory state behind ``MaintainerStore`` (a stored property of ``MemoryStore``).
struct MemoryMaintainerState {
    /// package key → (package as first given, members oldest first).
    var members: [String: (package: PackageIdentifier, members: [PackageMember])] = [:]
    /// invitation id → invitation.
    var invitations: [String: Invitation] = [:]
}

extension MemoryStore: MaintainerStore {
    public func members(of id: PackageIdentifier) -> [PackageMember] { maintainerState.members[id.canonicalKey]?.members ?? [] }

    public func setMember(_ member: PackageMember, of id: PackageIdentifier) {
        var entry = maintainerState.members[id.canonicalKey] ?? (id, [])
        if let i = entry.members.firstIndex(where: { $0.account.lowercased() == member.account.lowercased() }) {
            entry.members[i].role = member.role
        } else {
            entry.members.append(member)
        }
        maintainerState.members[id.canonicalKey] = entry
    }

    public func removeMember(_ account: String, from id: PackageIdentifier, keepingAnOwner: Bool) -> MemberRemoval {
        guard var entry = maintainerState.members[id.canonicalKey],
            let i = entry.members.firstIndex(where: { $0.account.lowercased() == account.lowercased() })
        else { return .notAMember }
        if keepingAnOwner, entry.members[i].role == .owner, entry.members.filter({ $0.role == .owner }).count == 1 { return .lastOwner }
        entry.members.remove(at: i)
        maintainerState.members[id.canonicalKey] = entry.members.isEmpty ? nil : entry
        return .removed
    }

    public func memberships(of account: String) -> [(package: PackageIdentifier, role: PackageRole)] {
        maintainerState.members.values.compactMap { entry in
            entry.members.first { $0.account.lowercased() == account.lowercased() }.map { (package: entry.package, role: $0.role) }
        }.sorted { $0.package.canonicalKey < $1.package.canonicalKey }
    }

    public func createInvitation(_ invitation: Invitation) throws {
        if maintainerState.invitations[invitation.id] != nil { throw BulwarkError.conflict("an invitation with id \(invitation.id) exists") }
        let blocking = maintainerState.invitations.values.contains {
            $0.state == .pending && $0.expiresAt > invitation.createdAt && $0.package == invitation.package
                && $0.invitee.lowercased() == invitation.invitee.lowercased()
        }
        if blocking { throw BulwarkError.conflict("\(invitation.invitee) already has a pending invitation to \(invitation.package)") }
        maintainerState.invitations[invitation.id] = invitation
    }

    public func invitation(id: String) -> Invitation? { maintainerState.invitations[id] }

    public func pendingInvitations(for account: String) -> [Invitation] {
        maintainerState.invitations.values.filter { $0.state == .pending && $0.invitee.lowercased() == account.lowercased() }
            .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    public func pendingInvitations(of id: PackageIdentifier) -> [Invitation] {
        maintainerState.invitations.values.filter { $0.state == .pending && $0.package == id }
            .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    public func acceptInvitation(id: String, by account: String, at date: Date) -> Bool {
        guard var invitation = maintainerState.invitations[id], invitation.state == .pending, invitation.expiresAt > date,
            invitation.invitee.lowercased() == account.lowercased()
        else { return false }
        invitation.state = .accepted
        invitation.decidedAt = date
        maintainerState.invitations[id] = invitation
        let current = members(of: invitation.package).first { $0.account.lowercased() == account.lowercased() }
        let role = current.map { $0.role.rank >= invitation.role.rank ? $0.role : invitation.role } ?? invitation.role
        setMember(PackageMember(account: invitation.invitee, role: role, addedAt: date, addedBy: invitation.invitedBy), of: invitation.package)
        return true
    }

    public func closeInvitation(id: String, as state: Invitation.State, at date: Date) -> Bool {
        guard var invitation = maintainerState.invitations[id], invitation.state == .pending else { return false }
        invitation.state = state
        invitation.decidedAt = date
        maintainerState.invitations[id] = invitation
        return true
    }
}
