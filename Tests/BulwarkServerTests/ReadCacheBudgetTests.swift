import BulwarkCore
import Foundation
import HTTPTypes
import NIOCore
import Testing

@testable import BulwarkServer

/// The read cache stays within its byte budget however many packages are read (issue 7: RSS under
/// load at a million packages), and keeps its byte count right through invalidations.
@Suite struct ReadCacheBudgetTests {
    static func cache(maxBytes: Int) -> ReadCache {
        ReadCache(ttl: 60, maxEntries: 1_000_000, maxBytes: maxBytes, admission: .firstRead, now: { Date(timeIntervalSince1970: 1_000) })
    }

    @Test func responsesStayWithinTheByteBudget() {
        let cache = Self.cache(maxBytes: 64 * 1024)
        let body = ByteBuffer(repeating: 0x41, count: 1_000)
        for i in 0..<1_000 {
            cache.set(package: "seed.pkg\(i)", key: "/seed/pkg\(i)", headers: [.contentType: "application/json"], body: body)
            #expect(cache.bytesHeld.responses <= 64 * 1024)
        }
        // The newest entry is always kept.
        #expect(cache.get(package: "seed.pkg999", key: "/seed/pkg999")?.body == body)
    }

    @Test func invalidationGivesTheBytesBack() {
        let cache = Self.cache(maxBytes: 1 << 20)
        let body = ByteBuffer(repeating: 0x41, count: 500)
        cache.set(package: "a.b", key: "/a/b", headers: [:], body: body)
        cache.set(package: "a.b", key: "/a/b/1.0.0", headers: [:], body: body)
        cache.set(package: "/identifiers", key: "/identifiers?url=x", headers: [:], body: body)
        cache.set(package: "a.b", key: "/a/b", headers: [:], body: body)  // replaced, not counted twice
        let three = cache.bytesHeld.responses
        #expect(three > 1_500)
        cache.invalidate(package: "a.b")
        #expect(cache.bytesHeld.responses == ReadCache.cost(key: "/identifiers?url=x", headers: [:], body: body))
        cache.invalidateAll()
        #expect(cache.bytesHeld.responses == 0)
    }

    @Test func releasesStayWithinTheByteBudget() throws {
        let cache = Self.cache(maxBytes: 32 * 1024)
        for i in 0..<500 {
            let release = Release(
                package: try PackageIdentifier(scope: "seed", name: "pkg\(i)"), version: try SemanticVersion("1.0.0"),
                checksum: String(repeating: "a", count: 64), archiveSize: 1, metadata: Array(repeating: 1, count: 300),
                archiveSignature: nil, metadataSignature: nil,
                manifests: [ReleaseManifest(filename: "Package.swift", toolsVersion: "5.9", bytes: Array(repeating: 2, count: 200))],
                repositoryURLs: ["github.com/seed/pkg\(i)"], publishedAt: Date(timeIntervalSince1970: 0), publisher: "seed"
            )
            cache.setRelease("seed.pkg\(i)@1.0.0", release)
            #expect(cache.bytesHeld.releases <= 32 * 1024)
        }
        #expect(cache.release("seed.pkg499@1.0.0") != nil)
        cache.invalidateRelease("seed.pkg499@1.0.0")
        #expect(cache.release("seed.pkg499@1.0.0") == nil)
    }

    /// A flood of one-off reads (a million packages read at random) doesn't push out what is read
    /// all the time: a hit moves an entry to the newer generation, and only the older one is dropped.
    @Test func entriesReadOftenSurviveAFloodOfOneOffReads() {
        let cache = Self.cache(maxBytes: 256 * 1024)
        let body = ByteBuffer(repeating: 0x41, count: 1_000)
        cache.set(package: "hot.pkg", key: "/hot/pkg", headers: [:], body: body)
        for i in 0..<5_000 {
            cache.set(package: "seed.pkg\(i)", key: "/seed/pkg\(i)", headers: [:], body: body)
            if i % 50 == 0 { #expect(cache.get(package: "hot.pkg", key: "/hot/pkg")?.body == body) }
            #expect(cache.bytesHeld.responses <= 256 * 1024)
        }
        #expect(cache.get(package: "hot.pkg", key: "/hot/pkg")?.body == body)
        #expect(cache.get(package: "seed.pkg0", key: "/seed/pkg0") == nil)
        #expect(cache.get(package: "seed.pkg4999", key: "/seed/pkg4999")?.body == body)
    }

    @Test func oneBusyPackageCannotTakeMoreThanItsShare() {
        let cache = Self.cache(maxBytes: 64 * 1024)
        let body = ByteBuffer(repeating: 0x41, count: 1_000)
        for i in 0..<500 {
            cache.set(package: "/identifiers", key: "/identifiers?url=\(i)", headers: [:], body: body)
            #expect(cache.bytesHeld.responses <= 64 * 1024)
        }
        #expect(cache.get(package: "/identifiers", key: "/identifiers?url=499")?.body == body)
    }

    /// With the default admission, what is read once is not kept; what is read again is.
    @Test func onlyResponsesAndReleasesReadTwiceAreCached() throws {
        let cache = ReadCache(ttl: 60, maxEntries: 1_000, now: { Date(timeIntervalSince1970: 1_000) })
        let body = ByteBuffer(repeating: 0x41, count: 100)
        for i in 0..<1_000 { cache.set(package: "seed.pkg\(i)", key: "/seed/pkg\(i)", headers: [:], body: body) }
        #expect(cache.bytesHeld.responses == 0)
        #expect(cache.get(package: "seed.pkg7", key: "/seed/pkg7") == nil)
        cache.set(package: "seed.pkg7", key: "/seed/pkg7", headers: [:], body: body)
        #expect(cache.get(package: "seed.pkg7", key: "/seed/pkg7")?.body == body)

        let release = Release(
            package: try PackageIdentifier("seed.pkg1"), version: try SemanticVersion("1.0.0"), checksum: "ab", archiveSize: 1,
            metadata: nil, archiveSignature: nil, metadataSignature: nil, manifests: [], repositoryURLs: [],
            publishedAt: Date(timeIntervalSince1970: 0), publisher: "seed"
        )
        cache.setRelease("seed.pkg1@1.0.0", release)
        #expect(cache.release("seed.pkg1@1.0.0") == nil)
        cache.setRelease("seed.pkg1@1.0.0", release)
        #expect(cache.release("seed.pkg1@1.0.0") == release)
    }
}
