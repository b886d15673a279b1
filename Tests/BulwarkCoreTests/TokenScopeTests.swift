import BulwarkCore
import Foundation
import Testing

@Suite("Token scope")
struct TokenScopeTests {
    @Test func aScopeWildcardParsesAsAScopePattern() throws {
        let pattern = try PackagePattern("Mona.*")

        #expect(pattern == .scope("Mona"))
        #expect(pattern.description == "Mona.*")
    }

    @Test func aPackageIdentifierParsesAsAPackagePattern() throws {
        let pattern = try PackagePattern("Mona.Linked_List")

        #expect(pattern == .package(try PackageIdentifier("Mona.Linked_List")))
        #expect(pattern.description == "Mona.Linked_List")
    }

    @Test(arguments: ["mona.*", "Mona.LinkedList", "a.b", "a-b.*"])
    func descriptionRoundTrips(_ string: String) throws {
        let pattern = try PackagePattern(string)

        #expect(try PackagePattern(pattern.description) == pattern)
        #expect(pattern.description == string)
    }

    @Test(arguments: [
        "", "*", ".*", "*.*", "mona.*.*", "-mona.*", "mo_na.*", "mona", "mona.", "mona.na--me", "mona.*x",
        "mona.linked.list", "*.linkedlist", "mona.**",
    ])
    func malformedPatternsAreRejectedAsBadRequests(_ string: String) {
        let error = #expect(throws: BulwarkError.self) { try PackagePattern(string) }

        #expect(error?.kind == .badRequest)
        #expect(error?.detail.contains("invalid package pattern '\(string)'") == true)
    }

    @Test func aPackagePatternCoversOnlyThatPackageIgnoringCase() throws {
        let pattern = try PackagePattern("Mona.LinkedList")

        #expect(pattern.covers(try PackageIdentifier("mona.linkedlist")))
        #expect(pattern.covers(try PackageIdentifier("MONA.LinkedList")))
        #expect(!pattern.covers(try PackageIdentifier("mona.linkedlist2")))
        #expect(!pattern.covers(try PackageIdentifier("mona2.linkedlist")))
    }

    @Test func aScopePatternCoversEveryPackageInTheScopeIgnoringCase() throws {
        let pattern = try PackagePattern("Mona.*")

        #expect(pattern.covers(try PackageIdentifier("mona.LinkedList")))
        #expect(pattern.covers(try PackageIdentifier("MONA.other")))
        #expect(!pattern.covers(try PackageIdentifier("monalisa.LinkedList")))
        #expect(!pattern.covers(try PackageIdentifier("mon.LinkedList")))
        #expect(!pattern.covers(try PackageIdentifier("other.Mona")))
    }

    @Test func patternsHashByValue() throws {
        let patterns: Set<PackagePattern> = [
            try PackagePattern("mona.*"), try PackagePattern("mona.*"),
            try PackagePattern("mona.x"), try PackagePattern("MONA.X"),
        ]

        #expect(patterns.count == 2)
    }

    @Test func thePublishPermissionIsCodedAsItsName() throws {
        let data = try JSONEncoder().encode([TokenPermission.publish])

        #expect(String(decoding: data, as: UTF8.self) == #"["publish"]"#)
        #expect(try JSONDecoder().decode([TokenPermission].self, from: Data(#"["publish"]"#.utf8)) == [.publish])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([TokenPermission].self, from: Data(#"["admin"]"#.utf8)) }
        #expect(TokenPermission.allCases == [.publish, .yank])
    }

    // MARK: TokenRecord

    static let created = Date(timeIntervalSince1970: 1_700_000_000)

    static func token(
        permissions: [TokenPermission] = [.publish], packages: [String] = ["mona.*"],
        expiresAt: Date? = nil, revokedAt: Date? = nil
    ) throws -> TokenRecord {
        TokenRecord(
            id: "tok_1", hash: String(repeating: "0", count: 64), account: "mona",
            permissions: permissions, packages: try packages.map { try PackagePattern($0) },
            createdAt: created, expiresAt: expiresAt, revokedAt: revokedAt
        )
    }

    @Test func aTokenWithoutExpiryIsActiveUntilRevoked() throws {
        let active = try Self.token()
        let revoked = try Self.token(revokedAt: Self.created.addingTimeInterval(10))

        #expect(active.isActive(at: Self.created.addingTimeInterval(10 * 365 * 86_400)))
        #expect(!revoked.isActive(at: Self.created))
    }

    @Test func aTokenStopsBeingActiveAtItsExpiryInstant() throws {
        let expiry = Self.created.addingTimeInterval(3600)
        let token = try Self.token(expiresAt: expiry)

        #expect(token.isActive(at: expiry.addingTimeInterval(-1)))
        #expect(!token.isActive(at: expiry))
        #expect(!token.isActive(at: expiry.addingTimeInterval(1)))
    }

    @Test func publishingNeedsThePublishPermissionAndACoveringPattern() throws {
        let id = try PackageIdentifier("Mona.LinkedList")

        #expect(try Self.token(packages: ["mona.*"]).allowsPublishing(id))
        #expect(try Self.token(packages: ["other.*", "MONA.linkedlist"]).allowsPublishing(id))
        #expect(!(try Self.token(packages: ["other.*"]).allowsPublishing(id)))
        #expect(!(try Self.token(packages: []).allowsPublishing(id)))
        #expect(!(try Self.token(permissions: [], packages: ["mona.*"]).allowsPublishing(id)))
    }
}
