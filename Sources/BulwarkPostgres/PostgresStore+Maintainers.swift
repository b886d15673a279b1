import BulwarkCore
import BulwarkStorage
import Foundation
import PostgresNIO

/// Package roles and invitations on PostgreSQL (tables of migration 6).
extension PostgresStore: MaintainerStore {
    public func members(of id: PackageIdentifier) async throws -> [PackageMember] {
        let rows = try await rows("""
            SELECT account, role, added_at, added_by FROM package_members WHERE package_key = \(id.canonicalKey) ORDER BY added_at, seq
            """)
        return try rows.map { row in
            let (account, roleName, addedAt, addedBy) = try row.decode((String, String, Int64, String?).self)
            guard let role = PackageRole(rawValue: roleName) else { throw BulwarkError.internalError("a stored member of \(id) is incomplete") }
            return PackageMember(account: account, role: role, addedAt: Self.date(addedAt), addedBy: addedBy)
        }
    }

    public func setMember(_ member: PackageMember, of id: PackageIdentifier) async throws {
        let logger = logger
        try await transaction { connection in
            try await Self.lock(.members, id.canonicalKey, on: connection, logger: logger)
            try await Self.upsertMember(member, of: id, keepingHigherRole: false, on: connection, logger: logger)
        }
    }

    /// Inserts a member or changes an existing member's role; with `keepingHigherRole` an owner
    /// stays owner (decided in the statement itself, so it can't race).
    private static func upsertMember(
        _ member: PackageMember, of id: PackageIdentifier, keepingHigherRole: Bool, on connection: PostgresConnection, logger: Logger
    ) async throws {
        let newRole = keepingHigherRole
            ? "CASE WHEN package_members.role = 'owner' THEN 'owner' ELSE excluded.role END"
            : "excluded.role"
        var query = PostgresQuery(unsafeSQL: """
            INSERT INTO package_members (package_key, package, account_key, account, role, added_at, added_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (package_key, account_key) DO UPDATE SET role = \(newRole)
            """)
        query.binds.append(id.canonicalKey)
        query.binds.append(id.description)
        query.binds.append(member.account.key)
        query.binds.append(member.account)
        query.binds.append(member.role.rawValue)
        query.binds.append(seconds(member.addedAt))
        query.binds.append(member.addedBy)
        try await connection.all(query, logger)
    }

    /// Under an advisory lock on the package, so two removals of its last two owners can't both
    /// see another owner left.
    public func removeMember(_ account: String, from id: PackageIdentifier, keepingAnOwner: Bool) async throws -> MemberRemoval {
        let logger = logger
        let packageKey = id.canonicalKey
        let accountKey = account.key
        return try await transaction { connection in
            try await Self.lock(.members, packageKey, on: connection, logger: logger)
            let rows = try await connection.all(
                "SELECT role FROM package_members WHERE package_key = \(packageKey) AND account_key = \(accountKey)", logger
            )
            guard let role = try rows.first?.decode(String.self) else { return .notAMember }
            if keepingAnOwner, role == PackageRole.owner.rawValue {
                let owners = try await connection.all(
                    "SELECT COUNT(*) FROM package_members WHERE package_key = \(packageKey) AND role = 'owner'", logger
                ).first?.decode(Int64.self) ?? 0
                if owners <= 1 { return .lastOwner }
            }
            try await connection.all("DELETE FROM package_members WHERE package_key = \(packageKey) AND account_key = \(accountKey)", logger)
            return .removed
        }
    }

    public func memberships(of account: String) async throws -> [(package: PackageIdentifier, role: PackageRole)] {
        let rows = try await rows("SELECT package, role FROM package_members WHERE account_key = \(account.key) ORDER BY package_key")
        return try rows.map { row in
            let (package, roleName) = try row.decode((String, String).self)
            guard let role = PackageRole(rawValue: roleName) else {
                throw BulwarkError.internalError("a stored membership of \(account) is incomplete")
            }
            return (package: try PackageIdentifier(package), role: role)
        }
    }

    /// Check and insert under an advisory lock on (package, invitee).
    public func createInvitation(_ invitation: Invitation) async throws {
        let logger = logger
        let packageKey = invitation.package.canonicalKey
        let inviteeKey = invitation.invitee.key
        do {
            try await transaction { connection in
                try await Self.lock(.invitations, packageKey + "/" + inviteeKey, on: connection, logger: logger)
                let pending = try await connection.all("""
                    SELECT 1 FROM invitations WHERE package_key = \(packageKey) AND invitee_key = \(inviteeKey) AND state = 'pending'
                        AND expires_at > \(Self.seconds(invitation.createdAt)) LIMIT 1
                    """, logger)
                guard pending.isEmpty else {
                    throw BulwarkError.conflict("\(invitation.invitee) already has a pending invitation to \(invitation.package)")
                }
                try await connection.all("""
                    INSERT INTO invitations (id, package_key, package, invitee_key, invitee, role, invited_by, state, created_at, expires_at, decided_at)
                    VALUES (\(invitation.id), \(packageKey), \(invitation.package.description), \(inviteeKey), \(invitation.invitee),
                        \(invitation.role.rawValue), \(invitation.invitedBy), \(invitation.state.rawValue), \(Self.seconds(invitation.createdAt)),
                        \(Self.seconds(invitation.expiresAt)), \(Self.seconds(invitation.decidedAt)))
                    """, logger)
            }
        } catch let error where Self.isConstraintViolation(error) {
            throw BulwarkError.conflict("an invitation with id \(invitation.id) exists")
        }
    }

    private static let invitationColumns =
        "SELECT id, package, invitee, role, invited_by, state, created_at, expires_at, decided_at FROM invitations"

    public func invitation(id: String) async throws -> Invitation? {
        var query = PostgresQuery(unsafeSQL: Self.invitationColumns + " WHERE id = $1")
        query.binds.append(id)
        return try await rows(query).first.map(Self.invitation)
    }

    public func pendingInvitations(for account: String) async throws -> [Invitation] {
        var query = PostgresQuery(unsafeSQL: Self.invitationColumns + " WHERE invitee_key = $1 AND state = 'pending' ORDER BY created_at, id")
        query.binds.append(account.key)
        return try await rows(query).map(Self.invitation)
    }

    public func pendingInvitations(of id: PackageIdentifier) async throws -> [Invitation] {
        var query = PostgresQuery(unsafeSQL: Self.invitationColumns + " WHERE package_key = $1 AND state = 'pending' ORDER BY created_at, id")
        query.binds.append(id.canonicalKey)
        return try await rows(query).map(Self.invitation)
    }

    /// A conditional UPDATE … RETURNING decides the winner (of concurrent acceptances exactly one
    /// changes the row), then the role is granted in the same transaction.
    public func acceptInvitation(id: String, by account: String, at date: Date) async throws -> Bool {
        let logger = logger
        return try await transaction { connection in
            var query = PostgresQuery(unsafeSQL: """
                UPDATE invitations SET state = 'accepted', decided_at = $1
                WHERE id = $2 AND state = 'pending' AND expires_at > $1 AND invitee_key = $3
                RETURNING id, package, invitee, role, invited_by, state, created_at, expires_at, decided_at
                """)
            query.binds.append(Self.seconds(date))
            query.binds.append(id)
            query.binds.append(account.key)
            guard let invitation = try await connection.all(query, logger).first.map(Self.invitation) else { return false }
            try await Self.lock(.members, invitation.package.canonicalKey, on: connection, logger: logger)
            try await Self.upsertMember(
                PackageMember(account: invitation.invitee, role: invitation.role, addedAt: date, addedBy: invitation.invitedBy),
                of: invitation.package, keepingHigherRole: true, on: connection, logger: logger
            )
            return true
        }
    }

    public func closeInvitation(id: String, as state: Invitation.State, at date: Date) async throws -> Bool {
        try await !rows("""
            UPDATE invitations SET state = \(state.rawValue), decided_at = \(Self.seconds(date)) WHERE id = \(id) AND state = 'pending' RETURNING 1
            """).isEmpty
    }

    private static func invitation(_ row: PostgresRow) throws -> Invitation {
        let (id, package, invitee, roleName, invitedBy, stateName, createdAt, expiresAt, decidedAt) = try row.decode(
            (String, String, String, String, String, String, Int64, Int64, Int64?).self
        )
        guard let role = PackageRole(rawValue: roleName), let state = Invitation.State(rawValue: stateName) else {
            throw BulwarkError.internalError("a stored invitation is incomplete")
        }
        return Invitation(
            id: id, package: try PackageIdentifier(package), invitee: invitee, role: role, invitedBy: invitedBy, state: state,
            createdAt: date(createdAt), expiresAt: date(expiresAt), decidedAt: date(decidedAt)
        )
    }
}
