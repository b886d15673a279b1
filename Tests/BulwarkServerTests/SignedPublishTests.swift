import BulwarkCore
import BulwarkServer
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct SignedPublishTests {
    let pki: TestPKI
    init() throws { pki = try TestPKI() }

    @Test func aValidSignatureIsVerifiedStoredAndReturned() async throws {
        let registry = try await TestRegistry(configure: { [pki] in $0.trustRoots = pki.verifier })
        let archive = try Archives.package()
        let metadata = "{\"description\":\"signed\"}\n"
        let body = PublishBody(archive: archive, archiveSignature: try pki.sign(archive), metadata: metadata,
                               metadataSignature: try pki.sign(Array(metadata.utf8)))
        try await registry.test { client async throws in
            let response = try await client.publish("/test/pkg/1.0.0", body, token: registry.token, signed: true)
            #expect(response.status == .created, "\(response.text)")
            let info = try await client.execute(uri: "/test/pkg/1.0.0", method: .get)
            let resource = try #require((info.json["resources"] as? [[String: Any]])?.first)
            let signing = try #require(resource["signing"] as? [String: String])
            #expect(signing["signatureFormat"] == "cms-1.0.0")
            #expect(signing["signatureBase64Encoded"] == Data(body.archiveSignature!).base64EncodedString())
        }
    }

    @Test func aSignatureOverOtherBytesIsUnprocessable() async throws {
        let registry = try await TestRegistry(configure: { [pki] in $0.trustRoots = pki.verifier })
        let archive = try Archives.package()
        let body = PublishBody(archive: archive, archiveSignature: try pki.sign(Array("something else".utf8)))
        try await registry.test { client async throws in
            let response = try await client.publish("/test/pkg/1.0.0", body, token: registry.token, signed: true)
            #expect(response.status == .unprocessableContent)
            #expect(try await client.execute(uri: "/test/pkg", method: .get).status == .notFound)
        }
    }

    @Test func aSignerFromAnUntrustedRootIsUnprocessable() async throws {
        let other = try TestPKI()
        let registry = try await TestRegistry(configure: { [pki] in $0.trustRoots = pki.verifier })
        let archive = try Archives.package()
        try await registry.test { client async throws in
            let response = try await client.publish(
                "/test/pkg/1.0.0", PublishBody(archive: archive, archiveSignature: try other.sign(archive)), token: registry.token, signed: true)
            #expect(response.status == .unprocessableContent)
            #expect(response.problemDetail?.contains("trusted root") == true)
        }
    }

    @Test func aCertificateWithoutCodeSigningUsageIsUnprocessable() async throws {
        let serverOnly = try TestPKI(codeSigning: false)
        let registry = try await TestRegistry(configure: { $0.trustRoots = serverOnly.verifier })
        let archive = try Archives.package()
        try await registry.test { client async throws in
            let response = try await client.publish(
                "/test/pkg/1.0.0", PublishBody(archive: archive, archiveSignature: try serverOnly.sign(archive)), token: registry.token, signed: true)
            #expect(response.status == .unprocessableContent)
            #expect(response.problemDetail?.contains("code signing") == true)
        }
    }

    @Test func signedMetadataWithoutItsSignatureIsUnprocessable() async throws {
        let registry = try await TestRegistry(configure: { [pki] in $0.trustRoots = pki.verifier })
        let archive = try Archives.package()
        let body = PublishBody(archive: archive, archiveSignature: try pki.sign(archive), metadata: "{}")
        try await registry.test { client async throws in
            let response = try await client.publish("/test/pkg/1.0.0", body, token: registry.token, signed: true)
            #expect(response.status == .unprocessableContent)
            #expect(response.problemDetail?.contains("metadata-signature") == true)
        }
    }

    @Test func unsignedReleasesAreRefusedWhenSignaturesAreRequired() async throws {
        let registry = try await TestRegistry(configure: { $0.requireSignedReleases = true })
        try await registry.test { client async throws in
            let response = try await client.publish("/test/pkg/1.0.0", PublishBody(archive: try Archives.package()), token: registry.token)
            #expect(response.status == .unprocessableContent)
            #expect(response.problemDetail?.contains("signed") == true)
        }
    }

    @Test func anUnknownSignatureFormatIsUnprocessable() async throws {
        let registry = try await TestRegistry()
        let body = PublishBody(archive: try Archives.package())
        try await registry.test { client async throws in
            var headers = body.headers(token: registry.token)
            headers[HTTPField.Name("X-Swift-Package-Signature-Format")!] = "pgp-1"
            let response = try await client.execute(uri: "/test/pkg/1.0.0", method: .put, headers: headers, body: .init(bytes: body.bytes))
            #expect(response.status == .unprocessableContent)
        }
    }
}
