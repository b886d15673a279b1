import BulwarkCore
import Crypto
import BulwarkStorage
import Foundation
import NIOCore
import Testing

/// `admin export` / `import`: a registry moves between databases (SQLite ↔ PostgreSQL) with every
/// row and every archive intact.
@Suite struct RegistryExportTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// Every kind of durable row, written through the store protocols.
    static func populate(_ storage: Storage) async throws -> [UInt8] {
        let archive = Array("PK fake archive bytes \(UUID())".utf8)
        let checksum = sha256Hex(archive)
        let temporary = try storage.blobs.makeTemporaryFile()
        try Data(archive).write(to: temporary)
        try await storage.blobs.commit(temporaryFile: temporary, checksum: checksum)

        try await storage.accounts.createAccount(Account(name: "Alice", email: "alice@example.com", passwordHash: "$2b$04$hash", createdAt: start))
        try await storage.tokens.insertToken(TokenRecord(
            id: "t1", hash: String(repeating: "cd", count: 32), account: "Alice", permissions: [.publish, .yank],
            packages: [try PackagePattern("acme.*")], createdAt: start, expiresAt: start.addingTimeInterval(86_400)
        ))
        try await storage.security.saveTOTP(TOTPEnrolment(account: "Alice", sealedSecret: [9, 8, 7], confirmed: false, lastUsedStep: nil, createdAt: start))
        #expect(try await storage.security.confirmTOTP(account: "Alice", step: 42))
        try await storage.security.addPasskey(Passkey(
            id: "cred-1", account: "Alice", name: "YubiKey", publicKey: [1, 2, 3], algorithm: -7, signCount: 5,
            backupEligible: true, backedUp: false, transports: ["usb", "nfc"], createdAt: start
        ))
        try await storage.security.replaceRecoveryCodes(account: "Alice", codes: [RecoveryCodeRecord(id: "rc1", account: "Alice", hash: "h1"), RecoveryCodeRecord(id: "rc2", account: "Alice", hash: "h2")])
        try await storage.security.recordEvent(SecurityEvent(account: "Alice", kind: .tokenCreated, detail: "token t1", ip: "127.0.0.1", at: start))
        try await storage.security.recordEvent(SecurityEvent(account: "Alice", kind: .signedOut, detail: "", ip: nil, at: start.addingTimeInterval(1)))
        #expect(try await storage.scopes.claimScope("acme", account: "Alice", at: start))
        let id = try PackageIdentifier("acme.Widget")
        try await storage.policies.setPolicy(PackagePolicy(secondFactor: .passkey, publishing: .approval), for: id, at: start)
        var release = try makeRelease("acme.Widget", "1.0.0", urls: ["https://github.com/acme/widget.git"], at: start)
        release.checksum = checksum
        release.archiveSize = Int64(archive.count)
        try await storage.releases.insert(release)
        var second = release
        second.version = try SemanticVersion("1.1.0")
        try await storage.releases.insert(second)
        var staged = release
        staged.version = try SemanticVersion("2.0.0-beta.1")
        try await storage.policies.insertStaged(StagedRelease(id: "s1", release: staged, createdAt: start, expiresAt: start.addingTimeInterval(3600)))
        try await storage.maintainers.setMember(PackageMember(account: "Alice", role: .owner, addedAt: start), of: id)
        #expect(try await storage.lifecycle.yank(id, version: try SemanticVersion("1.0.0"), Yank(reason: "broken", by: "Alice", at: start)))
        _ = try await storage.lifecycle.deleteRelease(id, version: try SemanticVersion("1.1.0"), by: "Alice", at: start)
        return archive
    }

    /// What a reader of the stores sees; equal before and after a move.
    static func snapshot(_ storage: Storage) async throws -> String {
        let id = try PackageIdentifier("acme.widget")
        var lines: [String] = []
        lines.append("account \(String(describing: try await storage.accounts.account(named: "alice")))")
        lines.append("token \(String(describing: try await storage.tokens.token(hash: String(repeating: "cd", count: 32))))")
        lines.append("totp \(String(describing: try await storage.security.totp(account: "alice")))")
        lines.append("passkeys \(try await storage.security.passkeys(account: "alice"))")
        lines.append("codes \(try await storage.security.unusedRecoveryCodes(account: "alice"))")
        lines.append("events \(try await storage.security.events(account: "alice", limit: 10))")
        lines.append("owners \(try await storage.scopes.owners(ofScope: "acme"))")
        lines.append("policy \(String(describing: try await storage.policies.policy(of: id)))")
        lines.append("staged \(try await storage.policies.pendingStaged(of: id))")
        lines.append("package \(String(describing: try await storage.releases.package(id)))")
        lines.append("releases \(try await storage.releases.releases(of: id).sorted { $0.version < $1.version })")
        lines.append("release \(String(describing: try await storage.releases.release(id, version: try SemanticVersion("1.0.0"))))")
        lines.append("byURL \(try await storage.releases.packages(forRepositoryURL: "github.com/acme/widget"))")
        lines.append("members \(try await storage.maintainers.members(of: id))")
        lines.append("yanks \(try await storage.lifecycle.yanks(of: id))")
        lines.append("tombstones \(try await storage.lifecycle.tombstones(of: id))")
        return lines.joined(separator: "\n")
    }

    static var pairs: [(Backend, Backend)] {
        let databases = Backend.allCases.filter { $0 != .memory }
        return databases.flatMap { source in databases.map { (source, $0) } }
    }

    @Test(arguments: pairs)
    func aRegistryMovesWithEveryRowAndArchive(source: Backend, target: Backend) async throws {
        let from = try source.makeStorage()
        let archive = try await Self.populate(from)
        let before = try await Self.snapshot(from)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-export-\(UUID().uuidString)")
        let exported = try await RegistryExport.export(from: try #require(from.releases as? any TableDumping), blobs: from.blobs, to: directory)
        #expect(exported.blobs == 1)

        let to = try target.makeStorage()
        let database = try #require(to.releases as? any TableDumping)
        let imported = try await RegistryExport.import(from: directory, into: database, blobs: to.blobs)
        #expect(imported == exported)
        #expect(try await Self.snapshot(to) == before)
        let bytes = try await to.blobs.open(checksum: sha256Hex(archive)).collect(upTo: 1 << 20)
        #expect(Array(bytes.readableBytesView) == archive)

        // The imported registry works on: identity columns continue after the imported rows,
        // and the tombstone still refuses its version.
        try await to.security.recordEvent(SecurityEvent(account: "Alice", kind: .signedOut, detail: "after", ip: nil, at: Self.start.addingTimeInterval(5)))
        #expect(try await to.security.events(account: "alice", limit: 10).count == 3)
        var again = try makeRelease("acme.Widget", "1.1.0", at: Self.start)
        again.checksum = sha256Hex(archive)
        await #expect(throws: BulwarkError.self) { try await to.releases.insert(again) }
    }

    @Test(arguments: Backend.allCases.filter { $0 != .memory })
    func importRefusesANonEmptyRegistryAndChangesNothing(backend: Backend) async throws {
        let from = try backend.makeStorage()
        let archive = try await Self.populate(from)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-export-\(UUID().uuidString)")
        _ = try await RegistryExport.export(from: try #require(from.releases as? any TableDumping), blobs: from.blobs, to: directory)

        let to = try backend.makeStorage()
        try await to.accounts.createAccount(Account(name: "bob", email: "bob@example.com", passwordHash: nil, createdAt: Self.start))
        await #expect(throws: BulwarkError.self) {
            try await RegistryExport.import(from: directory, into: try #require(to.releases as? any TableDumping), blobs: to.blobs)
        }
        #expect(try await to.accounts.account(named: "alice") == nil)
        #expect(try await to.accounts.account(named: "bob") != nil)
        // Refused before any archive was stored.
        #expect(try await !to.blobs.exists(checksum: sha256Hex(archive)))
        // Exporting into a directory that has files is refused too.
        await #expect(throws: BulwarkError.self) {
            try await RegistryExport.export(from: try #require(from.releases as? any TableDumping), blobs: from.blobs, to: directory)
        }
    }

    /// A pending staged release's archive moves with it (it is needed to approve it); a rejected
    /// one's archive, removed from the blob store, is not looked for.
    @Test(arguments: pairs)
    func aPendingStagedReleasesArchiveMovesAndARejectedOnesIsNotNeeded(source: Backend, target: Backend) async throws {
        let from = try source.makeStorage()
        _ = try await Self.populate(from)
        func stage(_ id: String, _ version: String) async throws -> (String, [UInt8]) {
            let archive = Array("PK staged \(id) \(UUID())".utf8)
            let temporary = try from.blobs.makeTemporaryFile()
            try Data(archive).write(to: temporary)
            try await from.blobs.commit(temporaryFile: temporary, checksum: sha256Hex(archive))
            var release = try makeRelease("acme.Widget", version, at: Self.start)
            release.checksum = sha256Hex(archive)
            try await from.policies.insertStaged(StagedRelease(id: id, release: release, createdAt: Self.start, expiresAt: Self.start.addingTimeInterval(3600)))
            return (id, archive)
        }
        let (_, pending) = try await stage("pending", "3.0.0")
        let (rejectedID, rejected) = try await stage("rejected", "3.0.1")
        #expect(try await from.policies.decide(id: rejectedID, from: .pending, to: .rejected, by: "Alice", at: Self.start))
        #expect(try await from.removeArchiveIfUnused(checksum: sha256Hex(rejected)))

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-export-\(UUID().uuidString)")
        let exported = try await RegistryExport.export(from: try #require(from.releases as? any TableDumping), blobs: from.blobs, to: directory)
        #expect(exported.blobs == 2)
        let to = try target.makeStorage()
        _ = try await RegistryExport.import(from: directory, into: try #require(to.releases as? any TableDumping), blobs: to.blobs)
        let bytes = try await to.blobs.open(checksum: sha256Hex(pending)).collect(upTo: 1 << 20)
        #expect(Array(bytes.readableBytesView) == pending)
        #expect(try await !to.blobs.exists(checksum: sha256Hex(rejected)))
        #expect(try await to.policies.staged(id: "pending")?.state == .pending)
        #expect(try await to.policies.staged(id: rejectedID)?.state == .rejected)
    }

    @Test func aDamagedExportIsRefusedBeforeAnythingIsLoaded() async throws {
        let from = try Backend.sqlite.makeStorage()
        let archive = try await Self.populate(from)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-export-\(UUID().uuidString)")
        _ = try await RegistryExport.export(from: try #require(from.releases as? any TableDumping), blobs: from.blobs, to: directory)
        try Data("tampered".utf8).write(to: directory.appendingPathComponent("blobs/\(sha256Hex(archive)).zip"))

        let to = try Backend.sqlite.makeStorage()
        await #expect(throws: BulwarkError.self) {
            try await RegistryExport.import(from: directory, into: try #require(to.releases as? any TableDumping), blobs: to.blobs)
        }
        #expect(try await to.accounts.account(named: "alice") == nil)
        #expect(try await to.blobs.exists(checksum: sha256Hex(archive)) == false)
    }
}

func sha256Hex(_ bytes: [UInt8]) -> String {
    SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
}
