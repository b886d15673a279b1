import BulwarkCore
import BulwarkServer
import BulwarkStorage
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct ReadCacheTests {
    @Test func aPublishThroughThisServerShowsAtOnce() async throws {
        let registry = try await TestRegistry()
        let archive = try Archives.package()
        try await registry.test { client async throws in
            #expect(try await client.publish("/test/pkg/1.0.0", PublishBody(archive: archive), token: registry.token).status == .created)
            let before = try await client.execute(uri: "/test/pkg", method: .get)
            #expect((before.json["releases"] as? [String: Any])?.count == 1)
            _ = try await client.execute(uri: "/test/pkg/1.0.0", method: .get)
            #expect(try await client.publish("/test/pkg/1.1.0", PublishBody(archive: archive), token: registry.token).status == .created)
            let after = try await client.execute(uri: "/test/pkg", method: .get)
            #expect((after.json["releases"] as? [String: Any])?.count == 2)
            let metadata = try await client.execute(uri: "/test/pkg/1.0.0", method: .get)
            #expect(metadata.headers[HTTPField.Name("Link")!]?.contains("rel=\"successor-version\"") == true)
        }
    }

    @Test func aPublishThroughAnotherInstanceShowsWithinTheCacheTime() async throws {
        let clock = TestClock(Date())
        let registry = try await TestRegistry(configure: { $0.readCacheSeconds = 5 }, now: { clock.now })
        let archive = try Archives.package()
        try await registry.test { client async throws in
            #expect(try await client.publish("/test/pkg/1.0.0", PublishBody(archive: archive), token: registry.token).status == .created)
            // Read twice: a response is cached from its second read on.
            for _ in 0..<2 { #expect((try await client.execute(uri: "/test/pkg", method: .get).json["releases"] as? [String: Any])?.count == 1) }
            // Another instance writes to the shared database.
            var other = try #require(try await registry.storage.releases.release(try PackageIdentifier("test.pkg"), version: try SemanticVersion("1.0.0")))
            other.version = try SemanticVersion("2.0.0")
            try await registry.storage.releases.insert(other)
            #expect((try await client.execute(uri: "/test/pkg", method: .get).json["releases"] as? [String: Any])?.count == 1)
            clock.advance(6)
            #expect((try await client.execute(uri: "/test/pkg", method: .get).json["releases"] as? [String: Any])?.count == 2)
        }
    }

    @Test func errorsAreNotCached() async throws {
        let registry = try await TestRegistry()
        try await registry.test { client async throws in
            #expect(try await client.execute(uri: "/test/pkg", method: .get).status == .notFound)
            #expect(try await client.publish("/test/pkg/1.0.0", PublishBody(archive: try Archives.package()), token: registry.token).status == .created)
            #expect(try await client.execute(uri: "/test/pkg", method: .get).status == .ok)
        }
    }
}

@Suite struct ArchiveServingTests {
    @Test(arguments: [0.0, 5.0])
    func archivesAreServedByteForByteFromMemoryOrDisk(cacheSeconds: Double) async throws {
        let registry = try await TestRegistry(configure: { $0.readCacheSeconds = cacheSeconds })
        let archive = try Archives.package(files: [
            "Package.swift": "// swift-tools-version:5.9\nimport PackageDescription\nlet package = Package(name: \"Pkg\")\n",
            "Sources/Pkg/Big.swift": "// " + String(repeating: "x", count: 400_000) + "\n",
        ])
        try await registry.test { client async throws in
            #expect(try await client.publish("/test/pkg/1.0.0", PublishBody(archive: archive), token: registry.token).status == .created)
            for _ in 0..<2 {
                let zip = try await client.execute(uri: "/test/pkg/1.0.0.zip", method: .get)
                #expect(Array(buffer: zip.body) == archive)
                #expect(zip.headers[.contentLength] == String(archive.count))
            }
        }
    }
}
