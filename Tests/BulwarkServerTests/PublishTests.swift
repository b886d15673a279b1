import BulwarkCore
import BulwarkServer
import BulwarkStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct PublishTests {
    @Test func publishingAValidArchiveCreatesTheRelease() async throws {
        let registry = try await TestRegistry()
        let archive = try Archives.package()
        try await registry.test { client async throws in
            let response = try await client.publish("/test/pkg/1.0.0", PublishBody(archive: archive), token: registry.token)
            #expect(response.status == .created)
            #expect(response.headers[.location] == "https://registry.test/test/pkg/1.0.0")
            #expect(response.headers[HTTPField.Name("Content-Version")!] == "1")
            let info = try await client.execute(uri: "/test/pkg/1.0.0", method: .get)
            let resources = try #require(info.json["resources"] as? [[String: Any]])
            #expect(resources.first?["checksum"] as? String == sha256Hex(archive))
        }
    }

    @Test func publishingWithoutCredentialsIsUnauthorized() async throws {
        let registry = try await TestRegistry()
        let archive = try Archives.package()
        try await registry.test { client async throws in
            let response = try await client.publish("/test/pkg/1.0.0", PublishBody(archive: archive), token: nil)
            #expect(response.status == .unauthorized)
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(response.problemDetail?.contains("token") == true)
            #expect(try await client.execute(uri: "/test/pkg", method: .get).status == .notFound)
        }
    }

    @Test func publishingWithAnUnknownTokenIsUnauthorized() async throws {
        let registry = try await TestRegistry()
        let archive = try Archives.package()
        try await registry.test { client async throws in
            let forged = "bwk_" + String(repeating: "A", count: 43)
            let response = try await client.publish("/test/pkg/1.0.0", PublishBody(archive: archive), token: forged)
            #expect(response.status == .unauthorized)
        }
    }

    @Test func publishingWithAnExpiredTokenIsUnauthorized() async throws {
        let registry = try await TestRegistry()
        let expired = try await TestRegistry.makeToken(registry.storage, packages: ["test.*"], expiresAt: Date().addingTimeInterval(-1))
        let archive = try Archives.package()
        try await registry.test { client async throws in
            let response = try await client.publish("/test/pkg/1.0.0", PublishBody(archive: archive), token: expired)
            #expect(response.status == .unauthorized)
        }
    }

    @Test func aRevokedTokenStopsWorkingAtOnceWithoutCache() async throws {
        let registry = try await TestRegistry()
        let archive = try Archives.package()
        try await registry.test { client async throws in
            #expect(try await client.publish("/test/pkg/1.0.0", PublishBody(archive: archive), token: registry.token).status == .created)
            let record = try #require(try await registry.storage.tokens.token(hash: APITokenHash.of(registry.token)))
            try await registry.storage.tokens.revokeToken(id: record.id, at: Date())
            #expect(try await client.publish("/test/pkg/1.0.1", PublishBody(archive: archive), token: registry.token).status == .unauthorized)
        }
    }

    @Test func publishingOutsideTheTokensScopeIsForbidden() async throws {
        let registry = try await TestRegistry()
        let archive = try Archives.package(root: "other.pkg")
        try await registry.test { client async throws in
            let response = try await client.publish("/other/pkg/1.0.0", PublishBody(archive: archive), token: registry.token)
            #expect(response.status == .forbidden)
            #expect(response.problemDetail?.contains("test.*") == true)
        }
    }

    @Test func aTokenForOnePackageCoversOnlyThatPackage() async throws {
        let registry = try await TestRegistry()
        let single = try await TestRegistry.makeToken(registry.storage, packages: ["test.one"])
        let one = try Archives.package(root: "test.one"), two = try Archives.package(root: "test.two")
        try await registry.test { client async throws in
            let allowed = try await client.publish("/Test/ONE/1.0.0", PublishBody(archive: one), token: single)
            let denied = try await client.publish("/test/two/1.0.0", PublishBody(archive: two), token: single)
            #expect(allowed.status == .created)
            #expect(denied.status == .forbidden)
        }
    }

    @Test func publishingAnExistingVersionIsRejected() async throws {
        let registry = try await TestRegistry()
        let archive = try Archives.package()
        try await registry.test { client async throws in
            #expect(try await client.publish("/test/pkg/1.0.0", PublishBody(archive: archive), token: registry.token).status == .created)
            let again = try await client.publish("/TEST/Pkg/1.0.0+other-build", PublishBody(archive: archive + [0]), token: registry.token)
            #expect(again.status == .conflict)
            #expect(again.problemDetail?.contains("already exists") == true)
            // The first archive is still the one served.
            let zip = try await client.execute(uri: "/test/pkg/1.0.0.zip", method: .get)
            #expect(Array(buffer: zip.body) == archive)
        }
    }

    @Test func anUploadAboveTheLimitIsTooLarge() async throws {
        let registry = try await TestRegistry(configure: { $0.maxUploadBytes = 1024 })
        let archive = [UInt8](repeating: 0x50, count: 4096)
        try await registry.test { client async throws in
            let response = try await client.publish("/test/pkg/1.0.0", PublishBody(archive: archive), token: registry.token)
            #expect(response.status == .contentTooLarge)
            #expect(try await client.execute(uri: "/test/pkg", method: .get).status == .notFound)
        }
    }

    @Test func anInvalidArchiveIsUnprocessableAndNothingIsStored() async throws {
        let registry = try await TestRegistry()
        try await registry.test { client async throws in
            let response = try await client.publish("/test/pkg/1.0.0", PublishBody(archive: Array("not a zip".utf8)), token: registry.token)
            #expect(response.status == .unprocessableContent)
            #expect(response.problemDetail?.contains("zip") == true)
            #expect(try await client.execute(uri: "/test/pkg/1.0.0", method: .get).status == .notFound)
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: registry.directory.appendingPathComponent("blobs/tmp").path)
        #expect(leftovers.isEmpty)
    }

    @Test func anArchiveWithoutAManifestIsUnprocessable() async throws {
        let registry = try await TestRegistry()
        let archive = try Archives.package(files: ["Sources/Pkg/Pkg.swift": "public let x = 1\n"])
        try await registry.test { client async throws in
            let response = try await client.publish("/test/pkg/1.0.0", PublishBody(archive: archive), token: registry.token)
            #expect(response.status == .unprocessableContent)
            #expect(response.problemDetail?.contains("Package.swift") == true)
        }
    }

    @Test func aRequestWithoutTheArchivePartIsUnprocessable() async throws {
        let registry = try await TestRegistry()
        try await registry.test { client async throws in
            let response = try await client.publish("/test/pkg/1.0.0", PublishBody(archive: nil, metadata: "{}"), token: registry.token)
            #expect(response.status == .unprocessableContent)
            #expect(response.problemDetail?.contains("source-archive") == true)
        }
    }

    @Test(arguments: ["[1,2]", "{\"author\":{}}", "{\"repositoryURLs\":\"x\"}", "{\"originalPublicationTime\":\"2024-01-01 00:00:00\"}", "not json"])
    func invalidMetadataIsUnprocessable(metadata: String) async throws {
        let registry = try await TestRegistry()
        let archive = try Archives.package()
        try await registry.test { client async throws in
            let response = try await client.publish("/test/pkg/1.0.0", PublishBody(archive: archive, metadata: metadata), token: registry.token)
            #expect(response.status == .unprocessableContent)
            #expect(try await client.execute(uri: "/test/pkg", method: .get).status == .notFound)
        }
    }

    @Test func aNonMultipartBodyIsAnUnsupportedMediaType() async throws {
        let registry = try await TestRegistry()
        try await registry.test { client async throws in
            let response = try await client.execute(
                uri: "/test/pkg/1.0.0", method: .put,
                headers: [.authorization: "Bearer \(registry.token)", .contentType: "application/zip"],
                body: ByteBuffer(bytes: try Archives.package())
            )
            #expect(response.status == .unsupportedMediaType)
        }
    }

    @Test func aTruncatedMultipartBodyIsRejected() async throws {
        let registry = try await TestRegistry()
        let body = PublishBody(archive: try Archives.package())
        try await registry.test { client async throws in
            let response = try await client.execute(
                uri: "/test/pkg/1.0.0", method: .put, headers: body.headers(token: registry.token),
                body: ByteBuffer(bytes: body.bytes.dropLast(30))
            )
            #expect(response.status == .badRequest)
            #expect(try await client.execute(uri: "/test/pkg", method: .get).status == .notFound)
        }
    }

    @Test(arguments: ["/test/pkg/1.0", "/test/pkg/v1.0.0", "/te_st/pkg/1.0.0", "/test/pk--g/1.0.0"])
    func invalidIdentifiersAndVersionsAreBadRequests(path: String) async throws {
        let registry = try await TestRegistry()
        try await registry.test { client async throws in
            let response = try await client.publish(path, PublishBody(archive: try Archives.package()), token: registry.token)
            #expect(response.status == .badRequest)
        }
    }

    @Test func aPrereleaseWithBuildMetadataKeepsItsLiteralPlus() async throws {
        let registry = try await TestRegistry()
        let archive = try Archives.package()
        try await registry.test { client async throws in
            let response = try await client.publish("/test/pkg/1.3.0-beta.1+build.5", PublishBody(archive: archive), token: registry.token)
            #expect(response.status == .created)
            let list = try await client.execute(uri: "/test/pkg", method: .get)
            #expect((list.json["releases"] as? [String: Any])?.keys.sorted() == ["1.3.0-beta.1+build.5"])
            let info = try await client.execute(uri: "/test/pkg/1.3.0-beta.1+build.5", method: .get)
            #expect(info.json["version"] as? String == "1.3.0-beta.1+build.5")
            let zip = try await client.execute(uri: "/test/pkg/1.3.0-beta.1+build.5.zip", method: .get)
            #expect(Array(buffer: zip.body) == archive)
        }
    }

    @Test func theFirstSeenCaseOfAnIdentifierIsKept() async throws {
        let registry = try await TestRegistry()
        let first = try Archives.package(root: "Test.Mixed_Case"), second = try Archives.package(root: "test.mixed_case")
        try await registry.test { client async throws in
            #expect(try await client.publish("/Test/Mixed_Case/1.0.0", PublishBody(archive: first), token: registry.token).status == .created)
            #expect(try await client.publish("/test/mixed_case/1.1.0", PublishBody(archive: second), token: registry.token).status == .created)
            let info = try await client.execute(uri: "/TEST/MIXED_CASE/1.1.0", method: .get)
            #expect(info.status == .ok)
            #expect(info.json["id"] as? String == "Test.Mixed_Case")
        }
    }
}

/// The hash under which the server looks a token up (what the store holds).
enum APITokenHash {
    static func of(_ token: String) -> String { sha256Hex(Array(token.utf8)) }
}
