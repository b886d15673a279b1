import BulwarkAuth
import BulwarkCore
import BulwarkStorage
import Foundation
import Testing

@Suite struct ReleaseLifecycleStoreConformanceTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func release(_ id: String, _ version: String, checksum: String? = nil) throws -> Release {
        var r = try makeRelease(id, version, at: t0)
        if let checksum { r.checksum = checksum }
        return r
    }

    @Test(arguments: Backend.allCases)
    func aReleaseIsYankedReYankedAndUnyanked(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        let store = storage.lifecycle
        let id = try PackageIdentifier("Mona.LinkedList")
        let v = try SemanticVersion("1.0.0")
        #expect(try await store.yank(id, version: v, Yank(reason: "no such release", by: "alice", at: t0)) == false)
        try await storage.releases.insert(try release("Mona.LinkedList", "1.0.0+build.1"))
        try await storage.releases.insert(try release("Mona.LinkedList", "1.1.0"))

        #expect(try await store.yank(try PackageIdentifier("mona.linkedlist"), version: v, Yank(reason: "CVE-2026-1", by: "alice", at: t0)))
        #expect(try await store.yank(of: id, version: try SemanticVersion("1.0.0+other")) == Yank(reason: "CVE-2026-1", by: "alice", at: t0))
        #expect(try await store.yank(of: id, version: try SemanticVersion("1.1.0")) == nil)
        let listed = try await store.yanks(of: id)
        #expect(listed.map(\.version.description) == ["1.0.0+build.1"])

        // Yanking again replaces the reason.
        #expect(try await store.yank(id, version: v, Yank(reason: "broken build", by: "bob", at: t0 + 60)))
        #expect(try await store.yank(of: id, version: v) == Yank(reason: "broken build", by: "bob", at: t0 + 60))
        #expect(try await store.yanks(of: id).count == 1)

        #expect(try await store.unyank(id, version: v))
        #expect(try await store.yank(of: id, version: v) == nil)
        #expect(try await store.unyank(id, version: v) == false)
        #expect(try await store.unyank(id, version: try SemanticVersion("9.9.9")) == false)
        #expect(try await store.yanks(of: id).isEmpty)
        // The release itself is untouched.
        #expect(try await storage.releases.release(id, version: v) == (try release("Mona.LinkedList", "1.0.0+build.1")))
    }

    @Test(arguments: Backend.allCases)
    func aDeletedReleaseLeavesATombstoneAndItsVersionIsNeverPublishedAgain(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        let store = storage.lifecycle
        let id = try PackageIdentifier("test.pkg")
        try await storage.releases.insert(try release("Test.Pkg", "1.0.0+a"))
        try await storage.releases.insert(try release("Test.Pkg", "1.1.0"))
        _ = try await store.yank(id, version: try SemanticVersion("1.0.0"), Yank(reason: "bad", by: "alice", at: t0))

        let deleted = try #require(try await store.deleteRelease(id, version: try SemanticVersion("1.0.0"), by: "alice", at: t0 + 10))
        let expected = Tombstone(
            package: try PackageIdentifier("Test.Pkg"), version: try SemanticVersion("1.0.0+a"), checksum: String(repeating: "ab", count: 32),
            deletedBy: "alice", deletedAt: t0 + 10
        )
        #expect(deleted.tombstone == expected)
        #expect(deleted.tombstone.version.description == "1.0.0+a")
        #expect(try await storage.releases.release(id, version: try SemanticVersion("1.0.0")) == nil)
        #expect(try await storage.releases.releases(of: id).map(\.version.description) == ["1.1.0"])
        #expect(try await storage.releases.package(id)?.description == "Test.Pkg")
        #expect(try await store.yank(of: id, version: try SemanticVersion("1.0.0")) == nil)
        #expect(try await store.yanks(of: id).isEmpty)
        #expect(try await store.tombstone(of: try PackageIdentifier("TEST.pkg"), version: try SemanticVersion("1.0.0+other")) == expected)
        #expect(try await store.tombstone(of: id, version: try SemanticVersion("1.1.0")) == nil)
        #expect(try await store.tombstones(of: id) == [expected])

        // Deleting twice: nothing more to delete.
        #expect(try await store.deleteRelease(id, version: try SemanticVersion("1.0.0"), by: "bob", at: t0 + 20) == nil)
        #expect(try await store.tombstones(of: id).count == 1)

        // Publishing the version again, with any build metadata, is a conflict that says why.
        for attempt in ["1.0.0", "1.0.0+b"] {
            do {
                try await storage.releases.insert(try release("test.pkg", attempt))
                Issue.record("expected a conflict for \(attempt)")
            } catch let error as BulwarkError {
                #expect(error.kind == .conflict)
                #expect(error.detail.contains("deleted"))
            }
        }
        await #expect(throws: BulwarkError.self) {
            try await storage.releases.insertMany([try self.release("test.pkg", "2.0.0"), try self.release("test.pkg", "1.0.0")])
        }
        // All or nothing: 2.0.0 from the refused batch isn't there.
        #expect(try await storage.releases.releases(of: id).map(\.version.description) == ["1.1.0"])
        // Other versions and packages are unaffected.
        try await storage.releases.insert(try release("test.pkg", "1.0.1"))
        try await storage.releases.insert(try release("test.other", "1.0.0"))
    }

    @Test(arguments: Backend.allCases)
    func theResultSaysWhetherAnotherReleaseStillUsesTheArchive(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        let store = storage.lifecycle
        let shared = String(repeating: "cd", count: 32)
        let own = String(repeating: "ef", count: 32)
        try await storage.releases.insert(try release("test.a", "1.0.0", checksum: shared))
        try await storage.releases.insert(try release("test.b", "1.0.0", checksum: shared))
        try await storage.releases.insert(try release("test.a", "2.0.0", checksum: own))

        let first = try #require(try await store.deleteRelease(try PackageIdentifier("test.a"), version: try SemanticVersion("1.0.0"), by: "x", at: t0))
        #expect(first.archiveStillReferenced)
        let second = try #require(try await store.deleteRelease(try PackageIdentifier("test.b"), version: try SemanticVersion("1.0.0"), by: "x", at: t0))
        #expect(!second.archiveStillReferenced)

        // A pending staged release counts as a user of the archive; a rejected one doesn't.
        var staged = try release("test.a", "3.0.0", checksum: own)
        staged.checksum = own
        try await storage.policies.insertStaged(StagedRelease(id: "s1", release: staged, createdAt: t0, expiresAt: t0 + 3600))
        let third = try #require(try await store.deleteRelease(try PackageIdentifier("test.a"), version: try SemanticVersion("2.0.0"), by: "x", at: t0))
        #expect(third.archiveStillReferenced)
        _ = try await storage.policies.decide(id: "s1", from: .pending, to: .rejected, by: "x", at: t0)
        try await storage.releases.insert(try release("test.c", "1.0.0", checksum: own))
        let fourth = try #require(try await store.deleteRelease(try PackageIdentifier("test.c"), version: try SemanticVersion("1.0.0"), by: "x", at: t0))
        #expect(!fourth.archiveStillReferenced)
    }

    @Test(arguments: Backend.allCases)
    func concurrentDeletionsAndRepublishesLeaveOneTombstoneAndNoRelease(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        let id = try PackageIdentifier("test.race")
        for round in 0..<10 {
            let version = "1.0.\(round)"
            try await storage.releases.insert(try release("test.race", version))
            let (deletions, inserts) = await withTaskGroup(of: (Int, Int).self) { group in
                for i in 0..<8 {
                    group.addTask {
                        if i % 2 == 0 {
                            let result = try? await storage.lifecycle.deleteRelease(id, version: try SemanticVersion(version), by: "x", at: self.t0)
                            return (result == nil ? 0 : 1, 0)
                        }
                        do {
                            try await storage.releases.insert(try self.release("test.race", version + "+again.\(i)"))
                            return (0, 1)
                        } catch { return (0, 0) }
                    }
                }
                return await group.reduce(into: (0, 0)) { $0.0 += $1.0; $0.1 += $1.1 }
            }
            #expect(deletions == 1)
            #expect(inserts == 0)
            #expect(try await storage.releases.release(id, version: try SemanticVersion(version)) == nil)
            #expect(try await storage.lifecycle.tombstone(of: id, version: try SemanticVersion(version)) != nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func packageEventsComeBackNewestFirstPerPackage(backend: Backend) async throws {
        let store = try backend.makeStorage().lifecycle
        let id = try PackageIdentifier("Mona.LinkedList")
        let events = [
            PackageEvent(package: id, version: try SemanticVersion("1.0.0+b"), kind: .published, actor: "alice", credential: .token("t-1"), ip: "10.0.0.1", at: t0),
            PackageEvent(package: id, version: try SemanticVersion("1.0.0"), kind: .yanked, actor: "bob", credential: CredentialUse(kind: .passkey, id: "YubiKey"),
                         detail: "CVE-2026-1", ip: nil, at: t0 + 1),
            PackageEvent(package: id, version: nil, kind: .deleted, actor: "alice", credential: CredentialUse(kind: .totp), ip: "::1", at: t0 + 2),
        ]
        for e in events { try await store.recordPackageEvent(e) }
        try await store.recordPackageEvent(
            PackageEvent(package: try PackageIdentifier("test.other"), version: nil, kind: .staged, actor: "eve", credential: .token("t-2"), ip: nil, at: t0)
        )
        #expect(try await store.packageEvents(of: try PackageIdentifier("mona.linkedlist"), limit: 10) == events.reversed())
        #expect(try await store.packageEvents(of: id, limit: 2) == Array(events.reversed().prefix(2)))
        #expect(try await store.packageEvents(of: id, limit: 10).first?.credential.id == nil)
        #expect(try await store.packageEvents(of: try PackageIdentifier("test.other"), limit: 10).map(\.actor) == ["eve"])
        #expect(try await store.packageEvents(of: try PackageIdentifier("test.none"), limit: 10).isEmpty)
    }

    func published(_ id: String, _ version: String, at: Date, kind: PackageEvent.Kind = .published) throws -> PackageEvent {
        PackageEvent(
            package: try PackageIdentifier(id), version: try SemanticVersion(version), kind: kind, actor: "alice", credential: .token("t-1"),
            ip: "192.0.2.1", at: at
        )
    }

    @Test(arguments: Backend.allCases)
    func aReleaseAndItsPublishedEventLandTogether(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        let id = try PackageIdentifier("mona.linkedlist")
        let first = try published("Mona.LinkedList", "1.0.0", at: t0)
        try await storage.releases.insert(try release("Mona.LinkedList", "1.0.0"), recording: first)
        #expect(try await storage.releases.release(id, version: try SemanticVersion("1.0.0")) == (try release("Mona.LinkedList", "1.0.0")))
        #expect(try await storage.lifecycle.packageEvents(of: id, limit: 10) == [first])

        // An approval's event goes the same way; the plain insert records nothing.
        let approved = try published("Mona.LinkedList", "1.1.0+build.2", at: t0 + 5, kind: .approved)
        try await storage.releases.insert(try release("Mona.LinkedList", "1.1.0"), recording: approved)
        try await storage.releases.insert(try release("Mona.LinkedList", "1.2.0"))
        #expect(try await storage.lifecycle.packageEvents(of: id, limit: 10) == [approved, first])
        #expect(try await storage.releases.releases(of: id).count == 3)
    }

    /// A staged release and its `staged` event land together; a refused stage (the version is
    /// already waiting) records no event.
    @Test(arguments: Backend.allCases)
    func aStagedReleaseAndItsEventLandTogether(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        let id = try PackageIdentifier("test.pkg")
        let stagedEvent = try published("test.pkg", "2.0.0", at: t0, kind: .staged)
        let waiting = StagedRelease(id: "s-1", release: try release("test.pkg", "2.0.0"), createdAt: t0, expiresAt: t0 + 86_400)
        try await storage.policies.insertStaged(waiting, recording: stagedEvent)
        #expect(try await storage.policies.staged(id: "s-1")?.release.version.description == "2.0.0")
        #expect(try await storage.lifecycle.packageEvents(of: id, limit: 10) == [stagedEvent])

        let again = StagedRelease(id: "s-2", release: try release("test.pkg", "2.0.0"), createdAt: t0 + 1, expiresAt: t0 + 86_400)
        do {
            try await storage.policies.insertStaged(again, recording: try published("test.pkg", "2.0.0", at: t0 + 1, kind: .staged))
            Issue.record("expected a conflict")
        } catch let error as BulwarkError {
            #expect(error.kind == .conflict)
        }
        #expect(try await storage.policies.staged(id: "s-2") == nil)
        #expect(try await storage.lifecycle.packageEvents(of: id, limit: 10) == [stagedEvent])
        // An event about another version is refused before anything is written.
        let other = StagedRelease(id: "s-3", release: try release("test.pkg", "3.0.0"), createdAt: t0, expiresAt: t0 + 86_400)
        await #expect(throws: BulwarkError.self) {
            try await storage.policies.insertStaged(other, recording: try self.published("test.pkg", "9.0.0", at: self.t0, kind: .staged))
        }
        #expect(try await storage.policies.staged(id: "s-3") == nil)
    }

    /// A yank, an un-yank and a deletion land with their audit events (one transaction each); a
    /// change that finds nothing to change records nothing.
    @Test(arguments: Backend.allCases)
    func yankUnyankAndDeleteLandWithTheirEvents(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        let store = storage.lifecycle
        let id = try PackageIdentifier("test.pkg")
        let v = try SemanticVersion("1.0.0")
        try await storage.releases.insert(try release("Test.Pkg", "1.0.0+a"))
        try await storage.releases.insert(try release("Test.Pkg", "1.1.0"))

        // The event may name the package in another case and the version with other build metadata.
        let yanked = try published("TEST.PKG", "1.0.0+b", at: t0 + 1, kind: .yanked)
        #expect(try await store.yank(id, version: v, Yank(reason: "CVE-2026-1", by: "alice", at: t0 + 1), recording: yanked))
        #expect(try await store.yank(of: id, version: v)?.reason == "CVE-2026-1")
        #expect(try await store.packageEvents(of: id, limit: 10) == [yanked])

        let unyanked = try published("test.pkg", "1.0.0", at: t0 + 2, kind: .unyanked)
        #expect(try await store.unyank(id, version: v, recording: unyanked))
        #expect(try await store.yank(of: id, version: v) == nil)
        #expect(try await store.packageEvents(of: id, limit: 10) == [unyanked, yanked])

        let deleted = try published("test.pkg", "1.0.0", at: t0 + 3, kind: .deleted)
        let result = try #require(try await store.deleteRelease(id, version: v, by: "alice", at: t0 + 3, recording: deleted))
        #expect(result.tombstone.version.description == "1.0.0+a")
        #expect(try await storage.releases.release(id, version: v) == nil)
        #expect(try await store.packageEvents(of: id, limit: 10) == [deleted, unyanked, yanked])
        #expect(try await store.packageEvents(of: id, limit: 10).first?.kind == .deleted)
    }

    @Test(arguments: Backend.allCases)
    func yankUnyankAndDeleteThatChangeNothingRecordNothing(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        let store = storage.lifecycle
        let id = try PackageIdentifier("test.pkg")
        try await storage.releases.insert(try release("test.pkg", "1.0.0"))
        try await storage.releases.insert(try release("test.pkg", "2.0.0"))
        _ = try #require(try await store.deleteRelease(id, version: try SemanticVersion("2.0.0"), by: "alice", at: t0))

        // No such release (never published, or deleted): no yank, no event.
        let missing = try SemanticVersion("9.9.9")
        #expect(try await store.yank(id, version: missing, Yank(reason: "x", by: "alice", at: t0), recording: try published("test.pkg", "9.9.9", at: t0, kind: .yanked)) == false)
        let gone = try SemanticVersion("2.0.0")
        #expect(try await store.yank(id, version: gone, Yank(reason: "x", by: "alice", at: t0), recording: try published("test.pkg", "2.0.0", at: t0, kind: .yanked)) == false)
        #expect(try await store.yank(of: id, version: gone) == nil)
        // Not yanked: nothing to clear, no event.
        #expect(try await store.unyank(id, version: try SemanticVersion("1.0.0"), recording: try published("test.pkg", "1.0.0", at: t0, kind: .unyanked)) == false)
        #expect(try await store.unyank(id, version: missing, recording: try published("test.pkg", "9.9.9", at: t0, kind: .unyanked)) == false)
        // Nothing to delete (already deleted, or never published): nil, no event, the tombstone unchanged.
        #expect(try await store.deleteRelease(id, version: gone, by: "bob", at: t0 + 5, recording: try published("test.pkg", "2.0.0", at: t0 + 5, kind: .deleted)) == nil)
        #expect(try await store.deleteRelease(id, version: missing, by: "bob", at: t0 + 5, recording: try published("test.pkg", "9.9.9", at: t0 + 5, kind: .deleted)) == nil)
        #expect(try await store.tombstone(of: id, version: gone)?.deletedBy == "alice")
        #expect(try await store.packageEvents(of: id, limit: 10).isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func aMismatchedEventRefusesTheYankUnyankOrDeleteAndWritesNothing(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        let store = storage.lifecycle
        let id = try PackageIdentifier("test.pkg")
        let v = try SemanticVersion("1.0.0")
        try await storage.releases.insert(try release("test.pkg", "1.0.0"))
        try await storage.releases.insert(try release("test.other", "1.0.0"))
        let otherVersion = try published("test.pkg", "1.0.1", at: t0, kind: .yanked)
        let otherPackage = try published("test.other", "1.0.0", at: t0, kind: .yanked)
        let noVersion = PackageEvent(package: id, version: nil, kind: .yanked, actor: "alice", credential: .token("t-1"), ip: nil, at: t0)

        for event in [otherVersion, otherPackage, noVersion] {
            await #expect(throws: BulwarkError.self) {
                _ = try await store.yank(id, version: v, Yank(reason: "x", by: "alice", at: self.t0), recording: event)
            }
        }
        #expect(try await store.yank(of: id, version: v) == nil)

        // Yanked without an event, then a mismatched un-yank leaves the yank.
        #expect(try await store.yank(id, version: v, Yank(reason: "kept", by: "alice", at: t0)))
        for event in [otherVersion, otherPackage, noVersion] {
            await #expect(throws: BulwarkError.self) { _ = try await store.unyank(id, version: v, recording: event) }
        }
        #expect(try await store.yank(of: id, version: v)?.reason == "kept")

        for event in [otherVersion, otherPackage, noVersion] {
            await #expect(throws: BulwarkError.self) {
                _ = try await store.deleteRelease(id, version: v, by: "alice", at: self.t0, recording: event)
            }
        }
        #expect(try await storage.releases.release(id, version: v) != nil)
        #expect(try await store.tombstone(of: id, version: v) == nil)
        #expect(try await store.packageEvents(of: id, limit: 10).isEmpty)
        #expect(try await store.packageEvents(of: try PackageIdentifier("test.other"), limit: 10).isEmpty)
    }

    /// A rejection and its event land together; a second decision finds nothing and records nothing.
    @Test(arguments: Backend.allCases)
    func aRejectionAndItsEventLandTogether(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        let id = try PackageIdentifier("test.pkg")
        let waiting = StagedRelease(id: "s-9", release: try release("test.pkg", "4.0.0"), createdAt: t0, expiresAt: t0 + 86_400)
        try await storage.policies.insertStaged(waiting)
        let rejected = try published("test.pkg", "4.0.0", at: t0 + 10, kind: .rejected)
        #expect(try await storage.policies.decide(id: "s-9", from: .pending, to: .rejected, by: "alice", at: t0 + 10, recording: rejected))
        #expect(try await storage.policies.staged(id: "s-9")?.state == .rejected)
        #expect(try await storage.lifecycle.packageEvents(of: id, limit: 10) == [rejected])
        let late = try published("test.pkg", "4.0.0", at: t0 + 11, kind: .rejected)
        #expect(try await storage.policies.decide(id: "s-9", from: .pending, to: .rejected, by: "bob", at: t0 + 11, recording: late) == false)
        #expect(try await storage.lifecycle.packageEvents(of: id, limit: 10) == [rejected])
    }

    @Test(arguments: Backend.allCases)
    func aRefusedInsertRecordsNoEvent(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        let id = try PackageIdentifier("test.pkg")
        let first = try published("test.pkg", "1.0.0", at: t0)
        try await storage.releases.insert(try release("test.pkg", "1.0.0"), recording: first)

        // The version exists (SemVer precedence: build metadata ignored).
        do {
            try await storage.releases.insert(try release("TEST.PKG", "1.0.0+other"), recording: try published("TEST.PKG", "1.0.0+other", at: t0 + 1))
            Issue.record("expected a conflict")
        } catch let error as BulwarkError {
            #expect(error.kind == .conflict)
        }
        #expect(try await storage.lifecycle.packageEvents(of: id, limit: 10) == [first])

        // The version was deleted: its tombstone refuses it, with no event.
        try await storage.releases.insert(try release("test.pkg", "2.0.0"))
        _ = try #require(try await storage.lifecycle.deleteRelease(id, version: try SemanticVersion("2.0.0"), by: "alice", at: t0 + 2))
        do {
            try await storage.releases.insert(try release("test.pkg", "2.0.0"), recording: try published("test.pkg", "2.0.0", at: t0 + 3))
            Issue.record("expected a conflict")
        } catch let error as BulwarkError {
            #expect(error.kind == .conflict)
        }
        #expect(try await storage.releases.release(id, version: try SemanticVersion("2.0.0")) == nil)

        // An event about another release is refused before anything is written.
        await #expect(throws: BulwarkError.self) {
            try await storage.releases.insert(try release("test.pkg", "3.0.0"), recording: try published("test.pkg", "3.0.1", at: t0 + 4))
        }
        await #expect(throws: BulwarkError.self) {
            try await storage.releases.insert(try release("test.pkg", "3.0.0"), recording: try published("test.other", "3.0.0", at: t0 + 4))
        }
        #expect(try await storage.releases.release(id, version: try SemanticVersion("3.0.0")) == nil)
        #expect(try await storage.lifecycle.packageEvents(of: id, limit: 10) == [first])
        #expect(try await storage.lifecycle.packageEvents(of: try PackageIdentifier("test.other"), limit: 10).isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func concurrentPublishesOfOneVersionRecordOneEvent(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        let results = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<12 {
                group.addTask {
                    let event = PackageEvent(
                        package: try! PackageIdentifier("race.pkg"), version: try! SemanticVersion("1.0.0+\(i)"), kind: .published,
                        actor: "client-\(i)", credential: .token("t-\(i)"), ip: nil, at: self.t0
                    )
                    return (try? await storage.releases.insert(try self.release("race.pkg", "1.0.0+\(i)"), recording: event)) != nil
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.filter { $0 }.count == 1)
        let id = try PackageIdentifier("race.pkg")
        let events = try await storage.lifecycle.packageEvents(of: id, limit: 100)
        let stored = try #require(try await storage.releases.release(id, version: try SemanticVersion("1.0.0")))
        #expect(events.count == 1)
        // The one event is the winner's.
        #expect(events.first?.version?.description == stored.version.description)
    }

    @Test(arguments: Backend.allCases)
    func aTokenUseRecordsTimeAndAddress(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        try await storage.accounts.createAccount(Account(name: "alice", email: "a@example.com", passwordHash: nil, createdAt: t0))
        let minted = APIToken.mint()
        try await storage.tokens.insertToken(TokenRecord(
            id: "t1", hash: minted.hash, account: "alice", permissions: [.publish, .yank], packages: [try PackagePattern("test.*")],
            createdAt: t0, expiresAt: t0 + 86_400
        ))
        #expect(try await storage.tokens.token(hash: minted.hash)?.lastUsedIP == nil)
        try await storage.tokens.touchToken(id: "t1", at: t0 + 60, ip: "192.0.2.7")
        let used = try #require(try await storage.tokens.token(hash: minted.hash))
        #expect(used.lastUsedAt == t0 + 60)
        #expect(used.lastUsedIP == "192.0.2.7")
        #expect(used.permissions == [.publish, .yank])
        try await storage.tokens.touchToken(id: "t1", at: t0 + 120, ip: "2001:db8::1")
        #expect(try await storage.tokens.tokens(ofAccount: "alice").first?.lastUsedIP == "2001:db8::1")
    }
}

@Suite struct RemovableBlobStoreTests {
    @Test func aRemovedBlobIsGoneAndRemovingTwiceIsHarmless() async throws {
        let blobs = try FileBlobStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("blobs-\(UUID().uuidString)"))
        let temporary = try blobs.makeTemporaryFile()
        try Data("bytes".utf8).write(to: temporary)
        let (checksum, _) = try FileBlobStore.sha256(ofFileAt: temporary)
        try await blobs.commit(temporaryFile: temporary, checksum: checksum)
        #expect(FileManager.default.fileExists(atPath: blobs.path(forChecksum: checksum)))
        try await blobs.removeBlob(checksum: checksum)
        #expect(!FileManager.default.fileExists(atPath: blobs.path(forChecksum: checksum)))
        try await blobs.removeBlob(checksum: checksum)
        await #expect(throws: BulwarkError.self) { try await blobs.removeBlob(checksum: "../../etc/passwd") }
    }
}
