import BulwarkCore
import BulwarkServer
import BulwarkStorage
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite struct PackageSecurityTests {
    @Test func thePostureNamesOwnersFactorsAndSignedReleases() async throws {
        let pki = try TestPKI()
        let registry = try await TestRegistry(configure: { $0.trustRoots = pki.verifier })
        let archive = try Archives.package()
        try await registry.storage.security.addPasskey(Passkey(
            id: "cred", account: "alice", name: "Laptop", publicKey: [1], algorithm: -7, signCount: 0,
            backupEligible: true, backedUp: true, transports: [], createdAt: Date()
        ))
        try await registry.test { client async throws in
            #expect(try await client.publish("/test/pkg/1.0.0", PublishBody(archive: archive), token: registry.token).status == .created)
            let signed = PublishBody(archive: archive, archiveSignature: try pki.sign(archive))
            #expect(try await client.publish("/test/pkg/1.1.0", signed, token: registry.token, signed: true).status == .created)
            let response = try await client.execute(uri: "/api/v1/packages/TEST/pkg/security", method: .get)
            #expect(response.status == .ok)
            let json = response.json
            #expect(json["package"] as? String == "test.pkg")
            #expect(json["ownersWithPasskeys"] as? Int == 1)
            #expect((json["owners"] as? [[String: Any]])?.first?["username"] as? String == "alice")
            let releases = try #require(json["releases"] as? [String: Any])
            #expect(releases["count"] as? Int == 2)
            #expect(releases["signed"] as? Int == 1)
            #expect(releases["latest"] as? String == "1.1.0")
            #expect(releases["latestSigned"] as? Bool == true)
            #expect((json["policy"] as? [String: Any])?["publishing"] as? String == "tokens")
            #expect(try await client.execute(uri: "/api/v1/packages/test/nothing/security", method: .get).status == .notFound)
        }
    }
}
