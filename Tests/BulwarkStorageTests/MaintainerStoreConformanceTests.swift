import BulwarkCore
import BulwarkStorage
import Foundation
import Testing

@Suite struct MaintainerStoreConformanceTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func invitation(
        _ id: String, _ invitee: String = "bob", _ package: String = "mona.pkg", role: PackageRole = .maintainer, at: Date? = nil
    ) throws -> Invitation {
        let created = at ?? t0
        return Invitation(
            id: id, package: try PackageIdentifier(package), invitee: invitee, role: role, invitedBy: "mona", createdAt: created,
            expiresAt: created.addingTimeInterval(7 * 86_400)
        )
    }

    @Test(arguments: Backend.allCases)
    func membersAreAddedChangedListedAndRemoved(backend: Backend) async throws {
        let store = try backend.makeStorage().maintainers
        let id = try PackageIdentifier("Mona.Pkg")
        #expect(try await store.members(of: id).isEmpty)
        try await store.setMember(PackageMember(account: "Mona", role: .owner, addedAt: t0), of: id)
        try await store.setMember(PackageMember(account: "bob", role: .maintainer, addedAt: t0 + 1, addedBy: "Mona"), of: id)
        try await store.setMember(PackageMember(account: "carol", role: .maintainer, addedAt: t0 + 2), of: try PackageIdentifier("mona.other"))
        let members = try await store.members(of: try PackageIdentifier("mona.PKG"))
        #expect(members == [
            PackageMember(account: "Mona", role: .owner, addedAt: t0),
            PackageMember(account: "bob", role: .maintainer, addedAt: t0 + 1, addedBy: "Mona"),
        ])
        // A second grant changes the role, not the position or the grantor.
        try await store.setMember(PackageMember(account: "BOB", role: .owner, addedAt: t0 + 5), of: id)
        #expect(try await store.members(of: id).map(\.role) == [.owner, .owner])
        #expect(try await store.members(of: id).map(\.account) == ["Mona", "bob"])
        let memberships = try await store.memberships(of: "bob")
        #expect(memberships.map(\.package.description) == ["Mona.Pkg"])
        #expect(memberships.map(\.role) == [.owner])
        #expect(try await store.memberships(of: "CAROL").map(\.package.description) == ["mona.other"])
        #expect(try await store.removeMember("MONA", from: id, keepingAnOwner: true) == .removed)
        #expect(try await store.removeMember("mona", from: id, keepingAnOwner: true) == .notAMember)
        #expect(try await store.members(of: id).map(\.account) == ["bob"])
        #expect(try await store.memberships(of: "mona").isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func theLastOwnerIsKeptWhenAsked(backend: Backend) async throws {
        let store = try backend.makeStorage().maintainers
        let id = try PackageIdentifier("mona.pkg")
        try await store.setMember(PackageMember(account: "mona", role: .owner, addedAt: t0), of: id)
        try await store.setMember(PackageMember(account: "bob", role: .maintainer, addedAt: t0), of: id)
        #expect(try await store.removeMember("mona", from: id, keepingAnOwner: true) == .lastOwner)
        #expect(try await store.members(of: id).count == 2)
        // A maintainer can always go; the last owner only when the caller says another owner remains.
        #expect(try await store.removeMember("bob", from: id, keepingAnOwner: true) == .removed)
        #expect(try await store.removeMember("mona", from: id, keepingAnOwner: false) == .removed)
        #expect(try await store.members(of: id).isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func ofTwoOwnersRemovingEachOtherConcurrentlyOneRemains(backend: Backend) async throws {
        for round in 0..<5 {
            let store = try backend.makeStorage().maintainers
            let id = try PackageIdentifier("race.pkg\(round)")
            try await store.setMember(PackageMember(account: "mona", role: .owner, addedAt: t0), of: id)
            try await store.setMember(PackageMember(account: "bob", role: .owner, addedAt: t0), of: id)
            async let a = store.removeMember("mona", from: id, keepingAnOwner: true)
            async let b = store.removeMember("bob", from: id, keepingAnOwner: true)
            let outcomes = [try await a, try await b]
            #expect(outcomes.filter { $0 == .removed }.count == 1)
            #expect(outcomes.filter { $0 == .lastOwner }.count == 1)
            #expect(try await store.members(of: id).filter { $0.role == .owner }.count == 1)
        }
    }

    @Test(arguments: Backend.allCases)
    func anInvitationComesBackUnchangedAndIsListedWhilePending(backend: Backend) async throws {
        let store = try backend.makeStorage().maintainers
        let inv = try invitation("i1", "Bob", "Mona.Pkg", role: .owner)
        try await store.createInvitation(inv)
        #expect(try await store.invitation(id: "i1") == inv)
        #expect(try await store.invitation(id: "nope") == nil)
        try await store.createInvitation(try invitation("i2", "carol", at: t0 + 1))
        try await store.createInvitation(try invitation("i3", "bob", "mona.other", at: t0 + 2))
        #expect(try await store.pendingInvitations(for: "BOB").map(\.id) == ["i1", "i3"])
        #expect(try await store.pendingInvitations(of: try PackageIdentifier("mona.pkg")).map(\.id) == ["i1", "i2"])
        #expect(try await store.closeInvitation(id: "i2", as: .declined, at: t0 + 3))
        #expect(try await !store.closeInvitation(id: "i2", as: .revoked, at: t0 + 4))
        #expect(try await store.invitation(id: "i2")?.state == .declined)
        #expect(try await store.invitation(id: "i2")?.decidedAt == t0 + 3)
        #expect(try await store.pendingInvitations(of: try PackageIdentifier("mona.pkg")).map(\.id) == ["i1"])
        #expect(try await store.pendingInvitations(for: "carol").isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func anAccountHasOnePendingInvitationPerPackage(backend: Backend) async throws {
        let store = try backend.makeStorage().maintainers
        try await store.createInvitation(try invitation("a"))
        for duplicate in [try invitation("b", "BOB", "MONA.PKG", role: .owner), try invitation("a", "zed", "x.y")] {
            do {
                try await store.createInvitation(duplicate)
                Issue.record("expected a conflict for \(duplicate.id)")
            } catch let error as BulwarkError {
                #expect(error.kind == .conflict)
            }
        }
        try await store.createInvitation(try invitation("c", "bob", "mona.other"))
        // Once declined, or past its expiry, the old one no longer blocks.
        #expect(try await store.closeInvitation(id: "a", as: .declined, at: t0 + 1))
        try await store.createInvitation(try invitation("d", at: t0 + 2))
        try await store.createInvitation(try invitation("e", at: t0 + 2 + 7 * 86_400))
        #expect(try await store.pendingInvitations(for: "bob").map(\.id) == ["c", "d", "e"])
    }

    @Test(arguments: Backend.allCases)
    func acceptingGrantsTheRoleOnceAndOnlyToTheInviteeBeforeExpiry(backend: Backend) async throws {
        let store = try backend.makeStorage().maintainers
        let id = try PackageIdentifier("mona.pkg")
        try await store.createInvitation(try invitation("i"))
        #expect(try await !store.acceptInvitation(id: "i", by: "mallory", at: t0 + 1))
        #expect(try await !store.acceptInvitation(id: "missing", by: "bob", at: t0 + 1))
        #expect(try await store.members(of: id).isEmpty)
        #expect(try await store.acceptInvitation(id: "i", by: "BOB", at: t0 + 2))
        #expect(try await !store.acceptInvitation(id: "i", by: "bob", at: t0 + 3))
        #expect(try await !store.closeInvitation(id: "i", as: .declined, at: t0 + 3))
        #expect(try await store.members(of: id) == [PackageMember(account: "bob", role: .maintainer, addedAt: t0 + 2, addedBy: "mona")])
        let accepted = try #require(try await store.invitation(id: "i"))
        #expect(accepted.state == .accepted)
        #expect(accepted.decidedAt == t0 + 2)

        try await store.createInvitation(try invitation("late", "carol"))
        #expect(try await !store.acceptInvitation(id: "late", by: "carol", at: t0 + 7 * 86_400))
        #expect(try await store.invitation(id: "late")?.effectiveState(at: t0 + 7 * 86_400) == .expired)
        #expect(try await store.members(of: id).map(\.account) == ["bob"])
    }

    @Test(arguments: Backend.allCases)
    func acceptingNeverLowersARole(backend: Backend) async throws {
        let store = try backend.makeStorage().maintainers
        let id = try PackageIdentifier("mona.pkg")
        try await store.createInvitation(try invitation("promote", role: .owner))
        try await store.createInvitation(try invitation("demote", "carol"))
        try await store.setMember(PackageMember(account: "bob", role: .maintainer, addedAt: t0), of: id)
        try await store.setMember(PackageMember(account: "carol", role: .owner, addedAt: t0), of: id)
        #expect(try await store.acceptInvitation(id: "promote", by: "bob", at: t0 + 1))
        #expect(try await store.acceptInvitation(id: "demote", by: "carol", at: t0 + 1))
        #expect(try await store.members(of: id).map(\.role) == [.owner, .owner])
    }

    @Test(arguments: Backend.allCases)
    func anInvitationIsAcceptedOnceEvenConcurrently(backend: Backend) async throws {
        let store = try backend.makeStorage().maintainers
        try await store.createInvitation(try invitation("race"))
        let t = t0
        let wins = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<10 {
                group.addTask {
                    if i % 3 == 2 { return (try? await store.closeInvitation(id: "race", as: .declined, at: t)) ?? false }
                    return (try? await store.acceptInvitation(id: "race", by: "bob", at: t)) ?? false
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(wins == 1)
        let state = try await store.invitation(id: "race")?.state
        #expect(try await store.members(of: try PackageIdentifier("mona.pkg")).count == (state == .accepted ? 1 : 0))
    }

    @Test func aPendingInvitationPastItsExpiryCountsAsExpired() throws {
        let inv = try invitation("x")
        #expect(inv.effectiveState(at: t0 + 60) == .pending)
        #expect(inv.effectiveState(at: inv.expiresAt) == .expired)
    }
}
