import BulwarkCore
import BulwarkStorage
import Foundation
import Testing

/// The persistent tier of rendered read responses (SQLite only): what is stored comes back for its
/// package, path and base; every change to a package, from this store or another process, deletes
/// that package's responses and bumps the package's epoch; a store racing a change to its package
/// stores nothing, and a change to another package refuses nothing.
@Suite("Stored responses") struct StoredResponseTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let base = "https://registry.example"

    /// An embedded (SQLite) storage in a fresh directory, and that directory.
    func makeSQLite() throws -> (Storage, URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-stored-\(UUID().uuidString)")
        return (try Storage.embedded(dataDirectory: dir), dir)
    }

    func responses(of storage: Storage) throws -> any StoredResponseStore {
        try #require(storage.storedResponses)
    }

    func response(_ package: String, _ path: String, base: String? = nil, body: String? = nil) throws -> StoredResponse {
        StoredResponse(
            package: try PackageIdentifier(package).canonicalKey, path: path, base: base ?? self.base,
            headers: Array("content-type: application/json\r\ncontent-version: 1\r\n".utf8),
            body: Array((body ?? "{\"path\":\"\(path)\"}").utf8)
        )
    }

    /// The package's epoch (by identifier, as written).
    func epoch(_ store: any StoredResponseStore, _ package: String) throws -> Int64 {
        try store.epoch(package: try PackageIdentifier(package).canonicalKey)
    }

    func find(_ store: any StoredResponseStore, _ package: String, _ path: String) throws -> StoredResponse? {
        try store.storedResponse(package: try PackageIdentifier(package).canonicalKey, path: path, base: base)
    }

    func event(_ id: String, _ version: String, _ kind: PackageEvent.Kind, at: Date) throws -> PackageEvent {
        PackageEvent(
            package: try PackageIdentifier(id), version: try SemanticVersion(version), kind: kind, actor: "alice", credential: .token("t-1"),
            ip: "192.0.2.1", at: at
        )
    }

    /// The one-statement lookup a read makes: the response, or the package's current epoch when
    /// there is none for this package, path and base (a render stored under that epoch is then accepted).
    @Test func aLookupGivesTheResponseOrTheEpochToStoreUnder() async throws {
        let (storage, _) = try makeSQLite()
        let store = try responses(of: storage)
        let epoch = try epoch(store, "mona.linkedlist")
        #expect(epoch == 0)
        #expect(try store.storedResponseOrEpoch(package: "mona.linkedlist", path: "metadata/1.0.0", base: base) == .missing(epoch: epoch))
        let stored = try response("mona.LinkedList", "metadata/1.0.0")
        #expect(try store.store([stored], ifEpoch: epoch) == 1)
        #expect(try store.storedResponseOrEpoch(package: "mona.linkedlist", path: "metadata/1.0.0", base: base) == .found(stored))
        #expect(try store.storedResponseOrEpoch(package: "mona.linkedlist", path: "metadata/1.0.0", base: "https://other.example") == .missing(epoch: epoch))
        #expect(try store.storedResponseOrEpoch(package: "mona.linkedlist", path: "metadata/2.0.0", base: base) == .missing(epoch: epoch))

        try await storage.releases.insert(try makeRelease("mona.LinkedList", "1.0.0", at: t0))
        guard case .missing(let after) = try store.storedResponseOrEpoch(package: "mona.linkedlist", path: "metadata/1.0.0", base: base) else {
            Issue.record("the publish should have deleted the stored response")
            return
        }
        #expect(after > epoch)
        #expect(try store.store([stored], ifEpoch: epoch) == 0)
        #expect(try store.store([stored], ifEpoch: after) == 1)
    }

    @Test func aStoredResponseComesBackForItsPackagePathAndBaseOnly() async throws {
        let (storage, _) = try makeSQLite()
        let store = try responses(of: storage)
        #expect(try store.storedResponseCount() == 0)
        let epoch = try epoch(store, "mona.linkedlist")
        var stored = try response("Mona.LinkedList", "/mona/linkedlist/1.0.0")
        stored.headers = [0, 1, 2, 255, 13, 10]
        stored.body = Array((0...255).map { UInt8($0) }) + Array("{\"id\":\"mona.LinkedList\"}".utf8)
        #expect(try store.store([stored], ifEpoch: epoch) == 1)
        #expect(try store.storedResponseCount() == 1)

        let found = try #require(try store.storedResponse(package: "mona.linkedlist", path: "/mona/linkedlist/1.0.0", base: base))
        #expect(found == stored)
        #expect(found.package == "mona.linkedlist")
        #expect(found.headers == [0, 1, 2, 255, 13, 10])
        // Another base URL, another path, another package: nothing.
        #expect(try store.storedResponse(package: "mona.linkedlist", path: "/mona/linkedlist/1.0.0", base: "https://other.example") == nil)
        #expect(try store.storedResponse(package: "mona.linkedlist", path: "/mona/linkedlist/1.0.1", base: base) == nil)
        #expect(try store.storedResponse(package: "mona.other", path: "/mona/linkedlist/1.0.0", base: base) == nil)
        // Storing nothing stores nothing; storing for one path again replaces the response.
        #expect(try store.store([], ifEpoch: epoch) == 0)
        let replacement = try response("mona.linkedlist", "/mona/linkedlist/1.0.0", base: "https://other.example", body: "{\"v\":2}")
        #expect(try store.store([replacement], ifEpoch: epoch) == 1)
        #expect(try store.storedResponseCount() == 1)
        #expect(try store.storedResponse(package: "mona.linkedlist", path: "/mona/linkedlist/1.0.0", base: base) == nil)
        #expect(try store.storedResponse(package: "mona.linkedlist", path: "/mona/linkedlist/1.0.0", base: "https://other.example") == replacement)
        // Storing a response changes nothing a reader of the package sees: the epoch stays.
        #expect(try self.epoch(store, "mona.linkedlist") == epoch)
    }

    /// Without `@testable` the row id (`documentID`) is out of reach, so no real collision here:
    /// many paths of one package and one path of many packages are each stored and found apart.
    @Test func manyPathsOfOnePackageAndOnePathOfManyPackagesAreKeptApart() async throws {
        let (storage, _) = try makeSQLite()
        let store = try responses(of: storage)
        let paths = ["/mona/linkedlist", "/mona/linkedlist/1.0.0", "/mona/linkedlist/1.0.0/Package.swift",
                     "/mona/linkedlist/1.0.0/Package.swift?swift-version=6.0", "/mona/linkedlist?page=2"]
        let packages = ["mona.linkedlist", "mona.linkedlis", "mona.linkedlistx", "mon.alinkedlist"]
        var all: [StoredResponse] = []
        for package in packages {
            for path in paths { all.append(try response(package, path, body: "\(package) \(path)")) }
        }
        // Nothing was ever written for these packages: each is at epoch 0.
        #expect(try store.store(all, ifEpoch: 0) == all.count)
        #expect(try store.storedResponseCount() == all.count)
        for expected in all {
            #expect(try store.storedResponse(package: expected.package, path: expected.path, base: base) == expected)
        }
        // The package key and the path are separated: "a" + "b/c" is not "a/b" + "c".
        #expect(try store.storedResponse(package: "mona.linkedlist/1.0.0", path: "", base: base) == nil)
    }

    @Test func aStoreWithAStaleEpochStoresNothing() async throws {
        let (storage, _) = try makeSQLite()
        let store = try responses(of: storage)
        try await storage.releases.insert(try makeRelease("mona.linkedlist", "1.0.0", at: t0))
        let before = try epoch(store, "mona.linkedlist")
        #expect(before > 0)
        // A change to another package commits between the read and the store: refuses nothing.
        try await storage.releases.insert(try makeRelease("test.other", "1.0.0", at: t0))
        #expect(try epoch(store, "mona.linkedlist") == before)
        #expect(try epoch(store, "test.other") > 0)
        #expect(try store.store([try response("mona.linkedlist", "/mona/linkedlist")], ifEpoch: before) == 1)
        // A change to the package itself: what was rendered before it is refused (and what was
        // stored is gone).
        try await storage.releases.insert(try makeRelease("mona.linkedlist", "1.1.0", at: t0))
        #expect(try epoch(store, "mona.linkedlist") > before)
        #expect(try store.store([try response("mona.linkedlist", "/mona/linkedlist/1.0.0")], ifEpoch: before) == 0)
        #expect(try store.storedResponseCount() == 0)
        #expect(try find(store, "mona.linkedlist", "/mona/linkedlist") == nil)
        // A future epoch is refused too; the current one stores.
        let current = try epoch(store, "mona.linkedlist")
        #expect(try store.store([try response("mona.linkedlist", "/mona/linkedlist")], ifEpoch: current + 1) == 0)
        #expect(try store.store([try response("mona.linkedlist", "/mona/linkedlist")], ifEpoch: current) == 1)
        #expect(try find(store, "mona.linkedlist", "/mona/linkedlist") != nil)
        // One batch, each response with its package's epoch: only the stale one is refused.
        let batch = [
            (response: try response("mona.linkedlist", "/mona/linkedlist/1.1.0"), epoch: before),
            (response: try response("test.other", "/test/other"), epoch: try epoch(store, "test.other")),
            (response: try response("test.never", "/test/never"), epoch: Int64(0)),
        ]
        #expect(try store.store(batch) == 2)
        #expect(try find(store, "mona.linkedlist", "/mona/linkedlist/1.1.0") == nil)
        #expect(try find(store, "test.other", "/test/other") != nil)
        #expect(try find(store, "test.never", "/test/never") != nil)
    }

    enum Change: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case publish, insertMany, yank, unyank, delete, approve
        var testDescription: String { rawValue }
    }

    /// Each change to package A deletes A's stored responses (under every path and base) and bumps
    /// A's epoch; package B's responses and epoch stay.
    @Test(arguments: Change.allCases)
    func aChangeToAPackageDeletesItsStoredResponsesOnly(change: Change) async throws {
        let (storage, _) = try makeSQLite()
        let store = try responses(of: storage)
        let a = try PackageIdentifier("Mona.LinkedList")
        try await storage.releases.insert(try makeRelease("Mona.LinkedList", "1.0.0", at: t0))
        try await storage.releases.insert(try makeRelease("Mona.LinkedList", "1.1.0", at: t0))
        try await storage.releases.insert(try makeRelease("test.b", "1.0.0", at: t0))
        if change == .unyank {
            #expect(try await storage.lifecycle.yank(a, version: try SemanticVersion("1.0.0"), Yank(reason: "CVE", by: "alice", at: t0)))
        }
        if change == .approve {
            try await storage.policies.insertStaged(
                StagedRelease(id: "s-1", release: try makeRelease("Mona.LinkedList", "2.0.0", at: t0), createdAt: t0, expiresAt: t0 + 86_400),
                recording: try event("Mona.LinkedList", "2.0.0", .staged, at: t0)
            )
        }
        let aResponses = [
            try response("mona.linkedlist", "/mona/linkedlist"),
            try response("mona.linkedlist", "/mona/linkedlist/1.0.0"),
            try response("mona.linkedlist", "/mona/linkedlist/1.0.0/Package.swift", base: "https://other.example"),
        ]
        let bResponses = [try response("test.b", "/test/b"), try response("test.b", "/test/b/1.0.0")]
        let epoch = try self.epoch(store, "mona.linkedlist")
        let bEpoch = try self.epoch(store, "test.b")
        #expect(try store.store(aResponses.map { ($0, epoch) } + bResponses.map { ($0, bEpoch) }) == 5)

        switch change {
        case .publish:
            try await storage.releases.insert(try makeRelease("Mona.LinkedList", "1.2.0", at: t0 + 1), recording: try event("mona.linkedlist", "1.2.0", .published, at: t0 + 1))
        case .insertMany:
            try await storage.releases.insertMany([try makeRelease("mona.linkedlist", "1.3.0", at: t0 + 1), try makeRelease("mona.linkedlist", "1.4.0", at: t0 + 1)])
        case .yank:
            #expect(try await storage.lifecycle.yank(
                a, version: try SemanticVersion("1.0.0"), Yank(reason: "CVE-2026-1", by: "alice", at: t0 + 1),
                recording: try event("mona.linkedlist", "1.0.0", .yanked, at: t0 + 1)
            ))
        case .unyank:
            #expect(try await storage.lifecycle.unyank(a, version: try SemanticVersion("1.0.0"), recording: try event("mona.linkedlist", "1.0.0", .unyanked, at: t0 + 1)))
        case .delete:
            let deleted = try await storage.lifecycle.deleteRelease(
                a, version: try SemanticVersion("1.1.0"), by: "alice", at: t0 + 1, recording: try event("mona.linkedlist", "1.1.0", .deleted, at: t0 + 1)
            )
            #expect(deleted != nil)
        case .approve:
            // As the server approves: the staged release is decided, then published with its event.
            // Deciding alone changes nothing the read API answers.
            #expect(try await storage.policies.decide(id: "s-1", from: .pending, to: .approved, by: "alice", at: t0 + 1))
            #expect(try self.epoch(store, "mona.linkedlist") == epoch)
            #expect(try store.storedResponseCount() == 5)
            let staged = try #require(try await storage.policies.staged(id: "s-1"))
            try await storage.releases.insert(staged.release, recording: try event("mona.linkedlist", "2.0.0", .approved, at: t0 + 1))
        }

        #expect(try self.epoch(store, "mona.linkedlist") > epoch)
        #expect(try self.epoch(store, "test.b") == bEpoch)
        for gone in aResponses {
            #expect(try store.storedResponse(package: gone.package, path: gone.path, base: gone.base) == nil, "\(gone.path)")
        }
        for kept in bResponses {
            #expect(try store.storedResponse(package: kept.package, path: kept.path, base: kept.base) == kept, "\(kept.path)")
        }
        #expect(try store.storedResponseCount() == bResponses.count)
        // What was rendered before the change can't be stored after it; a fresh rendering can.
        #expect(try store.store(aResponses, ifEpoch: epoch) == 0)
        #expect(try store.store(aResponses, ifEpoch: try self.epoch(store, "mona.linkedlist")) == 3)
    }

    /// A change that changes nothing (a refused publish, a yank of no release) leaves the stored
    /// responses; a change that fails part-way leaves them too (its transaction rolled back).
    @Test func aRefusedChangeLeavesTheStoredResponses() async throws {
        let (storage, _) = try makeSQLite()
        let store = try responses(of: storage)
        let a = try PackageIdentifier("mona.linkedlist")
        try await storage.releases.insert(try makeRelease("mona.linkedlist", "1.0.0", at: t0))
        let epoch = try epoch(store, "mona.linkedlist")
        let stored = try response("mona.linkedlist", "/mona/linkedlist")
        #expect(try store.store([stored], ifEpoch: epoch) == 1)

        await #expect(throws: BulwarkError.self) { try await storage.releases.insert(try makeRelease("mona.linkedlist", "1.0.0+again", at: self.t0)) }
        await #expect(throws: BulwarkError.self) {
            try await storage.releases.insertMany([try makeRelease("mona.linkedlist", "3.0.0", at: self.t0), try makeRelease("mona.linkedlist", "1.0.0", at: self.t0)])
        }
        #expect(try await storage.lifecycle.yank(a, version: try SemanticVersion("9.9.9"), Yank(reason: "x", by: "alice", at: t0)) == false)
        #expect(try await storage.lifecycle.unyank(a, version: try SemanticVersion("1.0.0")) == false)
        #expect(try find(store, "mona.linkedlist", "/mona/linkedlist") == stored)
        #expect(try store.store([try response("mona.linkedlist", "/mona/linkedlist/1.0.0")], ifEpoch: epoch) == 1)
    }

    /// `bulwark admin yank` runs in another process with its own connection: the triggers still
    /// delete what the server stored, and the server's next store with its old epoch stores nothing.
    @Test func aYankThroughAnotherStoreOnTheSameFileInvalidates() async throws {
        let (server, dir) = try makeSQLite()
        let store = try responses(of: server)
        try await server.releases.insert(try makeRelease("mona.linkedlist", "1.0.0", at: t0))
        try await server.releases.insert(try makeRelease("test.b", "1.0.0", at: t0))
        let epoch = try epoch(store, "mona.linkedlist")
        let a = try response("mona.linkedlist", "/mona/linkedlist/1.0.0")
        let b = try response("test.b", "/test/b/1.0.0")
        #expect(try store.store([(a, epoch), (b, try self.epoch(store, "test.b"))]) == 2)

        let admin = try SQLiteStore(path: dir.appendingPathComponent("bulwark.sqlite3").path)
        // The admin's store sees the server's responses and epoch (one database).
        #expect(try admin.storedResponseCount() == 2)
        #expect(try admin.epoch(package: "mona.linkedlist") == epoch)
        let lifecycle: any ReleaseLifecycleStore = admin
        #expect(try await lifecycle.yank(
            try PackageIdentifier("mona.linkedlist"), version: try SemanticVersion("1.0.0"), Yank(reason: "CVE-2026-2", by: "root", at: t0 + 1),
            recording: try event("mona.linkedlist", "1.0.0", .yanked, at: t0 + 1)
        ))

        #expect(try self.epoch(store, "mona.linkedlist") > epoch)
        #expect(try find(store, "mona.linkedlist", "/mona/linkedlist/1.0.0") == nil)
        #expect(try find(store, "test.b", "/test/b/1.0.0") == b)
        #expect(try store.store([a], ifEpoch: epoch) == 0)
        #expect(try find(store, "mona.linkedlist", "/mona/linkedlist/1.0.0") == nil)
        // And the other way round: what the admin's store changes after the server stored, the
        // server's store sees (a delete from the server invalidates for the admin's reader too).
        #expect(try store.store([a], ifEpoch: try self.epoch(store, "mona.linkedlist")) == 1)
        #expect(try admin.storedResponse(package: "mona.linkedlist", path: a.path, base: base) == a)
        _ = try await server.lifecycle.deleteRelease(try PackageIdentifier("mona.linkedlist"), version: try SemanticVersion("1.0.0"), by: "alice", at: t0 + 2)
        #expect(try admin.storedResponse(package: "mona.linkedlist", path: a.path, base: base) == nil)
        #expect(try admin.epoch(package: "mona.linkedlist") == (try self.epoch(store, "mona.linkedlist")))
    }

    /// Stored responses and the epoch are on disk: a restarted server finds them.
    @Test func storedResponsesAndTheEpochOutliveTheStore() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-stored-\(UUID().uuidString)")
        let stored = try response("mona.linkedlist", "/mona/linkedlist")
        let epoch: Int64
        do {
            let storage = try Storage.embedded(dataDirectory: dir)
            try await storage.releases.insert(try makeRelease("mona.linkedlist", "1.0.0", at: t0))
            let store = try responses(of: storage)
            epoch = try store.epoch(package: "mona.linkedlist")
            #expect(epoch > 0)
            #expect(try store.store([stored], ifEpoch: epoch) == 1)
        }
        let reopened = try responses(of: try Storage.embedded(dataDirectory: dir))
        #expect(try reopened.epoch(package: "mona.linkedlist") == epoch)
        #expect(try reopened.storedResponse(package: stored.package, path: stored.path, base: base) == stored)
    }

    @Test func storesWithoutTriggersHaveNoStoredResponses() throws {
        let storage = try Storage.inMemory(blobDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-stored-\(UUID().uuidString)"))
        #expect(storage.storedResponses == nil)
    }

    /// Stored responses are rendered again after a move: an export leaves them (and the epoch)
    /// out, and an import into a fresh SQLite store, which has an epoch row and may have stored
    /// responses already, is not refused as "not empty"; what it had for an imported package goes.
    @Test func anExportLeavesStoredResponsesOutAndImportsIntoAStoreThatHasSome() async throws {
        let (from, _) = try makeSQLite()
        _ = try await RegistryExportTests.populate(from)
        let source = try responses(of: from)
        #expect(try source.store([try response("acme.widget", "/acme/widget"), try response("acme.widget", "/acme/widget/1.0.0")], ifEpoch: try source.epoch(package: "acme.widget")) == 2)
        let before = try await RegistryExportTests.snapshot(from)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-export-\(UUID().uuidString)")
        let exported = try await RegistryExport.export(from: try #require(from.releases as? any TableDumping), blobs: from.blobs, to: directory)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("tables").path)
        #expect(!files.contains("read_documents.json"))
        #expect(!files.contains("read_package_epochs.json"))
        #expect(files.contains("releases.json"))
        let manifest = try String(contentsOf: directory.appendingPathComponent("export.json"), encoding: .utf8)
        #expect(!manifest.contains("read_documents"))
        #expect(!manifest.contains("read_package_epochs"))
        #expect(exported.tables == files.count)

        let (to, _) = try makeSQLite()
        let target = try responses(of: to)
        // A server started on the new database before the import, and stored something.
        let early = try response("acme.widget", "/acme/widget")
        let unrelated = try response("test.unrelated", "/test/unrelated")
        #expect(try target.store([early, unrelated], ifEpoch: 0) == 2)
        let epoch = try target.epoch(package: "acme.widget")
        let imported = try await RegistryExport.import(from: directory, into: try #require(to.releases as? any TableDumping), blobs: to.blobs)
        #expect(imported == exported)
        #expect(try await RegistryExportTests.snapshot(to) == before)
        // The imported rows went in through the triggers.
        #expect(try target.epoch(package: "acme.widget") > epoch)
        #expect(try target.storedResponse(package: "acme.widget", path: "/acme/widget", base: base) == nil)
        #expect(try target.storedResponse(package: "test.unrelated", path: "/test/unrelated", base: base) == unrelated)
        // The imported registry stores responses and invalidates them on change as before.
        let after = try response("acme.widget", "/acme/widget/1.0.0")
        #expect(try target.store([after], ifEpoch: try target.epoch(package: "acme.widget")) == 1)
        #expect(try await to.lifecycle.unyank(try PackageIdentifier("acme.widget"), version: try SemanticVersion("1.0.0")))
        #expect(try target.storedResponse(package: "acme.widget", path: after.path, base: base) == nil)
    }
}
