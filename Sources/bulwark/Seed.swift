import ArgumentParser
import BulwarkCore
import BulwarkStorage
import Foundation
import Logging

/// Fills a data directory with N packages × M releases for benchmarks, straight through the
/// storage layer. Every release shares one valid archive (blobs are content-addressed).
struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Fill a data directory with generated packages (benchmarks).")

    @OptionGroup var storage: StorageOptions
    @Option(help: "Scope of the generated packages.") var scope = "seed"
    @Option(help: "Number of packages (names pkg000001…).") var packages = 1000
    @Option(help: "Releases per package (1.0.0, 1.1.0, …).") var releases = 1
    @Option(help: "Approximate size of the shared source archive, in bytes.") var archiveSize = 10 * 1024

    func validate() throws {
        guard PackageIdentifier.isValidScope(scope) else { throw ValidationError("invalid scope '\(scope)'") }
        guard (1...10_000_000).contains(packages) else { throw ValidationError("--packages must be between 1 and 10000000") }
        guard (1...1000).contains(releases) else { throw ValidationError("--releases must be between 1 and 1000") }
        guard (0...1 << 30).contains(archiveSize) else { throw ValidationError("--archive-size must be at most 1 GiB") }
    }

    func run() async throws {
        let started = Date()
        let stores = try await storage.open(logger: Logger(label: "bulwark.seed"))
        let (checksum, size) = try await Self.makeArchive(size: archiveSize, into: stores.blobs)
        let manifest = ReleaseManifest(
            filename: "Package.swift", toolsVersion: "5.9",
            bytes: Array(Self.manifest.utf8)
        )
        let publishedAt = Date()
        var batch: [Release] = []
        batch.reserveCapacity(10_000)
        for p in 1...packages {
            let id = try PackageIdentifier(scope: scope, name: String(format: "pkg%06d", p))
            for r in 0..<releases {
                batch.append(Release(
                    package: id, version: try SemanticVersion("1.\(r).0"), checksum: checksum, archiveSize: size,
                    metadata: nil, archiveSignature: nil, metadataSignature: nil, manifests: [manifest],
                    repositoryURLs: ["github.com/\(scope.lowercased())/\(id.name.lowercased())"], publishedAt: publishedAt, publisher: "seed"
                ))
            }
            if batch.count >= 10_000 {
                try await failAsync { try await stores.releases.insertMany(batch) }
                batch.removeAll(keepingCapacity: true)
                FileHandle.standardError.write(Data("seeded \(p) of \(packages) packages\r".utf8))
            }
        }
        if !batch.isEmpty { try await failAsync { try await stores.releases.insertMany(batch) } }
        let seconds = Date().timeIntervalSince(started)
        print("seeded \(packages) packages × \(releases) releases (archive \(size) bytes, sha256 \(checksum)) in \(String(format: "%.1f", seconds)) s")
    }

    static let manifest = "// swift-tools-version:5.9\nimport PackageDescription\n\nlet package = Package(\n    name: \"Seed\",\n    products: [.library(name: \"Seed\", targets: [\"Seed\"])],\n    targets: [.target(name: \"Seed\")]\n)\n"

    /// A valid source archive of about `size` bytes (random, incompressible padding), made with `zip`
    /// the way SwiftPM makes one, stored in the blob store.
    static func makeArchive(size: Int, into blobs: any BlobStore) async throws -> (String, Int64) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-seed-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = dir.appendingPathComponent("package")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("Sources/Seed"), withIntermediateDirectories: true)
        try Data(manifest.utf8).write(to: root.appendingPathComponent("Package.swift"))
        try Data("public let seed = 1\n".utf8).write(to: root.appendingPathComponent("Sources/Seed/Seed.swift"))
        var rng = SystemRandomNumberGenerator()
        let padding = (0..<max(0, size - 600)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        try Data(padding).write(to: root.appendingPathComponent("Sources/Seed/padding.bin"))
        let status = try runTool("/usr/bin/zip", ["-qry", "-0", "archive.zip", "package"], in: dir.path)
        guard status == 0 else { throw ValidationError("zip failed: is /usr/bin/zip installed?") }
        let temporary = try blobs.makeTemporaryFile()
        try FileManager.default.removeItem(at: temporary)
        try FileManager.default.copyItem(at: dir.appendingPathComponent("archive.zip"), to: temporary)
        let (checksum, length) = try FileBlobStore.sha256(ofFileAt: temporary)
        try await blobs.commit(temporaryFile: temporary, checksum: checksum)
        return (checksum, length)
    }
}
