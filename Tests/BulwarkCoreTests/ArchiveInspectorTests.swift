import BulwarkArchive
import BulwarkCore
import Foundation
import Testing

/// Checks that inspecting `url` fails with a 422 whose detail contains every fragment.
func expectRejection(
    _ url: URL, limits: ArchiveLimits = .init(), mentioning fragments: [String],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let error = #expect(throws: BulwarkError.self, sourceLocation: sourceLocation) {
        try ArchiveInspector.inspect(fileAt: url, limits: limits)
    }
    #expect(error?.kind == .unprocessable, sourceLocation: sourceLocation)
    #expect(error?.httpStatus == 422, sourceLocation: sourceLocation)
    for fragment in fragments {
        #expect(
            error?.detail.contains(fragment) == true, "detail '\(error?.detail ?? "")' should mention '\(fragment)'",
            sourceLocation: sourceLocation
        )
    }
}

enum Manifests {
    static let package = "// swift-tools-version:5.9\nimport PackageDescription\n\nlet package = Package(name: \"TestPkg\")\n"
    static let swift6 = "// swift-tools-version: 6.0\nimport PackageDescription\n\nlet package = Package(name: \"TestPkg\")\n"
}

@Suite("ArchiveInspector")
struct ArchiveInspectorTests {
    // MARK: Archives made by `zip -ry`, as `swift package-registry publish` does

    @Test func aPublishedPackageIsAcceptedWithItsManifestsByteForByte() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        // CR LF line ends, non-ASCII text and the signature line SwiftPM appends (no trailing newline).
        let packageSwift = Array(
            "// swift-tools-version:5.9\r\nimport PackageDescription\r\n// Grüße 🚀\r\nlet package = Package(name: \"TestPkg\")\n// signature: cms-1.0.0;MIIBAQ==".utf8
        )
        let alternate = Array(Manifests.swift6.utf8)
        let source = Array("public struct TestPkg {}\n".utf8)
        let readme = Array("# TestPkg\n".utf8)
        try scratch.write(packageSwift, to: "test.pkg/Package.swift")
        try scratch.write(alternate, to: "test.pkg/Package@swift-6.0.swift")
        try scratch.write(source, to: "test.pkg/Sources/TestPkg/TestPkg.swift")
        try scratch.write(readme, to: "test.pkg/README.md")
        let zip = try scratch.zip(["test.pkg"])

        let summary = try ArchiveInspector.inspect(fileAt: zip)

        #expect(summary.rootDirectory == "test.pkg")
        #expect(summary.manifests.map(\.filename) == ["Package.swift", "Package@swift-6.0.swift"])
        #expect(summary.manifests.map(\.declaredToolsVersion) == ["5.9", "6.0"])
        #expect(summary.manifests.first?.bytes == packageSwift)
        #expect(summary.manifests.last?.bytes == alternate)
        // test.pkg/, Sources/, Sources/TestPkg/ and four files.
        #expect(summary.entryCount == 7)
        #expect(summary.uncompressedBytes == UInt64(packageSwift.count + alternate.count + source.count + readme.count))
    }

    @Test func theTopLevelDirectoryKeepsTheIdentityAsTyped() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try scratch.write(Manifests.package, to: "Mona.Linked_List/Package.swift")
        let zip = try scratch.zip(["Mona.Linked_List"])

        let summary = try ArchiveInspector.inspect(fileAt: zip)

        #expect(summary.rootDirectory == "Mona.Linked_List")
        #expect(summary.entryCount == 2)
    }

    @Test func aSymlinkPointingInsideThePackageIsAccepted() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try scratch.write(Manifests.package, to: "pkg/Package.swift")
        try scratch.write("let x = 1\n", to: "pkg/Sources/Lib/Lib.swift")
        try scratch.symlink("pkg/Sources/Lib/Manifest.swift", to: "../../Package.swift")
        try scratch.symlink("pkg/Code", to: "Sources/Lib")
        try scratch.symlink("pkg/Sources/Self", to: "./../Sources/./Lib/..")
        let zip = try scratch.zip(["pkg"])

        let summary = try ArchiveInspector.inspect(fileAt: zip)

        #expect(summary.rootDirectory == "pkg")
        #expect(summary.manifests.map(\.filename) == ["Package.swift"])
    }

    @Test func aSymlinkPointingOutsideTheRootIsRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try scratch.write(Manifests.package, to: "pkg/Package.swift")
        try scratch.symlink("pkg/etc", to: "../../etc")
        let zip = try scratch.zip(["pkg"])

        expectRejection(zip, mentioning: ["pkg/etc", "outside the package"])
    }

    @Test func anAbsoluteSymlinkIsRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try scratch.write(Manifests.package, to: "pkg/Package.swift")
        try scratch.symlink("pkg/Sources/passwd", to: "/etc/passwd")
        let zip = try scratch.zip(["pkg"])

        expectRejection(zip, mentioning: ["pkg/Sources/passwd", "outside the package"])
    }

    @Test func twoTopLevelDirectoriesAreRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try scratch.write(Manifests.package, to: "pkg/Package.swift")
        try scratch.write(Manifests.package, to: "other/Package.swift")
        let zip = try scratch.zip(["pkg", "other"])

        expectRejection(zip, mentioning: ["exactly one top-level directory", "pkg", "other"])
    }

    @Test func aFileAtTheTopLevelIsRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try scratch.write(Manifests.package, to: "pkg/Package.swift")
        try scratch.write("# readme\n", to: "README.md")
        let zip = try scratch.zip(["pkg", "README.md"])

        expectRejection(zip, mentioning: ["top-level"])
    }

    @Test func aFlatArchiveWithPackageSwiftAtTheTopIsRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try scratch.write(Manifests.package, to: "Package.swift")
        try scratch.write("let x = 1\n", to: "Sources/Lib/Lib.swift")
        let zip = try scratch.zip(["Package.swift", "Sources"])

        expectRejection(zip, mentioning: ["top-level"])
    }

    @Test func aPackageSwiftOnlyInASubdirectoryIsRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try scratch.write(Manifests.package, to: "pkg/Sub/Package.swift")
        try scratch.write(Manifests.swift6, to: "pkg/Sub/Package@swift-6.0.swift")
        let zip = try scratch.zip(["pkg"])

        expectRejection(zip, mentioning: ["no Package.swift"])
    }

    @Test func onlyAnAlternateManifestAtTheRootIsRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try scratch.write(Manifests.swift6, to: "pkg/Package@swift-6.0.swift")
        let zip = try scratch.zip(["pkg"])

        expectRejection(zip, mentioning: ["no Package.swift"])
    }

    @Test func manifestsInSubdirectoriesAreNotReported() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try scratch.write(Manifests.package, to: "pkg/Package.swift")
        try scratch.write(Manifests.package, to: "pkg/Fixtures/Dep/Package.swift")
        try scratch.write(Manifests.swift6, to: "pkg/Fixtures/Dep/Package@swift-6.0.swift")
        try scratch.write("not a manifest\n", to: "pkg/Package@swift-six.swift")
        let zip = try scratch.zip(["pkg"])

        let summary = try ArchiveInspector.inspect(fileAt: zip)

        #expect(summary.manifests.map(\.filename) == ["Package.swift"])
    }

    @Test func moreEntriesThanTheLimitAreRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try scratch.write(Manifests.package, to: "pkg/Package.swift")
        for i in 0..<4 { try scratch.write("\(i)\n", to: "pkg/Sources/f\(i).swift") }
        let zip = try scratch.zip(["pkg"])  // pkg/, pkg/Sources/, Package.swift and 4 sources: 7 entries

        #expect(try ArchiveInspector.inspect(fileAt: zip, limits: ArchiveLimits(maxEntries: 7)).entryCount == 7)
        expectRejection(zip, limits: ArchiveLimits(maxEntries: 6), mentioning: ["more than 6 entries"])
    }

    @Test func moreUncompressedBytesThanTheLimitAreRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let manifest = Array(Manifests.package.utf8)
        try scratch.write(manifest, to: "pkg/Package.swift")
        try scratch.write([UInt8](repeating: 65, count: 1000), to: "pkg/Sources/Big.swift")
        let zip = try scratch.zip(["pkg"])
        let total = UInt64(manifest.count + 1000)

        #expect(try ArchiveInspector.inspect(fileAt: zip, limits: ArchiveLimits(maxUncompressedBytes: total)).uncompressedBytes == total)
        expectRejection(zip, limits: ArchiveLimits(maxUncompressedBytes: total - 1), mentioning: ["more than \(total - 1) bytes"])
    }

    @Test func aHighlyCompressedLargeFileIsRejectedAsABomb() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try scratch.write(Manifests.package, to: "pkg/Package.swift")
        try Data(count: 20 * 1024 * 1024).write(to: scratch.url.appendingPathComponent("pkg/zeros.bin"))
        let zip = try scratch.zip(["pkg"])
        let compressedSize = try #require(try zip.resourceValues(forKeys: [.fileSizeKey]).fileSize)
        #expect(compressedSize < 100_000)

        expectRejection(zip, mentioning: ["pkg/zeros.bin", "compression ratio above 200:1"])
        // Deflate can't do better than about 1032:1, so a generous limit lets it through.
        #expect(try ArchiveInspector.inspect(fileAt: zip, limits: ArchiveLimits(maxCompressionRatio: 2000)).uncompressedBytes > 20_000_000)
    }

    @Test func theCompressionRatioIsNotCheckedForFilesUpTo1MiB() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try scratch.write(Manifests.package, to: "pkg/Package.swift")
        try Data(count: 1024 * 1024).write(to: scratch.url.appendingPathComponent("pkg/zeros.bin"))
        let zip = try scratch.zip(["pkg"])

        #expect(try ArchiveInspector.inspect(fileAt: zip).entryCount == 3)
    }

    @Test func aManifestLargerThanTheLimitIsRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let manifest = Array(Manifests.package.utf8)
        try scratch.write(manifest, to: "pkg/Package.swift")
        let zip = try scratch.zip(["pkg"])

        #expect(try ArchiveInspector.inspect(fileAt: zip, limits: ArchiveLimits(maxManifestBytes: manifest.count)).manifests.first?.bytes == manifest)
        expectRejection(zip, limits: ArchiveLimits(maxManifestBytes: manifest.count - 1), mentioning: ["pkg/Package.swift", "larger than \(manifest.count - 1) bytes"])
    }

    @Test func anAlternateManifestLargerThanTheLimitIsRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try scratch.write(Manifests.package, to: "pkg/Package.swift")
        try scratch.write(Manifests.package + String(repeating: "// padding\n", count: 50), to: "pkg/Package@swift-6.0.swift")
        try scratch.write(String(repeating: "// not a manifest\n", count: 50), to: "pkg/Sources/Big.swift")
        let zip = try scratch.zip(["pkg"])

        expectRejection(zip, limits: ArchiveLimits(maxManifestBytes: 200), mentioning: ["pkg/Package@swift-6.0.swift"])
    }

    @Test func somethingThatIsNotAZipIsRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let file = try scratch.write("this is not a zip file, just text\n", to: "not.zip")

        expectRejection(file, mentioning: ["not a valid zip"])
    }

    @Test func anEmptyFileIsRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let file = try scratch.write([UInt8](), to: "empty.zip")

        expectRejection(file, mentioning: ["not a valid zip"])
    }

    @Test func aMissingFileIsRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }

        expectRejection(scratch.url.appendingPathComponent("missing.zip"), mentioning: ["not a valid zip"])
    }

    @Test(arguments: [0.5, 0.9, 0.99])
    func aTruncatedZipIsRejected(_ fraction: Double) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try scratch.write(Manifests.package, to: "pkg/Package.swift")
        try scratch.write(String(repeating: "let x = 1\n", count: 200), to: "pkg/Sources/Lib.swift")
        let zip = try scratch.zip(["pkg"])
        let bytes = try [UInt8](Data(contentsOf: zip))
        let truncated = try scratch.write(Array(bytes.prefix(Int(Double(bytes.count) * fraction))), to: "truncated.zip")

        expectRejection(truncated, mentioning: ["not a valid zip"])
    }

    @Test func aZipWithNoEntriesIsRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let file = try scratch.write(ZipWriter.endRecord(entries: 0, centralSize: 0, centralOffset: 0), to: "empty.zip")

        expectRejection(file, mentioning: ["empty"])
    }

    // MARK: Archives written byte by byte

    @Test func manifestsAreOrderedPackageSwiftFirstThenAlternatesByName() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let zip = try ZipWriter.write([
            .directory("pkg"),
            .file("pkg/Package@swift-6.0.swift", Manifests.swift6),
            .file("pkg/Package@swift-5.10.swift", "// swift-tools-version:5.10\n"),
            .file("pkg/Package@swift-5.9.swift", "// swift-tools-version:5.9\n"),
            .file("pkg/Package.swift", Manifests.package),
        ], in: scratch)

        let summary = try ArchiveInspector.inspect(fileAt: zip)

        #expect(summary.manifests.map(\.filename) == [
            "Package.swift", "Package@swift-5.10.swift", "Package@swift-5.9.swift", "Package@swift-6.0.swift",
        ])
        #expect(summary.manifests.map(\.declaredToolsVersion) == ["5.9", "5.10", "5.9", "6.0"])
    }

    @Test func theDeclaredToolsVersionComesFromTheContentNotTheFileName() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let zip = try ZipWriter.write([
            .file("pkg/Package.swift", "import PackageDescription\n"),
            .file("pkg/Package@swift-6.0.swift", "// swift-tools-version:5.10\n"),
        ], in: scratch)

        let summary = try ArchiveInspector.inspect(fileAt: zip)

        #expect(summary.manifests.map(\.declaredToolsVersion) == [nil, "5.10"])
    }

    @Test func directoryEntriesAreOptional() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let zip = try ZipWriter.write([
            .file("pkg/Package.swift", Manifests.package),
            .file("pkg/Sources/Lib/Lib.swift", "let x = 1\n"),
        ], in: scratch)

        let summary = try ArchiveInspector.inspect(fileAt: zip)

        #expect(summary.rootDirectory == "pkg")
        #expect(summary.entryCount == 2)
    }

    @Test func aDeflatedManifestIsInflatedExactly() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let manifest = Array((Manifests.package + String(repeating: "// line\n", count: 10_000)).utf8)
        let zip = try ZipWriter.write([.directory("pkg"), .deflated("pkg/Package.swift", bytes: manifest)], in: scratch)

        let summary = try ArchiveInspector.inspect(fileAt: zip)

        #expect(summary.manifests.first?.bytes == manifest)
        #expect(summary.manifests.first?.declaredToolsVersion == "5.9")
    }

    @Test func symlinksResolvingInsideAreAccepted() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let zip = try ZipWriter.write([
            .directory("pkg"),
            .file("pkg/Package.swift", Manifests.package),
            .symlink("pkg/a/b/c/top", to: "../../../Package.swift"),
            .symlink("pkg/here", to: "."),
            .symlink("pkg/a/root", to: ".."),
            .symlink("pkg/a/deep", to: "b/c/../../../a//b/./c"),
        ], in: scratch)

        #expect(try ArchiveInspector.inspect(fileAt: zip).entryCount == 6)
    }

    struct Hostile: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let entries: [ZipEntry]
        let fragments: [String]
    }

    static let manifestEntries: [ZipEntry] = [.directory("pkg"), .file("pkg/Package.swift", Manifests.package)]

    static let hostileArchives: [Hostile] = [
        .init(testDescription: "parent traversal", entries: manifestEntries + [.file("../evil", "x")], fragments: ["unsafe path '../evil'"]),
        .init(testDescription: "traversal inside the root", entries: manifestEntries + [.file("pkg/../../evil", "x")], fragments: ["unsafe path 'pkg/../../evil'"]),
        .init(testDescription: "absolute path", entries: manifestEntries + [.file("/etc/passwd", "root:x:0:0")], fragments: ["unsafe path '/etc/passwd'"]),
        .init(testDescription: "backslash path", entries: manifestEntries + [.file("pkg\\..\\..\\evil", "x")], fragments: ["unsafe path"]),
        .init(testDescription: "drive letter", entries: manifestEntries + [.file("C:/evil", "x")], fragments: ["unsafe path 'C:/evil'"]),
        .init(testDescription: "dot component", entries: manifestEntries + [.file("pkg/./Sources/x.swift", "x")], fragments: ["unsafe path"]),
        .init(testDescription: "NUL in a name", entries: manifestEntries + [.file("pkg/x\0.swift", "x")], fragments: ["unsafe path"]),
        .init(testDescription: "duplicate names", entries: manifestEntries + [.file("pkg/Package.swift", "// second\n")], fragments: ["'pkg/Package.swift' more than once"]),
        .init(testDescription: "duplicate after normalisation", entries: manifestEntries + [.file("pkg//Package.swift", "// second\n")], fragments: ["more than once"]),
        .init(testDescription: "file and directory with one name", entries: manifestEntries + [.file("pkg/Sources", "x"), .directory("pkg/Sources")], fragments: ["more than once"]),
        .init(testDescription: "two top-level directories", entries: manifestEntries + [.directory("other"), .file("other/Package.swift", "x")], fragments: ["exactly one top-level directory", "'pkg' and 'other'"]),
        .init(testDescription: "top-level file", entries: [.file("Package.swift", Manifests.package)], fragments: ["'Package.swift' is a file at its top level"]),
        .init(testDescription: "top-level file after the directory", entries: manifestEntries + [.file("pkg", "x")], fragments: ["more than once"]),
        .init(testDescription: "top-level symlink", entries: [.symlink("pkg", to: "/"), .file("pkg/Package.swift", Manifests.package)], fragments: ["top level"]),
        .init(testDescription: "symlink to ../../etc", entries: manifestEntries + [.symlink("pkg/etc", to: "../../etc")], fragments: ["'pkg/etc' points outside the package"]),
        .init(testDescription: "symlink to the parent of the root", entries: manifestEntries + [.symlink("pkg/up", to: "..")], fragments: ["'pkg/up' points outside"]),
        .init(testDescription: "symlink escaping from deep inside", entries: manifestEntries + [.symlink("pkg/a/b/up", to: "../../../x")], fragments: ["points outside"]),
        .init(testDescription: "symlink escaping and coming back", entries: manifestEntries + [.symlink("pkg/back", to: "../pkg/Package.swift")], fragments: ["points outside"]),
        .init(testDescription: "absolute symlink", entries: manifestEntries + [.symlink("pkg/passwd", to: "/etc/passwd")], fragments: ["'pkg/passwd' points outside"]),
        .init(testDescription: "empty symlink", entries: manifestEntries + [.symlink("pkg/empty", to: "")], fragments: ["'pkg/empty'"]),
        .init(testDescription: "oversized symlink target", entries: manifestEntries + [.symlink("pkg/long", to: String(repeating: "a/", count: 2100))], fragments: ["'pkg/long' has an oversized target"]),
        .init(testDescription: "deflated entry larger than declared", entries: manifestEntries + [ZipEntry.deflated("pkg/big.bin", bytes: Array(repeating: 1, count: 5000)).declaring(size: 100)], fragments: ["'pkg/big.bin' inflates to more than its declared size"]),
        .init(testDescription: "deflated manifest larger than declared", entries: [.directory("pkg"), ZipEntry.deflated("pkg/Package.swift", bytes: Array(repeating: 10, count: 5000)).declaring(size: 10)], fragments: ["'pkg/Package.swift'"]),
        .init(testDescription: "corrupt deflate stream", entries: manifestEntries + [ZipEntry(name: "pkg/bad.bin", kind: .file, content: [1, 2, 3], method: 8, payload: [0xFF, 0xFF, 0xFF, 0xFF])], fragments: ["'pkg/bad.bin' is corrupt or truncated"]),
    ]

    @Test(arguments: hostileArchives)
    func hostileArchivesAreRejectedNamingTheProblem(_ hostile: Hostile) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let zip = try ZipWriter.write(hostile.entries, in: scratch)

        expectRejection(zip, mentioning: hostile.fragments)
    }

    // MARK: Integrity, every entry, links through links, overflow and endless streams

    /// The doc comment promises that "every entry inflates to what it says": the CRC-32 is compared.
    @Test func anEntryWhoseCRCDoesNotMatchIsRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        var corrupt = ZipEntry.file("pkg/Sources/Lib.swift", "let x = 1\n")
        corrupt.crc32 = 0xDEAD_BEEF
        let zip = try ZipWriter.write(Self.manifestEntries + [corrupt], in: scratch)

        expectRejection(zip, mentioning: ["pkg/Sources/Lib.swift", "CRC-32"])
    }

    @Test func aManifestWhoseCRCDoesNotMatchIsRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        var manifest = ZipEntry.file("pkg/Package.swift", Manifests.package)
        manifest.crc32 = 0
        let zip = try ZipWriter.write([.directory("pkg"), manifest], in: scratch)

        expectRejection(zip, mentioning: ["pkg/Package.swift", "CRC-32"])
    }

    /// Every entry the central directory lists is read, whatever comes before it: an encrypted entry
    /// or one whose local header can't be read is itself a 422, not the end of the listing.
    @Test(arguments: ["encrypted entry", "unreadable local header"])
    func everyEntryInTheCentralDirectoryIsChecked(_ stopper: String) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        var hidden = ZipEntry.file("pkg/Sources/Hidden.swift", "let hidden = 1\n")
        if stopper == "encrypted entry" { hidden.centralFlags |= 1 } else { hidden.localHeaderOffset = 0x00FF_FFFF }
        let zip = try ZipWriter.write(Self.manifestEntries + [hidden, .file("../evil", "pwned"), .file("/etc/passwd", "x")], in: scratch)

        expectRejection(zip, mentioning: [])
    }

    /// `pkg/a/b/up -> ../..` resolves to `pkg`, so `pkg/escape -> a/b/up/../../../etc` resolves to
    /// `<pkg>/../../../etc` on disk, while a purely lexical walk ends inside `pkg`.
    @Test func aSymlinkThatEscapesThroughAnotherSymlinkIsRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let zip = try ZipWriter.write(Self.manifestEntries + [
            .directory("pkg/a"), .directory("pkg/a/b"),
            .symlink("pkg/a/b/up", to: "../.."),
            .symlink("pkg/escape", to: "a/b/up/../../../etc"),
        ], in: scratch)

        expectRejection(zip, mentioning: ["pkg/escape", "outside the package"])
    }

    /// A ZIP64 size field near UInt64.max used to overflow the running total and trap, taking the whole
    /// process down; now it is a 422. Run in a child process, so that a trap fails only this test.
    @Test func aZip64SizeNearTheMaximumIsRejectedWithoutCrashing() async {
        await #expect(processExitsWith: .success) {
            let scratch = try ScratchDirectory()
            var huge = ZipEntry.file("pkg/huge.bin", "tiny")
            huge.zip64UncompressedSize = UInt64.max - 1
            let zip = try ZipWriter.write(ArchiveInspectorTests.manifestEntries + [huge], in: scratch)
            let status: Int32
            do {
                _ = try ArchiveInspector.inspect(fileAt: zip)
                status = 3  // accepted: wrong too
            } catch let error as BulwarkError {
                status = error.kind == .unprocessable ? 0 : 4
            } catch {
                status = 5
            }
            scratch.remove()
            exit(status)
        }
    }

    /// A deflated entry whose stream is still open where its data ends (a non-final stored block that
    /// would swallow the central directory) is a truncated stream: a 422 at once, not an endless loop.
    @Test func anUnterminatedDeflateStreamIsRejectedWithoutHanging() async {
        await #expect(processExitsWith: .success) {
            let scratch = try ScratchDirectory()
            let open = ZipEntry(
                name: "pkg/open.bin", kind: .file, content: [], method: 8, payload: [0x00, 0xFF, 0xFF, 0x00, 0x00]
            ).declaring(size: 100_000)
            let zip = try ZipWriter.write(ArchiveInspectorTests.manifestEntries + [open], in: scratch)
            runOrExit(afterSeconds: 5) {
                defer { scratch.remove() }
                do throws(BulwarkError) {
                    _ = try ArchiveInspector.inspect(fileAt: zip)
                    return 3
                } catch {
                    return error.kind == .unprocessable && error.detail.contains("'pkg/open.bin' is corrupt or truncated") ? 0 : 4
                }
            }
        }
    }
}

extension ZipEntry {
    /// The same entry, declaring `size` as its uncompressed size.
    func declaring(size: UInt32) -> ZipEntry {
        var copy = self
        copy.declaredUncompressedSize = size
        return copy
    }
}

/// The strict zip reader under `ArchiveInspector`: archives from the real tools, the archive's
/// structure, each entry's headers and data, names that collide, links through links, scale, and
/// mutated archives that must never crash or hang inspection.
@Suite("ArchiveInspector's zip reader")
struct ZipReaderTests {
    static let manifestEntries = ArchiveInspectorTests.manifestEntries

    // MARK: Archives from real tools

    /// `git archive` writes regular files as made by MS-DOS, symlinks as made by Unix, UTF-8 names
    /// flagged as such, and the commit ID as the archive comment.
    @Test func aGitArchiveIsAccepted() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let manifest = Array(Manifests.package.utf8)
        try scratch.write(manifest, to: "repo/Package.swift")
        try scratch.write(Manifests.swift6, to: "repo/Package@swift-6.0.swift")
        try scratch.write("let x = 1\n", to: "repo/Sources/Lib/Lib.swift")
        try scratch.write("let grüße = 1\n", to: "repo/Sources/Lib/Grüße.swift")
        try scratch.write((0..<20_000).map { "\($0)\n" }.joined(), to: "repo/Sources/Lib/numbers.txt")
        try scratch.symlink("repo/Code", to: "Sources/Lib")
        let zip = try gitArchive(of: scratch)

        let summary = try ArchiveInspector.inspect(fileAt: zip)

        #expect(summary.rootDirectory == "pkg")
        // pkg/, Code, two manifests, Sources/, Sources/Lib/ and its three files.
        #expect(summary.entryCount == 9)
        #expect(summary.manifests.map(\.filename) == ["Package.swift", "Package@swift-6.0.swift"])
        #expect(summary.manifests.first?.bytes == manifest)
    }

    @Test func aGitArchiveWithAnEscapingLinkIsRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try scratch.write(Manifests.package, to: "repo/Package.swift")
        try scratch.write("let x = 1\n", to: "repo/Sources/Lib/Lib.swift")
        try scratch.symlink("repo/Sources/Lib/up", to: "../..")
        try scratch.symlink("repo/escape", to: "Sources/Lib/up/../../etc")
        let zip = try gitArchive(of: scratch)

        expectRejection(zip, mentioning: ["pkg/escape", "outside the package"])
    }

    /// `zip -y` stores links as links; links may point through other links, and only where they end up counts.
    @Test func aZipWithLinksThroughLinksIsAccepted() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try scratch.write(Manifests.package, to: "pkg/Package.swift")
        try scratch.write("let x = 1\n", to: "pkg/Sources/Lib/Lib.swift")
        try scratch.symlink("pkg/Code", to: "Sources/Lib")
        // Lexically pkg/../Package.swift, but Code is pkg/Sources/Lib, so it is pkg/Package.swift.
        try scratch.symlink("pkg/Manifest.swift", to: "Code/../../Package.swift")
        try scratch.symlink("pkg/Sources/Lib/Again.swift", to: "../../Code/Lib.swift")
        let zip = try scratch.zip(["pkg"])

        // pkg/, Package.swift, Sources/, Sources/Lib/, Lib.swift, Again.swift, Code, Manifest.swift.
        #expect(try ArchiveInspector.inspect(fileAt: zip).entryCount == 8)
    }

    @Test func aZipWithALinkEscapingThroughALinkIsRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try scratch.write(Manifests.package, to: "pkg/Package.swift")
        try scratch.write("let x = 1\n", to: "pkg/Sources/Lib/Lib.swift")
        try scratch.symlink("pkg/Code", to: "Sources/Lib")
        // Lexically pkg itself, but Code/../.. is pkg/Sources/Lib/../.. = pkg, and one more .. leaves it.
        try scratch.symlink("pkg/Root", to: "Code/../../..")
        let zip = try scratch.zip(["pkg"])

        expectRejection(zip, mentioning: ["pkg/Root", "outside the package"])
    }

    /// `zip -fz` writes ZIP64 extra fields, an archive streamed to a pipe has data descriptors.
    @Test(arguments: ["zip -qry -fz archive.zip pkg", "zip -qr - pkg > archive.zip", "zip -qry -0 archive.zip pkg"])
    func zipsWrittenInOtherModesAreAccepted(_ command: String) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let manifest = Array(Manifests.package.utf8)
        try scratch.write(manifest, to: "pkg/Package.swift")
        try scratch.write((0..<20_000).map { "\($0)\n" }.joined(), to: "pkg/Sources/Lib/numbers.txt")
        try scratch.write("let café = 1\n", to: "pkg/Sources/Lib/Café.swift")
        try ZipTool.run("/bin/sh", arguments: ["-c", command], in: scratch.url)

        let summary = try ArchiveInspector.inspect(fileAt: scratch.url.appendingPathComponent("archive.zip"))

        #expect(summary.entryCount == 6)
        #expect(summary.manifests.first?.bytes == manifest)
    }

    // MARK: The archive's structure

    @Test func aZip64EndRecordIsAccepted() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let zip = try ZipWriter.write(Self.manifestEntries + [.file("pkg/a.swift", "let a = 1\n")], end: .init(zip64: true), in: scratch)

        #expect(try ArchiveInspector.inspect(fileAt: zip).entryCount == 3)
    }

    @Test func aZip64ExtraFieldGivingTheSizeIsAccepted() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        var entry = ZipEntry.file("pkg/a.swift", "let a = 1\n")
        entry.zip64UncompressedSize = 10
        let zip = try ZipWriter.write(Self.manifestEntries + [entry], in: scratch)

        #expect(try ArchiveInspector.inspect(fileAt: zip).uncompressedBytes == UInt64(Manifests.package.utf8.count + 10))
    }

    @Test func aZip64SizeDisagreeingWithTheLocalHeaderIsRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        var entry = ZipEntry.file("pkg/a.swift", "let a = 1\n")
        entry.zip64UncompressedSize = 11
        let zip = try ZipWriter.write(Self.manifestEntries + [entry], in: scratch)

        expectRejection(zip, mentioning: ["'pkg/a.swift'", "local header"])
    }

    @Test func aCommentAfterTheEndRecordIsAccepted() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        // Even one that contains an end record signature.
        let comment = Array("release 1.0 PK\u{05}\u{06}".utf8)
        let zip = try ZipWriter.write(Self.manifestEntries, end: .init(comment: comment), in: scratch)

        #expect(try ArchiveInspector.inspect(fileAt: zip).entryCount == 2)
    }

    @Test func bytesAfterTheEndRecordAreRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let zip = try ZipWriter.write(Self.manifestEntries, end: .init(trailing: [0, 1, 2, 3]), in: scratch)

        expectRejection(zip, mentioning: ["not a valid zip"])
    }

    @Test(arguments: [false, true])
    func aMultiDiskArchiveIsRejected(_ zip64: Bool) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let zip = try ZipWriter.write(Self.manifestEntries, end: .init(disk: 1, zip64: zip64), in: scratch)

        expectRejection(zip, mentioning: ["not a valid zip", "several disks"])
    }

    @Test(arguments: [(2, false), (4, false), (1, false), (4, true), (2, true)])
    func anEntryCountOtherThanTheCentralDirectorysIsRejected(_ declared: Int, _ zip64: Bool) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let entries = Self.manifestEntries + [.file("pkg/a.swift", "let a = 1\n")]
        let zip = try ZipWriter.write(entries, end: .init(entryCount: declared, zip64: zip64), in: scratch)

        expectRejection(zip, mentioning: ["not a valid zip", "declares"])
    }

    @Test func moreEntriesThanTheLimitAreRejectedBeforeTheCentralDirectoryIsRead() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let zip = try ZipWriter.write(Self.manifestEntries, end: .init(entryCount: 60_000), in: scratch)

        expectRejection(zip, mentioning: ["more than 10000 entries"])
    }

    // MARK: Entries

    @Test(arguments: [0x0001, 0x0041, 0x2000] as [UInt16])
    func anEncryptedEntryIsRejected(_ flags: UInt16) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        var secret = ZipEntry.file("pkg/Secret.swift", "let secret = 1\n")
        secret.centralFlags |= flags
        let zip = try ZipWriter.write(Self.manifestEntries + [secret], in: scratch)

        expectRejection(zip, mentioning: ["'pkg/Secret.swift' is encrypted"])
    }

    @Test(arguments: [1, 9, 12, 14, 93, 99] as [UInt16])
    func anUnsupportedCompressionMethodIsRejected(_ method: UInt16) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        var entry = ZipEntry.file("pkg/a.swift", "let a = 1\n")
        entry.method = method
        let zip = try ZipWriter.write(Self.manifestEntries + [entry], in: scratch)

        expectRejection(zip, mentioning: ["'pkg/a.swift'", "compression method \(method)"])
    }

    @Test(arguments: ["pkg/b.swift", "pkg/ab.swift"])
    func aLocalHeaderWithAnotherNameIsRejected(_ localName: String) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        var entry = ZipEntry.file("pkg/a.swift", "let a = 1\n")
        entry.localName = localName
        let zip = try ZipWriter.write(Self.manifestEntries + [entry], in: scratch)

        expectRejection(zip, mentioning: ["'pkg/a.swift'", "name differs"])
    }

    /// An entry whose data lies inside another's: how some zip bombs multiply their output.
    @Test func overlappingEntriesAreRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        var inner = ZipEntry.file("pkg/inner.txt", "hello")
        let outer = ZipEntry.file("pkg/outer.bin", bytes: inner.localRecord)
        inner.localHeaderOffset = 0
        let first = ZipWriter.archive(Self.manifestEntries + [outer, inner])
        let embedded = try #require(first.firstRange(of: inner.localRecord))
        inner.localHeaderOffset = UInt32(embedded.lowerBound)
        let zip = try ZipWriter.write(Self.manifestEntries + [outer, inner], in: scratch)

        expectRejection(zip, mentioning: ["'pkg/inner.txt' overlaps the entry 'pkg/outer.bin'"])
    }

    @Test func aStoredEntryWhoseSizesDifferIsRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        var entry = ZipEntry.file("pkg/a.swift", "let a = 1\n")
        entry.payload = Array("let".utf8)
        let zip = try ZipWriter.write(Self.manifestEntries + [entry], in: scratch)

        expectRejection(zip, mentioning: ["'pkg/a.swift' is stored", "sizes differ"])
    }

    @Test func aDeflatedEntryWhoseCRCDoesNotMatchIsRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        var entry = ZipEntry.deflated("pkg/data.bin", bytes: Array(repeating: 7, count: 70_000))
        entry.crc32 = ZipWriter.crc32(Array(repeating: 7, count: 69_999) + [8])
        let zip = try ZipWriter.write(Self.manifestEntries + [entry], in: scratch)

        expectRejection(zip, mentioning: ["'pkg/data.bin'", "CRC-32"])
    }

    @Test func aSymlinkWhoseCRCDoesNotMatchIsRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        var link = ZipEntry.symlink("pkg/link", to: "Package.swift")
        link.crc32 = ZipWriter.crc32(Array("../../etc/pw".utf8))
        let zip = try ZipWriter.write(Self.manifestEntries + [link], in: scratch)

        expectRejection(zip, mentioning: ["'pkg/link'", "CRC-32"])
    }

    @Test func bytesAfterTheEndOfADeflateStreamAreRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        var entry = ZipEntry.deflated("pkg/data.bin", bytes: Array(repeating: 7, count: 1000))
        entry.payload = ZipWriter.deflateStoredBlocks(Array(repeating: 7, count: 1000)) + [0, 0, 0]
        let zip = try ZipWriter.write(Self.manifestEntries + [entry], in: scratch)

        expectRejection(zip, mentioning: ["'pkg/data.bin' is corrupt or truncated"])
    }

    @Test func aDeflatedEntrySmallerThanDeclaredIsRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let entry = ZipEntry.deflated("pkg/data.bin", bytes: Array(repeating: 7, count: 1000)).declaring(size: 1001)
        let zip = try ZipWriter.write(Self.manifestEntries + [entry], in: scratch)

        expectRejection(zip, mentioning: ["'pkg/data.bin' inflates to less than its declared size"])
    }

    @Test(arguments: [0o010644, 0o020644, 0o060644, 0o140755] as [UInt32])
    func specialFilesAreRejected(_ mode: UInt32) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        var entry = ZipEntry.file("pkg/device", "")
        entry.mode = mode
        let zip = try ZipWriter.write(Self.manifestEntries + [entry], in: scratch)

        expectRejection(zip, mentioning: ["'pkg/device' is neither a regular file, a directory nor a symbolic link"])
    }

    @Test func aDirectoryWithContentIsRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let entry = ZipEntry(name: "pkg/dir/", kind: .directory, content: Array("surprise".utf8))
        let zip = try ZipWriter.write(Self.manifestEntries + [entry], in: scratch)

        expectRejection(zip, mentioning: ["'pkg/dir/' is a directory with content"])
    }

    @Test func aSymlinkNamedLikeADirectoryIsRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let zip = try ZipWriter.write(Self.manifestEntries + [.symlink("pkg/link/", to: "Package.swift")], in: scratch)

        expectRejection(zip, mentioning: ["'pkg/link/' is both a directory and a symbolic link"])
    }

    /// Info-ZIP's unzip extracts under the name in a Unicode path extra field when its CRC matches the
    /// header's name, so a different name there would dodge every path check.
    @Test(arguments: [("../evil", false), ("pkg/a.swift", true)])
    func aUnicodePathFieldMustNameTheEntryTheSame(_ alternate: String, _ accepted: Bool) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        var entry = ZipEntry.file("pkg/a.swift", "let a = 1\n")
        let name = Array(alternate.utf8)
        entry.centralExtra.append(le16: 0x7075)
        entry.centralExtra.append(le16: UInt16(5 + name.count))
        entry.centralExtra.append(1)
        entry.centralExtra.append(le32: ZipWriter.crc32(Array(entry.name.utf8)))
        entry.centralExtra.append(contentsOf: name)
        let zip = try ZipWriter.write(Self.manifestEntries + [entry], in: scratch)

        if accepted {
            #expect(try ArchiveInspector.inspect(fileAt: zip).entryCount == 3)
        } else {
            expectRejection(zip, mentioning: ["'pkg/a.swift'", "second, different name"])
        }
    }

    @Test func aNameLongerThan4096BytesIsRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let long = "pkg/" + String(repeating: "a/", count: 2046) + "b.swift"
        #expect(long.utf8.count > 4096)
        let zip = try ZipWriter.write(Self.manifestEntries + [.file(long, "x")], in: scratch)

        expectRejection(zip, mentioning: ["has a name longer than 4096 bytes"])
    }

    // MARK: Names that collide when extracted

    @Test func namesDifferingOnlyInCaseAreRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let zip = try ZipWriter.write(Self.manifestEntries + [.file("pkg/README.md", "a"), .file("pkg/readme.md", "b")], in: scratch)

        expectRejection(zip, mentioning: ["'pkg/README.md' and 'pkg/readme.md'", "differ only in case"])
    }

    @Test func directoriesDifferingOnlyInCaseAreRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let zip = try ZipWriter.write(Self.manifestEntries + [
            .file("pkg/Sources/a.swift", "a"), .file("pkg/sources/b.swift", "b"),
        ], in: scratch)

        expectRejection(zip, mentioning: ["'pkg/Sources' and 'pkg/sources'", "differ only in case"])
    }

    @Test func namesDifferingOnlyInUnicodeNormalisationAreRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let composed = "pkg/Caf\u{E9}.swift", decomposed = "pkg/Cafe\u{301}.swift"
        #expect(Array(composed.utf8) != Array(decomposed.utf8))
        let zip = try ZipWriter.write(Self.manifestEntries + [.file(composed, "a"), .file(decomposed, "b")], in: scratch)

        expectRejection(zip, mentioning: ["more than once"])
    }

    @Test(arguments: [
        [ZipEntry.symlink("pkg/Code", to: "Sources"), .file("pkg/Code/x.swift", "x")],
        [ZipEntry.file("pkg/Code/x.swift", "x"), .symlink("pkg/Code", to: "Sources")],
        [ZipEntry.file("pkg/a", "x"), .file("pkg/a/b", "y")],
        [ZipEntry.file("pkg/a/b", "x"), .file("pkg/a", "y")],
    ])
    func anEntryInsideAFileOrALinkIsRejected(_ entries: [ZipEntry]) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let zip = try ZipWriter.write(Self.manifestEntries + entries, in: scratch)

        expectRejection(zip, mentioning: ["which is not a directory"])
    }

    // MARK: Links through links

    @Test func aSymlinkLoopIsRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let zip = try ZipWriter.write(Self.manifestEntries + [.symlink("pkg/x", to: "y"), .symlink("pkg/y", to: "x")], in: scratch)

        expectRejection(zip, mentioning: ["'pkg/x' goes through more than 40 symbolic links"])
    }

    /// A case-insensitive file system follows `UP` to the link `up`.
    @Test func aSymlinkEscapingThroughALinkSpelledInAnotherCaseIsRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let zip = try ZipWriter.write(Self.manifestEntries + [
            .symlink("pkg/a/b/up", to: "../.."),
            .symlink("pkg/escape", to: "a/B/UP/../../../etc"),
        ], in: scratch)

        expectRejection(zip, mentioning: ["pkg/escape", "outside the package"])
    }

    @Test func aChainOfLinksEscapingAtItsEndIsRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let zip = try ZipWriter.write(Self.manifestEntries + [
            .symlink("pkg/one", to: "a/two"), .symlink("pkg/a/two", to: "b/three"), .symlink("pkg/a/b/three", to: "../../.."),
        ], in: scratch)

        expectRejection(zip, mentioning: ["outside the package"])
    }

    @Test(arguments: ["..\\..\\etc", "C:/Windows", "a\\b"])
    func aSymlinkWithAWindowsTargetIsRejected(_ target: String) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let zip = try ZipWriter.write(Self.manifestEntries + [.symlink("pkg/link", to: target)], in: scratch)

        expectRejection(zip, mentioning: ["'pkg/link' has an unsafe target"])
    }

    /// Links expanding long targets again and again are bounded in total, not only per link.
    @Test func linksTooCostlyToResolveAreRejected() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let long = ZipEntry.symlink("pkg/long", to: String(repeating: "d/../", count: 800))
        let users = (0..<40).map { ZipEntry.symlink("pkg/user\($0)", to: String(repeating: "long/", count: 39)) }
        let zip = try ZipWriter.write(Self.manifestEntries + [.directory("pkg/d"), long] + users, in: scratch)

        expectRejection(zip, mentioning: ["too complex to resolve"])
    }

    // MARK: Scale and robustness

    @Test func tenThousandEntriesAreAcceptedQuickly() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let sources = (0..<9_998).map { ZipEntry.file("pkg/Sources/Lib\($0 % 10)/File\($0).swift", "let x\($0) = \($0)\n") }
        let zip = try ZipWriter.write(Self.manifestEntries + sources, in: scratch)

        let clock = ContinuousClock()
        var summary: ArchiveSummary?
        let elapsed = try clock.measure { summary = try ArchiveInspector.inspect(fileAt: zip) }

        #expect(summary?.entryCount == 10_000)
        #expect(elapsed < .seconds(60), "inspecting 10 000 entries took \(elapsed)")
        expectRejection(zip, limits: ArchiveLimits(maxEntries: 9_999), mentioning: ["more than 9999 entries"])
    }

    /// Thousands of archives with bytes changed, inserted or cut off: each is accepted or gets a 422;
    /// none traps or hangs. Run in a child process, so that a trap fails only this test.
    @Test func mutatedArchivesNeverCrashOrHang() async {
        await #expect(processExitsWith: .success) {
            runOrExit(afterSeconds: 120) { ZipReaderTests.fuzz(iterations: 4_000) }
        }
    }

    /// Inspects `iterations` mutations of a small archive; 0 if every one was accepted or got a 422.
    static func fuzz(iterations: Int) -> Int32 {
        guard let scratch = try? ScratchDirectory() else { return 6 }
        defer { scratch.remove() }
        var valid = ZipEntry.deflated("pkg/data.bin", bytes: Array(repeating: 7, count: 300))
        valid.zip64UncompressedSize = 300
        let entries = manifestEntries + [
            valid, .directory("pkg/Sources"), .file("pkg/Sources/a.swift", "let a = 1\n"),
            .symlink("pkg/Sources/up", to: ".."), .symlink("pkg/link", to: "Sources/up/Package.swift"),
        ]
        let bases = [ZipWriter.archive(entries), ZipWriter.archive(entries, end: .init(zip64: true, comment: Array("comment".utf8)))]
        let url = scratch.url.appendingPathComponent("fuzz.zip")
        var random = SplitMix64(seed: 0x5EED)
        func roll(_ bound: Int) -> Int { Int(random.next(upperBound: UInt64(bound))) }
        for iteration in 0..<iterations {
            var bytes = bases[iteration % bases.count]
            for _ in 0...roll(3) where !bytes.isEmpty {
                let position = roll(bytes.count)
                switch roll(5) {
                case 0: bytes[position] = UInt8(truncatingIfNeeded: random.next())
                case 1: for i in position..<min(position + 4, bytes.count) { bytes[i] = 0xFF }
                case 2: for i in position..<min(position + 2, bytes.count) { bytes[i] = 0 }
                case 3: bytes.insert(contentsOf: (0..<roll(8)).map { _ in UInt8(truncatingIfNeeded: random.next()) }, at: position)
                default: bytes.removeSubrange(position..<min(position + roll(16), bytes.count))
                }
            }
            guard (try? Data(bytes).write(to: url)) != nil else { return 7 }
            do throws(BulwarkError) {
                _ = try ArchiveInspector.inspect(fileAt: url)
            } catch {
                guard error.kind == .unprocessable else { return 4 }
            }
        }
        return 0
    }

    /// Commits the directory `repo` of `scratch` with git and returns `git archive --format zip --prefix pkg/`.
    private func gitArchive(of scratch: ScratchDirectory) throws -> URL {
        let repo = scratch.url.appendingPathComponent("repo")
        let git = "/usr/bin/git"
        try ZipTool.run(git, arguments: ["init", "-q"], in: repo)
        try ZipTool.run(git, arguments: ["add", "-A"], in: repo)
        try ZipTool.run(git, arguments: [
            "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false",
            "commit", "-q", "--no-verify", "-m", "initial",
        ], in: repo)
        let archive = scratch.url.appendingPathComponent("git.zip")
        try ZipTool.run(git, arguments: ["archive", "--format", "zip", "--prefix", "pkg/", "-o", archive.path, "HEAD"], in: repo)
        return archive
    }
}

/// Runs `body` on a thread and exits the process with its result, or with 2 if it is still running
/// after `seconds`: for exit tests guarding against endless loops.
func runOrExit(afterSeconds seconds: Double, _ body: @escaping @Sendable () -> Int32) -> Never {
    let thread = Thread { exit(body()) }
    thread.start()
    Thread.sleep(forTimeInterval: seconds)
    exit(2)
}

