import BulwarkCore
import BulwarkServer
import BulwarkStorage
import BulwarkTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

@testable import BulwarkServer

/// The database tier under the memory read cache, through the routes: `200`s of release lists,
/// release metadata and manifests are stored after a render and served again unchanged, never
/// outlive a change to their package (made through this server or another process on the same
/// data directory), are never served to another host, and errors are never stored. The memory
/// cache is off (`readCacheSeconds = 0`) so that every read reaches the stored tier, and responses
/// are stored from their first read (`storedResponseFirstReadBits = 0`) unless a test says otherwise.
@Suite struct StoredResponseRouteTests {
    static let link = HTTPField.Name("Link")!
    static let contentVersion = HTTPField.Name("Content-Version")!
    static let headersThatMatter: [HTTPField.Name] = [.contentType, link, .contentDisposition, .cacheControl, contentVersion, .contentLength]

    static func everyReadReachesTheStore(_ configuration: inout ServerConfiguration) {
        configuration.readCacheSeconds = 0
        configuration.storedResponseFirstReadBits = 0
        configuration.storedResponseFlushSeconds = 0.02
    }

    /// As shipped, a response read once is not stored (a crawl stores nothing); its second read stores it.
    @Test func aResponseIsStoredFromItsSecondRead() async throws {
        let registry = try await TestRegistry(configure: {
            $0.readCacheSeconds = 0
            $0.storedResponseFlushSeconds = 0.02
        })
        let archive = try Archives.package()
        try await registry.test { client async throws in
            try await publish(client, registry, "1.0.0", archive: archive)
            let first = try await get(client, "/test/pkg/1.0.0")
            #expect(first.status == .ok)
            try await Task.sleep(for: .milliseconds(150))
            #expect(try store(registry).storedResponseCount() == 0)
            expectSame(first, try await get(client, "/test/pkg/1.0.0"), "second read")
            #expect(try await waitForStored(registry, atLeast: 1) == 1)
            expectSame(first, try await get(client, "/test/pkg/1.0.0"), "from the store")
        }
    }

    /// `/metrics` counts the tier's hits, misses and stored responses.
    @Test func metricsCountHitsMissesAndStores() async throws {
        let registry = try await TestRegistry(configure: {
            Self.everyReadReachesTheStore(&$0)
            $0.metricsToken = "metrics-token-0123456789abcdef"
        })
        let archive = try Archives.package()
        try await registry.test { client async throws in
            try await publish(client, registry, "1.0.0", archive: archive)
            #expect(try await get(client, "/test/pkg/1.0.0").status == .ok)
            #expect(try await waitForStored(registry, atLeast: 1) == 1)
            #expect(try await get(client, "/test/pkg/1.0.0").status == .ok)
            #expect(try await get(client, "/test/pkg/1.0.0").status == .ok)
            let metrics = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer metrics-token-0123456789abcdef"])
            let lines = String(buffer: metrics.body).split(separator: "\n").map(String.init)
            #expect(lines.contains(#"bulwark_stored_responses_total{result="miss"} 1"#))
            #expect(lines.contains(#"bulwark_stored_responses_total{result="stored"} 1"#))
            #expect(lines.contains(#"bulwark_stored_responses_total{result="hit"} 2"#))
        }
    }

    func store(_ registry: TestRegistry) throws -> any StoredResponseStore {
        try #require(registry.storage.storedResponses)
    }

    /// Waits up to 10 s (a loaded machine running the whole suite is slow) for the stored responses to number at least `count` (the tier writes ~20 ms
    /// after a render, off the request path); returns the last count seen.
    @discardableResult
    func waitForStored(_ registry: TestRegistry, atLeast count: Int) async throws -> Int {
        let store = try store(registry)
        var seen = try store.storedResponseCount()
        let deadline = ContinuousClock.now + .seconds(10)
        while seen < count, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
            seen = try store.storedResponseCount()
        }
        return seen
    }

    /// Lets any write the tier could have queued happen (several flush delays).
    func settle() async throws { try await Task.sleep(for: .milliseconds(200)) }

    /// The base a response is stored under for `base` (the tier adds its rendering version and page size).
    func variant(_ registry: TestRegistry, base: String = "https://registry.test") -> String {
        "v\(StoredResponseTier.renderingVersion) \(registry.configuration.releasesPerPage) \(base)"
    }

    func get(_ client: some TestClientProtocol, _ uri: String, method: HTTPRequest.Method = .get) async throws -> TestResponse {
        try await client.execute(uri: uri, method: method, headers: [.accept: "application/vnd.swift.registry.v1+json"])
    }

    func expectSame(_ a: TestResponse, _ b: TestResponse, _ uri: String, body: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.status == b.status, "\(uri)", sourceLocation: sourceLocation)
        if body { #expect(Array(buffer: a.body) == Array(buffer: b.body), "\(uri)", sourceLocation: sourceLocation) }
        for name in Self.headersThatMatter {
            #expect(a.headers[name] == b.headers[name], "\(uri) \(name)", sourceLocation: sourceLocation)
        }
    }

    func releases(_ response: TestResponse) -> [String: Any] { response.json["releases"] as? [String: Any] ?? [:] }

    func publish(_ client: some TestClientProtocol, _ registry: TestRegistry, _ version: String, archive: [UInt8]) async throws {
        let published = try await client.publish("/test/pkg/\(version)", PublishBody(archive: archive), token: registry.token)
        #expect(published.status == .created, "\(published.text)")
    }

    // MARK: 1. Stored and served again unchanged

    @Test func aRenderedListMetadataOrManifestIsStoredAndServedAgainUnchanged() async throws {
        let registry = try await TestRegistry(configure: { Self.everyReadReachesTheStore(&$0) })
        let archive = try Archives.withAlternateManifest()
        try await registry.test { client async throws in
            try await publish(client, registry, "1.0.0", archive: archive)
            try await publish(client, registry, "1.1.0", archive: archive)
            #expect(try store(registry).storedResponseCount() == 0)

            // `1.0.0.json` is the same response as `1.0.0`: it shares its row.
            let uris = [
                ("/test/pkg", true), ("/test/pkg/1.0.0", true), ("/test/pkg/1.0.0.json", false), ("/test/pkg/1.0.0/Package.swift", true),
                ("/test/pkg/1.0.0/Package.swift?swift-version=6.0", true),
            ]
            var expected = 0
            for (uri, newRow) in uris {
                let first = try await get(client, uri)
                #expect(first.status == .ok, "\(uri): \(first.text)")
                if newRow { expected += 1 }
                #expect(try await waitForStored(registry, atLeast: expected) == expected, "\(uri) was not stored")
                let second = try await get(client, uri)
                expectSame(first, second, uri)
                // A HEAD from the stored response has the same status and headers.
                expectSame(first, try await get(client, uri, method: .head), uri + " (HEAD)", body: false)
                // Served from the store: no second copy.
                try await settle()
                #expect(try store(registry).storedResponseCount() == expected, "\(uri)")
            }
            // The headers that matter are really there (so the comparisons above compared something).
            let list = try await get(client, "/test/pkg")
            #expect(list.headers[.contentType] == "application/json")
            #expect(list.headers[Self.link]?.contains("<https://registry.test/test/pkg/1.1.0>; rel=\"latest-version\"") == true)
            let metadata = try await get(client, "/test/pkg/1.0.0")
            #expect(metadata.headers[Self.link]?.contains("rel=\"successor-version\"") == true)
            #expect(metadata.json["version"] as? String == "1.0.0")
            let manifest = try await get(client, "/test/pkg/1.0.0/Package.swift")
            #expect(manifest.headers[.contentType] == "text/x-swift")
            #expect(manifest.headers[.contentDisposition] == "attachment; filename=\"Package.swift\"")
            #expect(manifest.headers[Self.link]?.contains("swift-tools-version=\"6.0\"") == true)
            #expect(manifest.text.contains("swift-tools-version:5.9"))
            let alternate = try await get(client, "/test/pkg/1.0.0/Package.swift?swift-version=6.0")
            #expect(alternate.headers[.contentDisposition] == "attachment; filename=\"Package@swift-6.0.swift\"")
        }
    }

    /// An archive's bytes are never stored in the database: its row holds the download's headers
    /// and the checksum (what finding the file needs), so a download that misses the memory cache
    /// skips the release's row. Identifier lookups span packages: never stored.
    @Test func anArchiveStoresItsHeadersAndChecksumOnlyAndLookupsNothing() async throws {
        let registry = try await TestRegistry(configure: { Self.everyReadReachesTheStore(&$0) })
        let archive = try Archives.package()
        try await registry.test { client async throws in
            try await publish(client, registry, "1.0.0", archive: archive)
            let first = try await client.execute(uri: "/test/pkg/1.0.0.zip", method: .get)
            #expect(first.status == .ok)
            #expect(Array(buffer: first.body) == archive)
            #expect(try await waitForStored(registry, atLeast: 1) == 1)
            let row = try #require(try store(registry).storedResponse(package: "test.pkg", path: "archive/1.0.0", base: variant(registry, base: "")))
            #expect(row.body.count == 64, "the checksum, not the archive")
            for _ in 0..<2 {
                let again = try await client.execute(uri: "/test/pkg/1.0.0.zip", method: .get)
                expectSame(first, again, "/test/pkg/1.0.0.zip")
                #expect(again.headers[.digest] == first.headers[.digest])
                _ = try await client.execute(uri: "/identifiers?url=https://github.com/test/pkg", method: .get)
            }
            try await settle()
            #expect(try store(registry).storedResponseCount() == 1)
            // Any change to the package deletes the row (the triggers don't tell downloads apart).
            try await publish(client, registry, "1.1.0", archive: archive)
            #expect(try store(registry).storedResponseCount() == 0)
        }
    }

    /// Proves the second read comes from the stored row (not a render that happens to be equal): a
    /// row changed behind the server's back is what it serves — until the package changes.
    @Test func theStoredRowIsWhatIsServedUntilThePackageChanges() async throws {
        let registry = try await TestRegistry(configure: { Self.everyReadReachesTheStore(&$0) })
        let archive = try Archives.package()
        try await registry.test { client async throws in
            try await publish(client, registry, "1.0.0", archive: archive)
            #expect(try await get(client, "/test/pkg").status == .ok)
            try await waitForStored(registry, atLeast: 1)
            let store = try store(registry)
            var row = try #require(try store.storedResponse(package: "test.pkg", path: "list/1", base: variant(registry)))
            let marker = #"{"releases":{"9.9.9":{"url":"https://registry.test/test/pkg/9.9.9"}}}"#
            row.body = Array(marker.utf8)
            #expect(try store.store([row], ifEpoch: try store.epoch(package: "test.pkg")) == 1)
            let served = try await get(client, "/test/pkg")
            #expect(served.status == .ok)
            #expect(served.text == marker)
            #expect(served.headers[.contentType] == "application/json")

            try await publish(client, registry, "1.1.0", archive: archive)
            #expect(try store.storedResponseCount() == 0)
            let fresh = try await get(client, "/test/pkg")
            #expect(Set(releases(fresh).keys) == ["1.0.0", "1.1.0"])
        }
    }

    // MARK: 2. Changes through this server

    @Test func aPublishYankUnyankAndDeleteEachShowOnTheNextRead() async throws {
        let fixture = LifecycleFixture()
        let registry = try await fixture.registry { Self.everyReadReachesTheStore(&$0) }
        try await registry.test { client async throws in
            let cast = try await fixture.cast(client, registry)
            let list = "/mona/pkg"
            let metadata = "/mona/pkg/1.0.0"
            let latestOf = { (response: TestResponse) in response.headers[Self.link] ?? "" }
            /// Reads the list and the metadata twice, the second time from the store.
            func readAndStore() async throws -> (list: TestResponse, metadata: TestResponse) {
                let before = try store(registry).storedResponseCount()
                let l = try await get(client, list)
                let m = try await get(client, metadata)
                #expect(l.status == .ok && m.status == .ok)
                #expect(try await waitForStored(registry, atLeast: before + 2) >= before + 2)
                let l2 = try await get(client, list)
                let m2 = try await get(client, metadata)
                expectSame(l, l2, list)
                expectSame(m, m2, metadata)
                return (l2, m2)
            }

            var (l, m) = try await readAndStore()
            #expect(Set(releases(l).keys) == ["1.0.0", "1.1.0"])
            #expect(latestOf(l).contains("/mona/pkg/1.1.0>; rel=\"latest-version\""))

            // Publish 1.2.0: listed, the latest-version link moves, 1.0.0's metadata links change too.
            let archive = try Archives.package(root: "mona.pkg")
            let published = try await client.publish("/mona/pkg/1.2.0", PublishBody(archive: archive), token: cast.publishToken)
            #expect(published.status == .created, "\(published.text)")
            (l, m) = try await readAndStore()
            #expect(Set(releases(l).keys) == ["1.0.0", "1.1.0", "1.2.0"])
            #expect(latestOf(l).contains("/mona/pkg/1.2.0>; rel=\"latest-version\""))
            #expect(latestOf(m).contains("/mona/pkg/1.2.0>; rel=\"latest-version\""))

            // Yank 1.0.0: the problem shows in the list and the metadata.
            let yank = try await client.withToken(cast.yankToken, .post, "/api/v1/packages/mona/pkg/releases/1.0.0/yank", json: ["reason": "broken"])
            #expect(yank.status == .ok, "\(yank.text)")
            (l, m) = try await readAndStore()
            #expect(((releases(l)["1.0.0"] as? [String: Any])?["problem"] as? [String: Any])?["detail"] as? String == "broken")
            #expect((m.json["problem"] as? [String: Any])?["status"] as? Int == 410)

            // Unyank: the problem is gone again.
            #expect(try await client.withToken(cast.yankToken, .post, "/api/v1/packages/mona/pkg/releases/1.0.0/unyank").status == .ok)
            (l, m) = try await readAndStore()
            #expect((releases(l)["1.0.0"] as? [String: Any])?["problem"] == nil)
            #expect(m.json["problem"] == nil)

            // Delete 1.2.0 (an owner with a fresh factor): marked gone in the list, its metadata is a
            // 410, and the latest-version link falls back to 1.1.0.
            let latestMetadata = try await get(client, "/mona/pkg/1.2.0")
            #expect(latestMetadata.status == .ok)
            // Its download too: the archive's stored row must not outlive the release.
            #expect(try await client.execute(uri: "/mona/pkg/1.2.0.zip", method: .get).status == .ok)
            #expect(try await waitForStored(registry, atLeast: 1) >= 1)
            #expect(try await client.execute(uri: "/mona/pkg/1.2.0.zip", method: .get).status == .ok)
            try await fixture.stepUp(cast.mona, cast.monaTOTP)
            let deleted = try await cast.mona.send(.delete, "/api/v1/packages/mona/pkg/releases/1.2.0")
            #expect(deleted.status == .ok, "\(deleted.text)")
            (l, m) = try await readAndStore()
            #expect(((releases(l)["1.2.0"] as? [String: Any])?["problem"] as? [String: Any])?["status"] as? Int == 410)
            #expect(latestOf(l).contains("/mona/pkg/1.1.0>; rel=\"latest-version\""))
            #expect(latestOf(m).contains("/mona/pkg/1.1.0>; rel=\"latest-version\""))
            #expect(!latestOf(m).contains("1.2.0"))
            #expect(try await get(client, "/mona/pkg/1.2.0").status == .gone)
            #expect(try await get(client, "/mona/pkg/1.2.0/Package.swift").status == .gone)
            #expect(try await client.execute(uri: "/mona/pkg/1.2.0.zip", method: .get).status == .gone)
        }
    }

    /// Package names are case-insensitive: a list read as `/TEST/Pkg` is stored under the package's
    /// canonical key, so a publish deletes it too.
    @Test func aReadInAnotherCaseIsInvalidatedToo() async throws {
        let registry = try await TestRegistry(configure: { Self.everyReadReachesTheStore(&$0) })
        let archive = try Archives.package()
        try await registry.test { client async throws in
            try await publish(client, registry, "1.0.0", archive: archive)
            #expect(try await get(client, "/TEST/Pkg").status == .ok)
            #expect(try await get(client, "/Test/PKG/1.0.0").status == .ok)
            try await waitForStored(registry, atLeast: 2)
            try await publish(client, registry, "1.1.0", archive: archive)
            #expect(Set(releases(try await get(client, "/TEST/Pkg")).keys) == ["1.0.0", "1.1.0"])
            #expect(try await get(client, "/Test/PKG/1.0.0").headers[Self.link]?.contains("/test/pkg/1.1.0>; rel=\"latest-version\"") == true)
        }
    }

    /// Reads racing publishes: whatever was rendered before a publish committed must not be stored
    /// after it (the epoch guard), so once the publish has answered and the queued writes are done,
    /// every read shows the new version.
    @Test func readsRacingAPublishNeverLeaveAStaleStoredResponse() async throws {
        let registry = try await TestRegistry(configure: { Self.everyReadReachesTheStore(&$0) })
        let archive = try Archives.package()
        let token = registry.token
        try await registry.test { client async throws in
            try await publish(client, registry, "1.0.0", archive: archive)
            var expected: Set<String> = ["1.0.0"]
            for minor in 1...8 {
                let version = "1.\(minor).0"
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for i in 0..<16 {
                        group.addTask {
                            let uri = i.isMultiple(of: 2) ? "/test/pkg" : "/test/pkg/1.0.0"
                            _ = try await client.execute(uri: uri, method: .get, headers: [.accept: "application/vnd.swift.registry.v1+json"])
                        }
                    }
                    group.addTask {
                        let published = try await client.publish("/test/pkg/\(version)", PublishBody(archive: archive), token: token)
                        #expect(published.status == .created, "\(published.text)")
                    }
                    try await group.waitForAll()
                }
                expected.insert(version)
                try await settle()
                for _ in 0..<2 {
                    #expect(Set(releases(try await get(client, "/test/pkg")).keys) == expected, "after publishing \(version)")
                    let link = try await get(client, "/test/pkg/1.0.0").headers[Self.link] ?? ""
                    #expect(link.contains("/test/pkg/\(version)>; rel=\"latest-version\""), "after publishing \(version): \(link)")
                }
            }
        }
    }

    // MARK: 3. Changes through another process

    @Test func aChangeThroughAnotherStoreOnTheSameDataDirectoryShowsOnTheNextRead() async throws {
        let registry = try await TestRegistry(configure: { Self.everyReadReachesTheStore(&$0) })
        let archive = try Archives.package()
        let id = try PackageIdentifier("test.pkg")
        let v1 = try SemanticVersion("1.0.0")
        try await registry.test { client async throws in
            try await publish(client, registry, "1.0.0", archive: archive)
            try await publish(client, registry, "1.1.0", archive: archive)
            func storeBoth() async throws {
                #expect(try await get(client, "/test/pkg").status == .ok)
                #expect(try await get(client, "/test/pkg/1.0.0").status == .ok)
                #expect(try await waitForStored(registry, atLeast: 2) == 2)
            }
            try await storeBoth()

            // The admin CLI: its own SQLiteStore on the same file.
            let admin = try Storage.embedded(dataDirectory: registry.directory)
            #expect(try await admin.lifecycle.yank(id, version: v1, Yank(reason: "yanked by the admin CLI", by: "alice", at: Date())))
            #expect(try store(registry).storedResponseCount() == 0)
            let list = try await get(client, "/test/pkg")
            #expect(((releases(list)["1.0.0"] as? [String: Any])?["problem"] as? [String: Any])?["detail"] as? String == "yanked by the admin CLI")
            let metadata = try await get(client, "/test/pkg/1.0.0")
            #expect((metadata.json["problem"] as? [String: Any])?["detail"] as? String == "yanked by the admin CLI")
            try await waitForStored(registry, atLeast: 2)

            #expect(try await admin.lifecycle.unyank(id, version: v1))
            #expect((releases(try await get(client, "/test/pkg"))["1.0.0"] as? [String: Any])?["problem"] == nil)
            #expect(try await get(client, "/test/pkg/1.0.0").json["problem"] == nil)
            try await waitForStored(registry, atLeast: 2)

            // Another instance inserts 2.0.0.
            var other = try #require(try await admin.releases.release(id, version: try SemanticVersion("1.1.0")))
            other.version = try SemanticVersion("2.0.0")
            try await admin.releases.insert(other)
            let afterInsert = try await get(client, "/test/pkg")
            #expect(Set(releases(afterInsert).keys) == ["1.0.0", "1.1.0", "2.0.0"])
            #expect(afterInsert.headers[Self.link]?.contains("/test/pkg/2.0.0>; rel=\"latest-version\"") == true)
            #expect(try await get(client, "/test/pkg/1.0.0").headers[Self.link]?.contains("/test/pkg/2.0.0>; rel=\"latest-version\"") == true)
            try await waitForStored(registry, atLeast: 2)

            // ... and deletes 1.0.0.
            #expect(try await admin.lifecycle.deleteRelease(id, version: v1, by: "alice", at: Date()) != nil)
            #expect(((releases(try await get(client, "/test/pkg"))["1.0.0"] as? [String: Any])?["problem"] as? [String: Any])?["status"] as? Int == 410)
            #expect(try await get(client, "/test/pkg/1.0.0").status == .gone)
        }
    }

    // MARK: 4. Another host

    @Test func anotherHostNeverGetsLinksRenderedForTheFirst() async throws {
        let registry = try await TestRegistry(configure: {
            Self.everyReadReachesTheStore(&$0)
            $0.baseURL = nil
        })
        let archive = try Archives.package()
        let token = registry.token
        try await registry.liveClient { client async throws in
            let published = try await client.publish("/test/pkg/1.0.0", PublishBody(archive: archive), token: token)
            #expect(published.status == .created, "\(published.text)")
            let port = try #require(client.port)
            let read = { @Sendable (uri: String, host: String) async throws -> RawResponse in
                try await onThread {
                    let connection = try RawConnection(port: port)
                    let request = "GET \(uri) HTTP/1.1\r\nHost: \(host)\r\nAccept: application/vnd.swift.registry.v1+json\r\nConnection: close\r\n\r\n"
                    return try #require(connection.request(request))
                }
            }
            for uri in ["/test/pkg", "/test/pkg/1.0.0"] {
                let a = try await read(uri, "a.example")
                #expect(a.status == 200, "\(a.text)")
                #expect(a.headers["link"]?.contains("http://a.example/test/pkg/1.0.0>") == true, "\(a.headers)")
                try await settle()
                for _ in 0..<2 {
                    let b = try await read(uri, "b.example:8443")
                    #expect(b.status == 200)
                    #expect(!b.text.contains("a.example"), "\(uri): \(b.text)")
                    #expect(b.headers["link"]?.contains("a.example") == false, "\(b.headers)")
                    #expect(b.headers["link"]?.contains("http://b.example:8443/test/pkg/1.0.0>") == true, "\(b.headers)")
                    if uri == "/test/pkg" { #expect(b.text.contains("http://b.example:8443/test/pkg/1.0.0")) }
                    try await settle()
                }
                // And the first host still gets its own.
                let again = try await read(uri, "a.example")
                #expect(again.headers["link"]?.contains("http://a.example/test/pkg/1.0.0>") == true)
                #expect(!again.text.contains("b.example"))
            }
        }
    }

    // MARK: 5. The list's .json form

    /// SE-0292 lets a client ask for `/{scope}/{name}.json`: it is the package's list, stored under
    /// the package, so the package's publish invalidates it.
    @Test
    func theListsJSONFormIsInvalidatedByAPublish() async throws {
        let registry = try await TestRegistry(configure: { Self.everyReadReachesTheStore(&$0) })
        let archive = try Archives.package()
        try await registry.test { client async throws in
            try await publish(client, registry, "1.0.0", archive: archive)
            let first = try await get(client, "/test/pkg.json")
            #expect(first.status == .ok)
            #expect(Set(releases(first).keys) == ["1.0.0"])
            #expect(try await waitForStored(registry, atLeast: 1) == 1)
            // Stored under its package (not under a package `pkg.json`).
            #expect(try store(registry).storedResponse(package: "test.pkg", path: "list/1", base: variant(registry)) != nil)
            expectSame(first, try await get(client, "/test/pkg.json"), "/test/pkg.json")

            try await publish(client, registry, "1.1.0", archive: archive)
            let after = try await get(client, "/test/pkg.json")
            #expect(Set(releases(after).keys) == ["1.0.0", "1.1.0"])
            #expect(after.headers[Self.link]?.contains("/test/pkg/1.1.0>; rel=\"latest-version\"") == true)
        }
    }

    /// Spellings of one URL share one stored row: letter case, `.json`, build metadata, `page=01`,
    /// query parameters the route ignores. No run of requests can grow the table beyond the
    /// package's own responses.
    @Test func spellingsOfOneURLShareOneStoredRow() async throws {
        let registry = try await TestRegistry(configure: { Self.everyReadReachesTheStore(&$0) })
        let archive = try Archives.package()
        try await registry.test { client async throws in
            try await publish(client, registry, "1.0.0", archive: archive)
            let lists = ["/test/pkg", "/TEST/Pkg", "/test/pkg.json", "/test/pkg?page=1", "/test/pkg?page=01", "/test/pkg?x=1", "/Test/PKG?y=2&page=1"]
            let metadata = ["/test/pkg/1.0.0", "/test/PKG/1.0.0.json", "/test/pkg/1.0.0+build.7", "/test/pkg/1.0.0?z=3"]
            let manifests = ["/test/pkg/1.0.0/Package.swift", "/TEST/pkg/1.0.0/Package.swift?q=1", "/test/pkg/1.0.0+b/Package.swift"]
            var bodies: [String: String] = [:]
            for (kind, uris) in [("list", lists), ("metadata", metadata), ("manifest", manifests)] {
                for uri in uris {
                    let response = try await get(client, uri)
                    #expect(response.status == .ok, "\(uri)")
                    if let first = bodies[kind] { #expect(response.text == first, "\(uri)") } else { bodies[kind] = response.text }
                }
            }
            #expect(try await waitForStored(registry, atLeast: 3) == 3)
            // A page that isn't a number is not stored (and is an error).
            #expect(try await get(client, "/test/pkg?page=x").status == .badRequest)
            try await Task.sleep(for: .milliseconds(100))
            #expect(try store(registry).storedResponseCount() == 3)
        }
    }

    // MARK: 6. Turned off

    @Test func nothingIsStoredWhenStoredResponsesAreOff() async throws {
        let registry = try await TestRegistry(configure: {
            Self.everyReadReachesTheStore(&$0)
            $0.storedResponses = false
        })
        try await registry.test { client async throws in
            try await publish(client, registry, "1.0.0", archive: try Archives.withAlternateManifest())
            for _ in 0..<2 {
                for uri in ["/test/pkg", "/test/pkg/1.0.0", "/test/pkg/1.0.0.json", "/test/pkg/1.0.0/Package.swift", "/test/pkg/1.0.0/Package.swift?swift-version=6.0"] {
                    #expect(try await get(client, uri).status == .ok, "\(uri)")
                }
            }
            try await settle()
            #expect(try store(registry).storedResponseCount() == 0)
        }
    }

    // MARK: 7. Errors

    @Test func errorResponsesAreNeverStored() async throws {
        let fixture = LifecycleFixture()
        let registry = try await fixture.registry { Self.everyReadReachesTheStore(&$0) }
        try await registry.test { client async throws in
            let cast = try await fixture.cast(client, registry)
            try await fixture.stepUp(cast.mona, cast.monaTOTP)
            #expect(try await cast.mona.send(.delete, "/api/v1/packages/mona/pkg/releases/1.1.0").status == .ok)
            let errors: [(String, HTTPResponse.Status)] = [
                ("/nobody/nothing", .notFound),
                ("/nobody/nothing/1.0.0", .notFound),
                ("/nobody/nothing/1.0.0/Package.swift", .notFound),
                ("/mona/pkg/9.9.9", .notFound),
                ("/mona/pkg/9.9.9/Package.swift", .notFound),
                ("/mona/pkg/v1", .badRequest),
                ("/mona/pkg/1.0/Package.swift", .badRequest),
                ("/mona/pkg?page=0", .badRequest),
                ("/mona/pkg?page=99", .notFound),
                ("/mona/pkg/1.0.0/Package.swift?swift-version=banana", .badRequest),
                ("/mona/pkg/1.1.0", .gone),
                ("/mona/pkg/1.1.0/Package.swift", .gone),
            ]
            for _ in 0..<2 {
                for (uri, status) in errors {
                    #expect(try await get(client, uri).status == status, "\(uri)")
                }
            }
            // A redirect (no such alternate manifest) isn't stored either.
            #expect(try await get(client, "/mona/pkg/1.0.0/Package.swift?swift-version=4.2").status == .seeOther)
            try await settle()
            #expect(try store(registry).storedResponseCount() == 0)
            // The package itself still works and is stored.
            #expect(try await get(client, "/mona/pkg").status == .ok)
            #expect(try await waitForStored(registry, atLeast: 1) == 1)
        }
    }
}
