import BulwarkArchive
import BulwarkCore
import BulwarkServer
import BulwarkStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Hostile archives through the real publish route: each gets a 422 problem detail, and nothing is
/// stored — no release row, no blob, no temporary file.
@Suite struct CraftedArchiveTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let archive: @Sendable () -> [UInt8]
    }

    static let cases: [Case] = [
        Case(testDescription: "zip slip ../ at the top") { CraftedZip.build(CraftedZip.base() + [.file("../evil.sh", "x")]) },
        Case(testDescription: "zip slip ../ inside the root") { CraftedZip.build(CraftedZip.base() + [.file("test.pkg/../../evil.sh", "x")]) },
        Case(testDescription: "absolute path") { CraftedZip.build(CraftedZip.base() + [.file("/etc/cron.d/evil", "x")]) },
        Case(testDescription: "symlink out of the root") { CraftedZip.build(CraftedZip.base() + [.link("test.pkg/passwd", to: "../../../etc/passwd")]) },
        Case(testDescription: "absolute symlink") { CraftedZip.build(CraftedZip.base() + [.link("test.pkg/passwd", to: "/etc/passwd")]) },
        Case(testDescription: "10 000 tiny entries (limit 1 000)") {
            CraftedZip.build(CraftedZip.base() + (0..<10_000).map { .file("test.pkg/f\($0)", "x") })
        },
        Case(testDescription: "1 KiB of deflate declared as 10 GiB") {
            CraftedZip.build(CraftedZip.base() + [
                CraftedZip.Entry(name: "test.pkg/bomb.bin", data: CraftedZip.zeroBomb(matches: 630), method: 8, uncompressedSize: 10 << 30, crc: 0)
            ])
        },
        Case(testDescription: "1 KiB of deflate inflating far beyond its declared 1 KiB") {
            CraftedZip.build(CraftedZip.base() + [
                CraftedZip.Entry(name: "test.pkg/bomb.bin", data: CraftedZip.zeroBomb(matches: 630), method: 8, uncompressedSize: 1024, crc: 0)
            ])
        },
        Case(testDescription: "duplicate names") {
            CraftedZip.build(CraftedZip.base() + [.file("test.pkg/Package.swift", "// swift-tools-version:5.9\n// again\n")])
        },
        Case(testDescription: "not a zip") { Array("PK this is not a zip archive at all, just text".utf8) + [UInt8](repeating: 0x41, count: 2000) },
        Case(testDescription: "truncated zip") {
            let whole = CraftedZip.build(CraftedZip.base() + [.file("test.pkg/Sources/Pkg/Pkg.swift", String(repeating: "let x = 1\n", count: 50))])
            return Array(whole.prefix(whole.count * 2 / 3))
        },
    ]

    @Test(arguments: cases)
    func hostileArchiveIs422AndNothingIsStored(_ hostile: Case) async throws {
        let registry = try await TestRegistry(configure: {
            $0.archiveLimits.maxEntries = 1_000
            $0.limits.requestsPerSecondPerToken = 0
        })
        let archive = hostile.archive()
        try await registry.test { client in
            let response = try await client.publish("/test/pkg/1.0.0", PublishBody(archive: archive), token: registry.token)
            #expect(response.status == .unprocessableContent, "\(response.text)")
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect((response.problemDetail ?? "").count > 10, "a readable reason: \(response.text)")
        }
        try await expectNothingStored(registry)
    }

    /// The writer makes valid archives too: without the hostile part, the same construction is accepted.
    @Test func theCraftedBaseArchiveIsAccepted() async throws {
        let registry = try await TestRegistry()
        let archive = CraftedZip.build(CraftedZip.base() + [.file("test.pkg/Sources/Pkg/Pkg.swift", "public let x = 1\n")])
        try await registry.test { client in
            let response = try await client.publish("/test/pkg/1.0.0", PublishBody(archive: archive), token: registry.token)
            #expect(response.status == .created, "\(response.text)")
        }
    }

    /// Oversized bodies: 413 when `Content-Length` says so up front, and also when a body without a
    /// length grows past the limit while streaming.
    @Test(arguments: [true, false])
    func anOversizedBodyIs413AndNothingIsStored(declaringLength: Bool) async throws {
        let registry = try await TestRegistry(configure: { $0.maxUploadBytes = 64 * 1024 })
        let body = PublishBody(archive: [UInt8](repeating: 0x50, count: 256 * 1024))
        try await registry.test { client in
            var headers = body.headers(token: registry.token)
            if declaringLength { headers[.contentLength] = String(body.bytes.count) }
            let response = try await client.execute(uri: "/test/pkg/1.0.0", method: .put, headers: headers, body: ByteBuffer(bytes: body.bytes))
            #expect(response.status == .contentTooLarge, "\(response.text)")
            #expect(response.headers[.contentType] == "application/problem+json")
        }
        try await expectNothingStored(registry)
    }

    func expectNothingStored(_ registry: TestRegistry) async throws {
        #expect(try await registry.storage.releases.release(PackageIdentifier("test.pkg"), version: SemanticVersion("1.0.0")) == nil)
        let blobs = registry.directory.appendingPathComponent("blobs")
        var files: [String] = []
        if let walker = FileManager.default.enumerator(at: blobs, includingPropertiesForKeys: [.isRegularFileKey]) {
            for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                files.append(url.path)
            }
        }
        #expect(files.isEmpty, "left behind: \(files)")
    }
}
