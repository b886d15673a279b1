import BulwarkServer
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite struct LoginTests {
    @Test func aValidTokenLogsInWithExactly200() async throws {
        let registry = try await TestRegistry()
        try await registry.test { client async throws in
            let response = try await client.execute(uri: "/login", method: .post, headers: registry.bearer)
            #expect(response.status == .ok)
        }
    }

    @Test func aPasswordAloneIsRefusedWithAdviceToCreateAToken() async throws {
        let registry = try await TestRegistry()
        try await registry.test { client async throws in
            let basic = "Basic " + Data("alice:correct horse battery".utf8).base64EncodedString()
            let response = try await client.execute(uri: "/login", method: .post, headers: [.authorization: basic])
            #expect(response.status == .unauthorized)
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(response.problemDetail?.contains("token") == true)
        }
    }

    @Test(arguments: ["", "Bearer", "Bearer nonsense", "Token abc", "Bearer bwk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"])
    func missingOrInvalidCredentialsAreUnauthorized(authorization: String) async throws {
        let registry = try await TestRegistry()
        try await registry.test { client async throws in
            let headers: HTTPFields = authorization.isEmpty ? [:] : [.authorization: authorization]
            let response = try await client.execute(uri: "/login", method: .post, headers: headers)
            #expect(response.status == .unauthorized)
            #expect(response.problemDetail != nil)
        }
    }
}
