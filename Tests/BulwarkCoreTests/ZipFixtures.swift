import BulwarkTestSupport
import Foundation
import Testing

// Fixtures for the archive tests: a scratch directory, the Info-ZIP `zip` tool (what
// `swift package-registry publish` runs), and a byte-level zip writer for the hostile archives that
// the tool refuses to make.

/// A fresh directory under the system temporary directory; call `remove()` when done.
struct ScratchDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("bulwark-core-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }

    /// Writes `bytes` at `relativePath`, creating the intermediate directories.
    @discardableResult
    func write(_ bytes: [UInt8], to relativePath: String) throws -> URL {
        let file = url.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file)
        return file
    }

    @discardableResult
    func write(_ text: String, to relativePath: String) throws -> URL {
        try write(Array(text.utf8), to: relativePath)
    }

    func makeDirectory(_ relativePath: String) throws {
        try FileManager.default.createDirectory(
            at: url.appendingPathComponent(relativePath), withIntermediateDirectories: true
        )
    }

    /// Creates a symbolic link at `relativePath` whose target is `target`, exactly as written.
    func symlink(_ relativePath: String, to target: String) throws {
        let link = url.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: link.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: target)
    }

    /// Runs `cd <scratch> && zip -qry <archive> <items…>` and returns the archive's URL.
    func zip(_ items: [String], archiveName: String = "archive.zip") throws -> URL {
        let archive = url.appendingPathComponent(archiveName)
        try ZipTool.run(arguments: ["-qry", archive.path] + items, in: url)
        return archive
    }
}

enum ZipTool {
    struct Failed: Error, CustomStringConvertible {
        let tool: String
        let status: Int32
        let output: String
        var description: String { "\(tool) exited with \(status): \(output)" }
    }

    static func run(arguments: [String], in directory: URL) throws {
        try run("/usr/bin/zip", arguments: arguments, in: directory)
    }

    /// Runs `executable` with `arguments` in `directory`, failing unless it exits with 0.
    static func run(_ executable: String, arguments: [String], in directory: URL) throws {
        let outcome = try ChildProcess.runBlocking(executable, arguments, directory: directory.path, stderr: .sameAsStdout)
        guard outcome.succeeded else {
            throw Failed(tool: executable, status: outcome.termination.shellStatus, output: outcome.stdoutText)
        }
    }
}

/// One entry for ``ZipWriter``. The defaults describe a well-formed Unix entry; every field a hostile
/// archive lies about can be overridden.
struct ZipEntry: Sendable {
    enum Kind: Sendable { case file, directory, symlink }

    var name: String
    var kind: Kind
    /// The entry's content (for a link: its target).
    var content: [UInt8]
    /// 0 = stored, 8 = deflated.
    var method: UInt16 = 0
    /// The bytes written as the entry's compressed data; defaults to `content` (stored).
    var payload: [UInt8]?
    /// Overrides the CRC-32 written in both headers.
    var crc32: UInt32?
    /// Overrides the uncompressed size written in both headers.
    var declaredUncompressedSize: UInt32?
    /// Declares this uncompressed size through a ZIP64 extra field in the central directory.
    var zip64UncompressedSize: UInt64?
    /// General purpose flags written in the central directory (bit 11: UTF-8 names; bit 0: encrypted).
    var centralFlags: UInt16 = 0x0800
    /// Points the central directory record at this offset instead of the entry's real local header.
    var localHeaderOffset: UInt32?
    /// Overrides the Unix mode written in the central directory's external attributes.
    var mode: UInt32?
    /// Extra blocks appended to the central directory record's extra field.
    var centralExtra: [UInt8] = []
    /// Writes this name in the local header instead of `name`.
    var localName: String?

    static func file(_ name: String, _ text: String) -> Self {
        .init(name: name, kind: .file, content: Array(text.utf8))
    }

    static func file(_ name: String, bytes: [UInt8]) -> Self {
        .init(name: name, kind: .file, content: bytes)
    }

    static func directory(_ name: String) -> Self {
        .init(name: name.hasSuffix("/") ? name : name + "/", kind: .directory, content: [])
    }

    static func symlink(_ name: String, to target: String) -> Self {
        .init(name: name, kind: .symlink, content: Array(target.utf8))
    }

    /// A deflated entry whose deflate stream is `content` in stored blocks (valid raw DEFLATE).
    static func deflated(_ name: String, bytes: [UInt8]) -> Self {
        .init(name: name, kind: .file, content: bytes, method: 8, payload: ZipWriter.deflateStoredBlocks(bytes))
    }

    var unixMode: UInt32 {
        switch kind {
        case .file: 0o100644
        case .directory: 0o040755
        case .symlink: 0o120777
        }
    }

    /// The local file header followed by the entry's data, as ``ZipWriter`` writes them.
    var localRecord: [UInt8] {
        let name = Array((localName ?? self.name).utf8)
        let payload = payload ?? content
        var out: [UInt8] = []
        out.append(le32: 0x0403_4B50)
        out.append(le16: 20)  // version needed
        out.append(le16: 0x0800)
        out.append(le16: method)
        out.append(le16: ZipWriter.dosTime)
        out.append(le16: ZipWriter.dosDate)
        out.append(le32: crc32 ?? ZipWriter.crc32(content))
        out.append(le32: UInt32(payload.count))
        out.append(le32: declaredUncompressedSize ?? UInt32(content.count))
        out.append(le16: UInt16(name.count))
        out.append(le16: 0)  // extra length
        out.append(contentsOf: name)
        out.append(contentsOf: payload)
        return out
    }
}

/// Writes a zip archive byte by byte: local file headers with data, a central directory and an end
/// record. Made by "Unix" so that modes (and therefore symlinks) are honoured by readers.
enum ZipWriter {
    static let dosTime: UInt16 = 0x6000  // 12:00:00
    static let dosDate: UInt16 = 0x5A21  // 2025-01-01

    /// How to write the end of the archive; the defaults give one well-formed end record.
    struct End {
        /// Overrides the entry count in the end record(s).
        var entryCount: Int?
        /// Written as "number of this disk" in the end record.
        var disk: UInt16 = 0
        /// Adds a ZIP64 end record and locator, and saturates the classic end record's fields.
        var zip64 = false
        var comment: [UInt8] = []
        /// Bytes after the end record's comment.
        var trailing: [UInt8] = []
    }

    static func archive(_ entries: [ZipEntry], end: End = .init()) -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []

        for entry in entries {
            let name = Array(entry.name.utf8)
            let payload = entry.payload ?? entry.content
            let crc = entry.crc32 ?? crc32(entry.content)
            let size = entry.declaredUncompressedSize ?? UInt32(entry.content.count)
            let offset = UInt32(out.count)

            out.append(contentsOf: entry.localRecord)

            // Central directory record.
            var extra: [UInt8] = []
            if let big = entry.zip64UncompressedSize {
                extra.append(le16: 0x0001)
                extra.append(le16: 8)
                extra.append(le64: big)
            }
            extra.append(contentsOf: entry.centralExtra)
            central.append(le32: 0x0201_4B50)
            central.append(le16: 0x031E)  // made by Unix, spec 3.0
            central.append(le16: entry.zip64UncompressedSize == nil ? 20 : 45)
            central.append(le16: entry.centralFlags)
            central.append(le16: entry.method)
            central.append(le16: dosTime)
            central.append(le16: dosDate)
            central.append(le32: crc)
            central.append(le32: UInt32(payload.count))
            central.append(le32: entry.zip64UncompressedSize == nil ? size : 0xFFFF_FFFF)
            central.append(le16: UInt16(name.count))
            central.append(le16: UInt16(extra.count))
            central.append(le16: 0)  // comment length
            central.append(le16: 0)  // disk number
            central.append(le16: 0)  // internal attributes
            central.append(le32: (entry.mode ?? entry.unixMode) << 16)
            central.append(le32: entry.localHeaderOffset ?? offset)
            central.append(contentsOf: name)
            central.append(contentsOf: extra)
        }

        let centralOffset = UInt32(out.count)
        out.append(contentsOf: central)
        let count = end.entryCount ?? entries.count
        if end.zip64 {
            let zip64Offset = UInt64(out.count)
            out.append(le32: 0x0606_4B50)
            out.append(le64: 44)  // size of the rest of the record
            out.append(le16: 0x032D)  // made by Unix, spec 4.5
            out.append(le16: 45)
            out.append(le32: UInt32(end.disk))
            out.append(le32: 0)  // disk with the central directory
            out.append(le64: UInt64(count))
            out.append(le64: UInt64(count))
            out.append(le64: UInt64(central.count))
            out.append(le64: UInt64(centralOffset))
            out.append(le32: 0x0706_4B50)
            out.append(le32: 0)  // disk with the ZIP64 end record
            out.append(le64: zip64Offset)
            out.append(le32: 1)  // total disks
            out.append(contentsOf: endRecord(
                entries: 0xFFFF, centralSize: 0xFFFF_FFFF, centralOffset: 0xFFFF_FFFF, disk: 0xFFFF, comment: end.comment
            ))
        } else {
            out.append(contentsOf: endRecord(
                entries: count, centralSize: central.count, centralOffset: centralOffset, disk: end.disk, comment: end.comment
            ))
        }
        out.append(contentsOf: end.trailing)
        return out
    }

    /// The end-of-central-directory record.
    static func endRecord(
        entries: Int, centralSize: Int, centralOffset: UInt32, disk: UInt16 = 0, comment: [UInt8] = []
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.append(le32: 0x0605_4B50)
        out.append(le16: disk)
        out.append(le16: disk)
        out.append(le16: UInt16(entries))
        out.append(le16: UInt16(entries))
        out.append(le32: UInt32(centralSize))
        out.append(le32: centralOffset)
        out.append(le16: UInt16(comment.count))
        out.append(contentsOf: comment)
        return out
    }

    /// `bytes` as a raw DEFLATE stream of stored (uncompressed) blocks, the last one final.
    static func deflateStoredBlocks(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        repeat {
            let count = min(65_535, bytes.count - index)
            let isLast = index + count == bytes.count
            out.append(isLast ? 1 : 0)
            out.append(le16: UInt16(count))
            out.append(le16: ~UInt16(count))
            out.append(contentsOf: bytes[index..<index + count])
            index += count
        } while index < bytes.count
        return out
    }

    /// Writes the archive to a file in `directory`.
    static func write(
        _ entries: [ZipEntry], end: End = .init(), in directory: ScratchDirectory, name: String = "hostile.zip"
    ) throws -> URL {
        try directory.write(archive(entries, end: end), to: name)
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return crc ^ 0xFFFF_FFFF
    }

    private static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }
}

extension [UInt8] {
    mutating func append(le16 value: UInt16) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
    }

    mutating func append(le32 value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    mutating func append(le64 value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
}

@Suite("Zip fixtures")
struct ZipFixtureTests {
    @Test func crc32MatchesTheStandardCheckValue() {
        #expect(ZipWriter.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(ZipWriter.crc32([]) == 0)
    }

    @Test func writtenArchivesAreReadableByUnzip() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let zip = try ZipWriter.write([
            .directory("pkg"),
            .file("pkg/Package.swift", "// swift-tools-version:5.9\n"),
            .deflated("pkg/data.bin", bytes: Array(repeating: 7, count: 70_000)),
            .symlink("pkg/link", to: "Package.swift"),
        ], in: scratch)

        let outcome = try ChildProcess.runBlocking("/usr/bin/unzip", ["-tq", zip.path], stdout: .discard, stderr: .discard)

        #expect(outcome.termination == .exited(0))
    }
}
