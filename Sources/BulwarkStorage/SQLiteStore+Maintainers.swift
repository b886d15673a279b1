import BulwarkCore
import Foundation

extension SQLiteStore: MaintainerStore {
    public func members(of id: PackageIdentifier) throws -> [PackageMember] {
        let rows = try connection.locked {
            try connection.query(
                "SELECT account, role, added_at, added_by FROM package_members WHERE package_key = ? ORDER BY added_at, rowid",
                [.text(id.canonicalKey)]
            )
        }
        return try rows.map { r in
            guard let account = r[0].string, let role = r[1].string.flatMap(PackageRole.init(rawValue:)), let addedAt = r[2].date else {
                throw BulwarkError.internalError("a stored member of \(id) is incomplete")
            }
            return PackageMember(account: account, role: role, addedAt: addedAt, addedBy: r[3].string)
        }
    }

    public func setMember(_ member: PackageMember, of id: PackageIdentifier) throws {
        try connection.locked { try upsertMember(member, of: id) }
    }

    /// Inserts a member or changes the role of an existing one; call holding the connection.
    private func upsertMember(_ member: PackageMember, of id: PackageIdentifier) throws {
        try connection.query("""
            INSERT INTO package_members (package_key, package, account_key, account, role, added_at, added_by) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (package_key, account_key) DO UPDATE SET role = excluded.role
            """, [
                .text(id.canonicalKey), .text(id.description), .text(member.account.lowercased()), .text(member.account),
                .text(member.role.rawValue), .date(member.addedAt), .optionalText(member.addedBy),
            ])
    }

    public func removeMember(_ account: String, from id: PackageIdentifier, keepingAnOwner: Bool) throws -> MemberRemoval {
        try connection.transaction {
            let key: [SQLiteValue] = [.text(id.canonicalKey), .text(account.lowercased())]
            guard let role = try connection.query("SELECT role FROM package_members WHERE package_key = ? AND account_key = ?", key).first?[0].string
            else { return .notAMember }
            if keepingAnOwner, role == PackageRole.owner.rawValue {
                let owners = try connection.query(
                    "SELECT COUNT(*) FROM package_members WHERE package_key = ? AND role = 'owner'", [.text(id.canonicalKey)]
                ).first?[0].int ?? 0
                if owners <= 1 { return .lastOwner }
            }
            try connection.query("DELETE FROM package_members WHERE package_key = ? AND account_key = ?", key)
            return .removed
        }
    }

    public func memberships(of account: String) throws -> [(package: PackageIdentifier, role: PackageRole)] {
        let rows = try connection.locked {
            try connection.query(
                "SELECT package, role FROM package_members WHERE account_key = ? ORDER BY package_key", [.text(account.lowercased())]
            )
        }
        return try rows.map { r in
            guard let package = r[0].string, let role = r[1].string.flatMap(PackageRole.init(rawValue:)) else {
                throw BulwarkError.internalError("a stored membership of \(account) is incomplete")
            }
            return (package: try PackageIdentifier(package), role: role)
        }
    }

    public func createInvitation(_ invitation: Invitation) throws {
        do {
            try connection.transaction {
                let pending = try connection.query(
                    "SELECT 1 FROM invitations WHERE package_key = ? AND invitee_key = ? AND state = 'pending' AND expires_at > ? LIMIT 1",
                    [.text(invitation.package.canonicalKey), .text(invitation.invitee.lowercased()), .date(invitation.createdAt)]
                )
                guard pending.isEmpty else {
                    throw BulwarkError.conflict("\(invitation.invitee) already has a pending invitation to \(invitation.package)")
                }
                try connection.query("""
                    INSERT INTO invitations (id, package_key, package, invitee_key, invitee, role, invited_by, state, created_at, expires_at, decided_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, [
                        .text(invitation.id), .text(invitation.package.canonicalKey), .text(invitation.package.description),
                        .text(invitation.invitee.lowercased()), .text(invitation.invitee), .text(invitation.role.rawValue),
                        .text(invitation.invitedBy), .text(invitation.state.rawValue), .date(invitation.createdAt), .date(invitation.expiresAt),
                        .date(invitation.decidedAt),
                    ])
            }
        } catch is SQLiteConstraintViolation {
            throw BulwarkError.conflict("an invitation with id \(invitation.id) exists")
        }
    }

    private static let invitationColumns =
        "SELECT id, package, invitee, role, invited_by, state, created_at, expires_at, decided_at FROM invitations"

    public func invitation(id: String) throws -> Invitation? {
        let rows = try connection.locked { try connection.query(Self.invitationColumns + " WHERE id = ?", [.text(id)]) }
        return try rows.first.map(Self.invitation)
    }

    public func pendingInvitations(for account: String) throws -> [Invitation] {
        let rows = try connection.locked {
            try connection.query(
                Self.invitationColumns + " WHERE invitee_key = ? AND state = 'pending' ORDER BY created_at, id", [.text(account.lowercased())]
            )
        }
        return try rows.map(Self.invitation)
    }

    public func pendingInvitations(of id: PackageIdentifier) throws -> [Invitation] {
        let rows = try connection.locked {
            try connection.query(
                Self.invitationColumns + " WHERE package_key = ? AND state = 'pending' ORDER BY created_at, id", [.text(id.canonicalKey)]
            )
        }
        return try rows.map(Self.invitation)
    }

    public func acceptInvitation(id: String, by account: String, at date: Date) throws -> Bool {
        try connection.transaction {
            try connection.query(
                "UPDATE invitations SET state = 'accepted', decided_at = ? WHERE id = ? AND state = 'pending' AND expires_at > ? AND invitee_key = ?",
                [.date(date), .text(id), .date(date), .text(account.lowercased())]
            )
            guard connection.changes == 1,
                let invitation = try connection.query(Self.invitationColumns + " WHERE id = ?", [.text(id)]).first.map(Self.invitation)
            else { return false }
            let current = try connection.query(
                "SELECT role FROM package_members WHERE package_key = ? AND account_key = ?",
                [.text(invitation.package.canonicalKey), .text(account.lowercased())]
            ).first?[0].string.flatMap(PackageRole.init(rawValue:))
            let role = current.map { $0.rank >= invitation.role.rank ? $0 : invitation.role } ?? invitation.role
            try upsertMember(PackageMember(account: invitation.invitee, role: role, addedAt: date, addedBy: invitation.invitedBy), of: invitation.package)
            return true
        }
    }

    public func closeInvitation(id: String, as state: Invitation.State, at date: Date) throws -> Bool {
        try connection.locked {
            try connection.query(
                "UPDATE invitations SET state = ?, decided_at = ? WHERE id = ? AND state = 'pending'", [.text(state.rawValue), .date(date), .text(id)]
            )
            return connection.changes == 1
        }
    }

    private static func invitation(_ r: [SQLiteValue]) throws -> Invitation {
        guard let id = r[0].string, let package = r[1].string, let invitee = r[2].string,
            let role = r[3].string.flatMap(PackageRole.init(rawValue:)), let invitedBy = r[4].string,
            let state = r[5].string.flatMap(Invitation.State.init(rawValue:)), let createdAt = r[6].date, let expiresAt = r[7].date
        else { throw BulwarkError.internalError("a stored invitation is incomplete") }
        return Invitation(
            id: id, package: try PackageIdentifier(package), invitee: invitee, role: role, invitedBy: invitedBy, state: state,
            createdAt: createdAt, expiresAt: expiresAt, decidedAt: r[8].date
        )
    }
}
