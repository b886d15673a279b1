import BulwarkCore
import BulwarkStorage
import Foundation
import HTTPTypes
import NIOCore
import Testing

@testable import BulwarkServer

/// The tier's queue and its per-package epoch guard, on a real SQLite store: a render queued before
/// a change to its own package is refused at the flush, one queued before a change to another
/// package is stored (under constant publishing elsewhere, renders still get stored).
@Suite struct StoredResponseTierTests {
    func makeTier() throws -> (StoredResponseTier, Storage) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-tier-\(UUID().uuidString)")
        let storage = try Storage.embedded(dataDirectory: dir)
        let tier = StoredResponseTier(
            store: try #require(storage.storedResponses), releasesPerPage: 100, metrics: BulwarkMetrics(), firstReadBits: 0,
            flushDelay: .seconds(3600)
        )
        return (tier, storage)
    }

    /// Looks the response up (a miss), and queues a render under the epoch the miss gave.
    func missAndKeep(_ tier: StoredResponseTier, _ package: String, _ path: String) throws {
        let (found, epoch) = tier.lookup(package: package, path: path, base: "https://registry.test")
        #expect(found == nil)
        let headers: HTTPFields = [.contentType: "application/json"]
        tier.keep(
            package: package, path: path, base: "https://registry.test", headers: headers, body: ByteBuffer(string: "{\"p\":\"\(path)\"}"),
            epoch: try #require(epoch)
        )
    }

    @Test func aChangeToAnotherPackageRefusesNoQueuedRender() async throws {
        let (tier, storage) = try makeTier()
        let a = try PackageIdentifier("test.a"), b = try PackageIdentifier("test.b")
        try await storage.releases.insert(try PublishedFixture.release(a))
        try await storage.releases.insert(try PublishedFixture.release(b))

        try missAndKeep(tier, "test.a", "list/1")
        try missAndKeep(tier, "test.b", "list/1")
        // Before the flush: test.b changes (a yank), test.a doesn't.
        #expect(try await storage.lifecycle.yank(b, version: try SemanticVersion("1.0.0"), Yank(reason: "CVE", by: "alice", at: Date())))
        await tier.flush()

        let (storedA, _) = tier.lookup(package: "test.a", path: "list/1", base: "https://registry.test")
        #expect(storedA.map { String(buffer: $0.1) } == "{\"p\":\"list/1\"}")
        let (storedB, epochB) = tier.lookup(package: "test.b", path: "list/1", base: "https://registry.test")
        #expect(storedB == nil)
        #expect(epochB == (try #require(storage.storedResponses).epoch(package: "test.b")))
        #expect(try #require(storage.storedResponses).storedResponseCount() == 1)
    }

    /// A package never written (epoch 0) and one changed many times each store under their own epoch.
    @Test func eachQueuedRenderIsCheckedAgainstItsOwnPackage() async throws {
        let (tier, storage) = try makeTier()
        let a = try PackageIdentifier("test.a")
        try await storage.releases.insert(try PublishedFixture.release(a))
        for reason in ["one", "two", "three"] {
            #expect(try await storage.lifecycle.yank(a, version: try SemanticVersion("1.0.0"), Yank(reason: reason, by: "alice", at: Date())))
            #expect(try await storage.lifecycle.unyank(a, version: try SemanticVersion("1.0.0")))
        }
        try missAndKeep(tier, "test.a", "metadata/1.0.0")
        try missAndKeep(tier, "test.fresh", "list/1")
        await tier.flush()
        #expect(try #require(storage.storedResponses).storedResponseCount() == 2)

        // Now test.a changes between its render and the flush: refused; the other is stored.
        try missAndKeep(tier, "test.a", "list/1")
        try missAndKeep(tier, "test.fresh", "list/2")
        #expect(try await storage.lifecycle.yank(a, version: try SemanticVersion("1.0.0"), Yank(reason: "four", by: "alice", at: Date())))
        await tier.flush()
        let store = try #require(storage.storedResponses)
        // test.fresh's two; test.a's metadata went with the yank.
        #expect(try store.storedResponseCount() == 2)
        #expect(try store.storedResponse(package: "test.a", path: "list/1", base: tier.variant(base: "https://registry.test")) == nil)
        #expect(try store.storedResponse(package: "test.a", path: "metadata/1.0.0", base: tier.variant(base: "https://registry.test")) == nil)
        #expect(try store.storedResponse(package: "test.fresh", path: "list/2", base: tier.variant(base: "https://registry.test")) != nil)
    }
}
