import BulwarkCore
import BulwarkServer
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct ReadEndpointTests {
    let contentVersion = HTTPField.Name("Content-Version")!
    let link = HTTPField.Name("Link")!

    /// A registry with test.pkg 1.0.0, 1.1.0 (with Package@swift-6.0.swift and repository URLs), 2.0.0-beta.1.
    func seeded(configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> (TestRegistry, [UInt8]) {
        let registry = try await TestRegistry(configure: configure)
        let alternate = try Archives.withAlternateManifest()
        let metadata = "{\"description\":\"a=3D b\",\"repositoryURLs\":[\"https://github.com/Example/Pkg.git\"]}\n"
        let plain = try Archives.package()
        try await registry.test { client async throws in
            #expect(try await client.publish("/test/pkg/1.0.0", PublishBody(archive: plain), token: registry.token).status == .created)
            #expect(try await client.publish("/test/pkg/1.1.0", PublishBody(archive: alternate, metadata: metadata), token: registry.token).status == .created)
            #expect(try await client.publish("/test/pkg/2.0.0-beta.1", PublishBody(archive: plain), token: registry.token).status == .created)
        }
        return (registry, alternate)
    }

    @Test func theReleaseListHasEveryVersionAndTheLatestLink() async throws {
        let (registry, _) = try await seeded()
        try await registry.test { client async throws in
            let response = try await client.execute(uri: "/TEST/Pkg", method: .get, headers: [.accept: "application/vnd.swift.registry.v1+json"])
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            #expect(response.headers[contentVersion] == "1")
            let releases = try #require(response.json["releases"] as? [String: [String: String]])
            #expect(Set(releases.keys) == ["1.0.0", "1.1.0", "2.0.0-beta.1"])
            #expect(releases["1.1.0"]?["url"] == "https://registry.test/test/pkg/1.1.0")
            #expect(response.headers[link] == "<https://registry.test/test/pkg/1.1.0>; rel=\"latest-version\"")
        }
    }

    @Test func longReleaseListsArePaginatedWithNextLinks() async throws {
        let (registry, _) = try await seeded(configure: { $0.releasesPerPage = 2 })
        try await registry.test { client async throws in
            let first = try await client.execute(uri: "/test/pkg", method: .get)
            #expect((first.json["releases"] as? [String: Any])?.count == 2)
            #expect(first.headers[link]?.contains("<https://registry.test/test/pkg?page=2>; rel=\"next\"") == true)
            let second = try await client.execute(uri: "/test/pkg?page=2", method: .get)
            #expect((second.json["releases"] as? [String: Any])?.keys.sorted() == ["1.0.0"])
            #expect(second.headers[link]?.contains("rel=\"next\"") == false)
            #expect(try await client.execute(uri: "/test/pkg?page=3", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/test/pkg?page=0", method: .get).status == .badRequest)
        }
    }

    @Test func anUnknownPackageIsAProblemNotFound() async throws {
        let registry = try await TestRegistry()
        try await registry.test { client async throws in
            let response = try await client.execute(uri: "/test/nothing", method: .get)
            #expect(response.status == .notFound)
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(response.headers[contentVersion] == "1")
            #expect(response.problemDetail != nil)
        }
    }

    @Test func releaseMetadataHasTheChecksumMetadataAndNeighbourLinks() async throws {
        let (registry, archive) = try await seeded()
        try await registry.test { client async throws in
            let response = try await client.execute(uri: "/test/pkg/1.1.0", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[contentVersion] == "1")
            let json = response.json
            #expect(json["id"] as? String == "test.pkg")
            #expect(json["version"] as? String == "1.1.0")
            let resource = try #require((json["resources"] as? [[String: Any]])?.first)
            #expect(resource["name"] as? String == "source-archive")
            #expect(resource["type"] as? String == "application/zip")
            #expect(resource["checksum"] as? String == sha256Hex(archive))
            #expect(resource["signing"] == nil)
            let metadata = try #require(json["metadata"] as? [String: Any])
            #expect(metadata["description"] as? String == "a=3D b")
            let publishedAt = try #require(json["publishedAt"] as? String)
            #expect(publishedAt.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/) != nil)
            let links = try #require(response.headers[link])
            #expect(links.contains("<https://registry.test/test/pkg/1.0.0>; rel=\"predecessor-version\""))
            #expect(links.contains("<https://registry.test/test/pkg/2.0.0-beta.1>; rel=\"successor-version\""))
            #expect(links.contains("rel=\"latest-version\""))
        }
    }

    @Test func anUnknownVersionIsNotFoundAndAnInvalidOneIsABadRequest() async throws {
        let (registry, _) = try await seeded()
        try await registry.test { client async throws in
            #expect(try await client.execute(uri: "/test/pkg/9.9.9", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/test/pkg/9.9.9.zip", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/test/pkg/9.9.9/Package.swift", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/test/pkg/1.0", method: .get).status == .badRequest)
        }
    }

    @Test func theManifestListsEveryAlternateInTheExactLinkForm() async throws {
        let (registry, _) = try await seeded()
        try await registry.test { client async throws in
            let response = try await client.execute(uri: "/test/pkg/1.1.0/Package.swift", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/x-swift")
            #expect(response.headers[contentVersion] == "1")
            #expect(response.text.hasPrefix("// swift-tools-version:5.9"))
            #expect(response.headers[link] == "<https://registry.test/test/pkg/1.1.0/Package.swift?swift-version=6.0>; rel=\"alternate\"; filename=\"Package@swift-6.0.swift\"; swift-tools-version=\"6.0\"")
            let plain = try await client.execute(uri: "/test/pkg/1.0.0/Package.swift", method: .get)
            #expect(plain.headers[link] == nil)
        }
    }

    @Test(arguments: ["6.0.0", "6.0", "6"])
    func swiftVersionIsMatchedNumerically(version: String) async throws {
        let (registry, _) = try await seeded()
        try await registry.test { client async throws in
            let response = try await client.execute(uri: "/test/pkg/1.1.0/Package.swift?swift-version=\(version)", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/x-swift")
            #expect(response.text.hasPrefix("// swift-tools-version:6.0"))
            #expect(response.headers[link] == nil)
        }
    }

    @Test func aSwiftVersionWithoutAnAlternateRedirectsToTheDefaultManifest() async throws {
        let (registry, _) = try await seeded()
        try await registry.test { client async throws in
            let response = try await client.execute(uri: "/test/pkg/1.1.0/Package.swift?swift-version=5.8", method: .get)
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "https://registry.test/test/pkg/1.1.0/Package.swift")
            #expect(try await client.execute(uri: "/test/pkg/1.1.0/Package.swift?swift-version=six", method: .get).status == .badRequest)
        }
    }

    @Test func theArchiveIsServedByteForByteWithItsHeaders() async throws {
        let (registry, archive) = try await seeded()
        try await registry.test { client async throws in
            let response = try await client.execute(uri: "/test/pkg/1.1.0.zip", method: .get, headers: [.accept: "application/vnd.swift.registry.v1+zip"])
            #expect(response.status == .ok)
            #expect(Array(buffer: response.body) == archive)
            #expect(response.headers[.contentType] == "application/zip")
            #expect(response.headers[.contentLength] == String(archive.count))
            #expect(response.headers[.contentDisposition] == "attachment; filename=\"pkg-1.1.0.zip\"")
            #expect(response.headers[.cacheControl] == "public, immutable")
            let digest = Data(SHA256Bytes.of(archive)).base64EncodedString()
            #expect(response.headers[HTTPField.Name("Digest")!] == "sha-256=\(digest)")
            // Later downloads use the headers kept with the cached release: the same bytes and headers.
            for _ in 0..<2 {
                let again = try await client.execute(uri: "/test/pkg/1.1.0.zip", method: .get)
                #expect(Array(buffer: again.body) == archive)
                #expect(again.headers[.contentDisposition] == response.headers[.contentDisposition])
                #expect(again.headers[HTTPField.Name("Digest")!] == "sha-256=\(digest)")
                #expect(again.headers[.contentLength] == String(archive.count))
            }
        }
    }

    @Test(arguments: [
        "https://github.com/Example/Pkg.git", "git@github.com:example/pkg.git", "https://github.com/example/pkg",
        "ssh://git@github.com/example/Pkg.git", "http://GITHUB.com/example/pkg/",
    ])
    func identifiersAreFoundForEveryFormOfTheRepositoryURL(url: String) async throws {
        let (registry, _) = try await seeded()
        try await registry.test { client async throws in
            let response = try await client.execute(uri: "/identifiers?url=\(url)", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[contentVersion] == "1")
            #expect(response.json["identifiers"] as? [String] == ["test.pkg"])
        }
    }

    @Test func anUnknownRepositoryURLIsNotFoundAndAMissingOneIsABadRequest() async throws {
        let (registry, _) = try await seeded()
        try await registry.test { client async throws in
            #expect(try await client.execute(uri: "/identifiers?url=https://github.com/example/other", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/identifiers", method: .get).status == .badRequest)
        }
    }

    @Test func anUnsupportedAPIVersionIsRefused() async throws {
        let (registry, _) = try await seeded()
        try await registry.test { client async throws in
            let response = try await client.execute(uri: "/test/pkg", method: .get, headers: [.accept: "application/vnd.swift.registry.v2+json"])
            #expect(response.status == .unsupportedMediaType)
            #expect(response.headers[.contentType] == "application/problem+json")
        }
    }
}

enum SHA256Bytes {
    static func of(_ bytes: [UInt8]) -> [UInt8] {
        let hex = sha256Hex(bytes)
        var out: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            out.append(UInt8(hex[i..<j], radix: 16)!)
            i = j
        }
        return out
    }
}

@Suite struct HeadRequestTests {
    @Test func headAnswersLikeGetWithoutABody() async throws {
        let registry = try await TestRegistry()
        let archive = try Archives.package()
        try await registry.test { client async throws in
            #expect(try await client.publish("/test/pkg/1.0.0", PublishBody(archive: archive), token: registry.token).status == .created)
            let head = try await client.execute(uri: "/test/pkg/1.0.0.zip", method: .head)
            #expect(head.status == .ok)
            #expect(head.headers[.contentType] == "application/zip")
            #expect(head.headers[.contentLength] == String(archive.count))
            #expect(head.body.readableBytes == 0)
            #expect(try await client.execute(uri: "/test/nothing", method: .head).status == .notFound)
        }
    }
}
