import BulwarkAuth
import BulwarkCore
import BulwarkStorage
import Foundation
import Testing

/// One behaviour, every backend: each test runs against the in-memory store, SQLite and
/// PostgreSQL. PostgreSQL is in `allCases` only when `BULWARK_TEST_POSTGRES_URL` is set
/// (`PostgresSupport.swift`; `scripts/test` starts a throwaway server and sets it); otherwise
/// `PostgresSetupTests` shows it as skipped, or fails under `BULWARK_E2E_REQUIRED=1`.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory, sqlite, postgres

    static var allCases: [Backend] { PostgresTestDatabase.url == nil ? [.memory, .sqlite] : [.memory, .sqlite, .postgres] }

    var testDescription: String { rawValue }

    /// Empty storage; for PostgreSQL in a schema of its own, created and migrated before first use.
    func makeStorage() throws -> Storage {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-store-\(UUID().uuidString)")
        switch self {
        case .memory: return try Storage.inMemory(blobDirectory: dir)
        case .sqlite: return try Storage.embedded(dataDirectory: dir)
        case .postgres: return try PostgresTestDatabase.makeStorage(blobDirectory: dir)
        }
    }
}

func makeRelease(_ id: String, _ version: String, urls: [String] = [], at date: Date = Date(timeIntervalSince1970: 1_700_000_000)) throws -> Release {
    Release(
        package: try PackageIdentifier(id), version: try SemanticVersion(version),
        checksum: String(repeating: "ab", count: 32), archiveSize: 1234,
        metadata: Array("{\"description\":\"x\"}\n".utf8),
        archiveSignature: ReleaseSignature(format: "cms-1.0.0", bytes: [1, 2, 3]), metadataSignature: nil,
        manifests: [
            ReleaseManifest(filename: "Package.swift", toolsVersion: "5.9", bytes: Array("// swift-tools-version:5.9\n".utf8)),
            ReleaseManifest(filename: "Package@swift-6.0.swift", toolsVersion: "6.0", bytes: Array("// swift-tools-version:6.0\n".utf8)),
        ],
        repositoryURLs: urls, publishedAt: date, publisher: "alice"
    )
}

@Suite struct ReleaseStoreConformanceTests {
    @Test(arguments: Backend.allCases)
    func aStoredReleaseComesBackUnchanged(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        let release = try makeRelease("Mona.LinkedList", "1.2.0-beta.1+build.7", urls: ["github.com/mona/linkedlist"])
        try await storage.releases.insert(release)
        let found = try await storage.releases.release(try PackageIdentifier("mona.linkedlist"), version: try SemanticVersion("1.2.0-beta.1"))
        #expect(found == release)
        #expect(found?.version.description == "1.2.0-beta.1+build.7")
    }

    @Test(arguments: Backend.allCases)
    func aSecondReleaseOfTheSameVersionIsAConflict(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        try await storage.releases.insert(try makeRelease("test.pkg", "1.0.0"))
        await #expect(throws: BulwarkError.self) { try await storage.releases.insert(try makeRelease("TEST.PKG", "1.0.0+other")) }
        do {
            try await storage.releases.insert(try makeRelease("test.pkg", "1.0.0"))
            Issue.record("expected a conflict")
        } catch let error as BulwarkError {
            #expect(error.kind == .conflict)
        }
        #expect(try await storage.releases.releases(of: try PackageIdentifier("test.pkg")).count == 1)
    }

    @Test(arguments: Backend.allCases)
    func thePackageKeepsTheCaseItWasFirstPublishedWith(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        try await storage.releases.insert(try makeRelease("Test.Mixed", "1.0.0"))
        try await storage.releases.insert(try makeRelease("test.mixed", "1.1.0"))
        let canonical = try await storage.releases.package(try PackageIdentifier("TEST.MIXED"))
        #expect(canonical?.description == "Test.Mixed")
        let newer = try await storage.releases.release(try PackageIdentifier("test.mixed"), version: try SemanticVersion("1.1.0"))
        #expect(newer?.package.description == "Test.Mixed")
        #expect(try await storage.releases.package(try PackageIdentifier("test.other")) == nil)
    }

    @Test(arguments: Backend.allCases)
    func releasesListEveryVersion(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        for v in ["1.0.0", "1.1.0", "2.0.0-rc.1"] { try await storage.releases.insert(try makeRelease("test.pkg", v)) }
        let versions = try await storage.releases.releases(of: try PackageIdentifier("test.pkg")).map(\.version.description).sorted()
        #expect(versions == ["1.0.0", "1.1.0", "2.0.0-rc.1"])
    }

    @Test(arguments: Backend.allCases)
    func packagesAreFoundByRepositoryURL(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        try await storage.releases.insert(try makeRelease("b.pkg", "1.0.0", urls: ["github.com/x/y"]))
        try await storage.releases.insert(try makeRelease("a.pkg", "1.0.0", urls: ["github.com/x/y", "gitlab.com/x/y"]))
        #expect(try await storage.releases.packages(forRepositoryURL: "github.com/x/y").map(\.description) == ["a.pkg", "b.pkg"])
        #expect(try await storage.releases.packages(forRepositoryURL: "gitlab.com/x/y").map(\.description) == ["a.pkg"])
        #expect(try await storage.releases.packages(forRepositoryURL: "github.com/x/z").isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func concurrentInsertsOfOneVersionStoreExactlyOne(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        let results = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<20 {
                group.addTask {
                    (try? await storage.releases.insert(try makeRelease("race.pkg", "1.0.0+\(i)"))) != nil
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.filter { $0 }.count == 1)
    }
}

@Suite struct AccountAndTokenStoreConformanceTests {
    @Test(arguments: Backend.allCases)
    func accountNamesAreUniqueCaseInsensitively(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        try await storage.accounts.createAccount(Account(name: "Alice", email: "a@example.com", passwordHash: "h", createdAt: Date(timeIntervalSince1970: 1)))
        await #expect(throws: BulwarkError.self) {
            try await storage.accounts.createAccount(Account(name: "alice", email: "b@example.com", passwordHash: nil, createdAt: Date()))
        }
        let found = try await storage.accounts.account(named: "ALICE")
        #expect(found?.name == "Alice")
        #expect(found?.passwordHash == "h")
        #expect(try await storage.accounts.account(named: "bob") == nil)
    }

    @Test(arguments: Backend.allCases)
    func tokensAreFoundByHashTouchedAndRevoked(backend: Backend) async throws {
        let storage = try backend.makeStorage()
        try await storage.accounts.createAccount(Account(name: "alice", email: "a@example.com", passwordHash: nil, createdAt: Date()))
        let minted = APIToken.mint()
        let created = Date(timeIntervalSince1970: 1_700_000_000)
        let record = TokenRecord(
            id: "t1", hash: minted.hash, account: "alice", permissions: [.publish],
            packages: [try PackagePattern("test.*"), try PackagePattern("other.pkg")],
            createdAt: created, expiresAt: created.addingTimeInterval(86_400)
        )
        try await storage.tokens.insertToken(record)
        #expect(try await storage.tokens.token(hash: minted.hash) == record)
        #expect(try await storage.tokens.token(hash: APIToken.hash("bwk_other")) == nil)

        try await storage.tokens.touchToken(id: "t1", at: created.addingTimeInterval(60))
        #expect(try await storage.tokens.token(hash: minted.hash)?.lastUsedAt == created.addingTimeInterval(60))

        try await storage.tokens.revokeToken(id: "t1", at: created.addingTimeInterval(120))
        let revoked = try #require(try await storage.tokens.token(hash: minted.hash))
        #expect(revoked.revokedAt == created.addingTimeInterval(120))
        #expect(!revoked.isActive(at: created.addingTimeInterval(130)))
        #expect(try await storage.tokens.tokens(ofAccount: "ALICE").map(\.id) == ["t1"])
    }
}

@Suite struct TokenTests {
    @Test func mintedTokensHaveThePrefixAndAreStoredOnlyAsHashes() {
        let minted = APIToken.mint()
        #expect(minted.token.hasPrefix("bwk_"))
        #expect(APIToken.looksLikeToken(minted.token))
        #expect(minted.hash.count == 64)
        #expect(!minted.hash.contains(minted.token))
        #expect(minted.hash == APIToken.hash(minted.token))
        #expect(APIToken.mint().token != minted.token)
    }

    @Test(arguments: ["", "bwk_", "pypi-abc", "bwk_" + String(repeating: "A", count: 42), "bwk_" + String(repeating: "!", count: 43)])
    func malformedTokensAreRecognised(candidate: String) {
        #expect(!APIToken.looksLikeToken(candidate))
    }

    @Test func expiryAndScopeDecideWhatATokenAllows() throws {
        let created = Date(timeIntervalSince1970: 1_000)
        let token = TokenRecord(id: "x", hash: "h", account: "a", permissions: [.publish], packages: [try PackagePattern("mona.*")],
                                createdAt: created, expiresAt: created.addingTimeInterval(10))
        #expect(token.isActive(at: created.addingTimeInterval(9)))
        #expect(!token.isActive(at: created.addingTimeInterval(10)))
        #expect(token.allowsPublishing(try PackageIdentifier("Mona.LinkedList")))
        #expect(!token.allowsPublishing(try PackageIdentifier("monalisa.pkg")))
    }

    @Test func constantTimeComparisonComparesWholeValues() {
        #expect(constantTimeEquals(Array("abc".utf8), Array("abc".utf8)))
        #expect(!constantTimeEquals(Array("abc".utf8), Array("abd".utf8)))
        #expect(!constantTimeEquals(Array("abc".utf8), Array("abcd".utf8)))
    }

    @Test func passwordsAreHashedWithBcrypt() {
        let hasher = PasswordHasher(cost: 4)
        let hash = hasher.hash("correct horse battery staple")
        #expect(hash.hasPrefix("$2"))
        #expect(hasher.verify("correct horse battery staple", against: hash))
        #expect(!hasher.verify("wrong", against: hash))
    }
}

@Suite struct BlobStoreTests {
    @Test func committedFilesAreFoundByChecksumAndTemporariesAreCleanedUp() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("blobs-\(UUID().uuidString)")
        let blobs = try FileBlobStore(root: dir)
        let temporary = try blobs.makeTemporaryFile()
        try Data("hello".utf8).write(to: temporary)
        let (checksum, size) = try FileBlobStore.sha256(ofFileAt: temporary)
        #expect(checksum == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
        #expect(size == 5)
        try await blobs.commit(temporaryFile: temporary, checksum: checksum)
        #expect(FileManager.default.contents(atPath: blobs.path(forChecksum: checksum)) == Data("hello".utf8))
        #expect(try await blobs.location(forChecksum: checksum) == .file(path: blobs.path(forChecksum: checksum)))
        #expect(try await blobs.exists(checksum: checksum))
        #expect(!FileManager.default.fileExists(atPath: temporary.path))

        _ = try blobs.makeTemporaryFile()
        _ = try blobs.makeTemporaryFile()
        #expect(try blobs.removeTemporaryFiles() == 2)
        #expect(try blobs.removeTemporaryFiles() == 0)
    }

    @Test func committingStoredBytesAgainKeepsThemAndRemovesTheTemporary() async throws {
        let blobs = try FileBlobStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("blobs-\(UUID().uuidString)"))
        var checksum = ""
        for _ in 0..<2 {
            let temporary = try blobs.makeTemporaryFile()
            try Data("same bytes".utf8).write(to: temporary)
            checksum = try FileBlobStore.sha256(ofFileAt: temporary).checksum
            try await blobs.commit(temporaryFile: temporary, checksum: checksum)
            #expect(!FileManager.default.fileExists(atPath: temporary.path))
        }
        #expect(FileManager.default.contents(atPath: blobs.path(forChecksum: checksum)) == Data("same bytes".utf8))
        #expect(try blobs.removeTemporaryFiles() == 0)
    }

    @Test func aMalformedChecksumIsRefused() async throws {
        let blobs = try FileBlobStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("blobs-\(UUID().uuidString)"))
        let temporary = try blobs.makeTemporaryFile()
        await #expect(throws: BulwarkError.self) { try await blobs.commit(temporaryFile: temporary, checksum: "../../etc/passwd") }
        #expect(FileManager.default.fileExists(atPath: temporary.path))
    }
}
