import BulwarkCore
import Foundation

/// Checks that an uploaded source archive is one a SwiftPM client can safely unpack and that the
/// registry can serve: a real zip, one top-level directory, `Package.swift` at its root, no path or
/// link that escapes it, no colliding or oversized entries, and every entry inflates to exactly what
/// it says, CRC-32 included. Every failure is a 422 with a message naming the offending entry.
///
/// The archive is read from disk as needed (see ``ZipFile``), never whole, by a strict zip reader
/// that reads every entry the central directory lists.
public enum ArchiveInspector {
    /// The longest symbolic link target accepted.
    static let maxLinkTargetBytes = 4096

    public static func inspect(fileAt url: URL, limits: ArchiveLimits = .init()) throws(BulwarkError) -> ArchiveSummary {
        let file = try ZipFile(url: url)
        let end = try ZipEndRecord.locate(in: file)
        guard end.entryCount <= UInt64(clamping: limits.maxEntries) else {
            throw .unprocessable("the source archive has more than \(limits.maxEntries) entries")
        }
        guard end.entryCount > 0 else { throw .unprocessable("the source archive is empty") }
        let records = try ZipCentralDirectory.read(end, from: file)

        // Names, layout and declared sizes, before any data is read.
        var tree = ArchiveTree()
        var nodes: [Int] = []
        var manifestNames: [String?] = []
        var root: String?
        var total: UInt64 = 0
        for record in records {
            let components = try checkedComponents(record.name)
            nodes.append(try tree.add(name: record.name, components: components, kind: record.kind))
            let top = String(components[0])
            if let root, root != top {
                throw .unprocessable("the source archive must contain exactly one top-level directory, found '\(root)' and '\(top)'")
            }
            root = top
            if components.count == 1 && record.kind != .directory {
                throw .unprocessable("the source archive must contain exactly one top-level directory, but '\(record.name)' is a file at its top level")
            }
            let manifestName = components.count == 2 && record.kind == .file
                && (components[1] == "Package.swift" || isAlternateManifestName(String(components[1])))
                ? String(components[1]) : nil
            manifestNames.append(manifestName)
            try checkSizes(of: record, isManifest: manifestName != nil, limits: limits, total: &total)
        }
        guard let root, manifestNames.contains("Package.swift") else {
            throw .unprocessable("the source archive has no Package.swift at the root of its top-level directory")
        }

        // Every entry's data, checked against its size and CRC-32; manifests and link targets kept.
        let dataOffsets = try ZipLocalHeader.dataOffsets(of: records, in: file, before: end.directoryOffset)
        var manifests: [ArchiveManifest] = []
        var links: [(node: Int, name: String)] = []
        for (index, record) in records.enumerated() {
            let keep = record.kind == .symlink ? maxLinkTargetBytes : manifestNames[index] == nil ? 0 : limits.maxManifestBytes
            let bytes = try ZipEntryReader.contents(of: record, at: dataOffsets[index], in: file, keepingAtMost: keep)
            if record.kind == .symlink {
                tree.setLinkTarget(try linkTarget(bytes, of: record.name), of: nodes[index])
                links.append((nodes[index], record.name))
            } else if let filename = manifestNames[index] {
                manifests.append(ArchiveManifest(
                    filename: filename, declaredToolsVersion: ToolsVersion.declared(inManifest: bytes)?.description, bytes: bytes
                ))
            }
        }
        try SymlinkResolver.check(links, in: tree)

        manifests.sort { a, b in
            if a.filename == "Package.swift" { return b.filename != "Package.swift" }
            if b.filename == "Package.swift" { return false }
            return a.filename < b.filename
        }
        return ArchiveSummary(rootDirectory: root, entryCount: records.count, uncompressedBytes: total, manifests: manifests)
    }

    static func isAlternateManifestName(_ name: String) -> Bool {
        ToolsVersion.fromAlternateManifestName(name) != nil
    }

    /// Splits an entry path into components, refusing absolute paths, `.`, `..`, backslashes, NULs and drive letters.
    static func checkedComponents(_ path: String) throws(BulwarkError) -> [Substring] {
        let unsafe = BulwarkError.unprocessable("the source archive has an entry with an unsafe path '\(path)'")
        guard !path.isEmpty, !path.hasPrefix("/"), !path.utf8.contains(UInt8(ascii: "\\")), !path.utf8.contains(0) else {
            throw unsafe
        }
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        guard let first = components.first, components.allSatisfy({ $0 != ".." && $0 != "." }) else { throw unsafe }
        if first.count == 2, first.last == ":" { throw unsafe }
        return components
    }

    /// Checks an entry's declared sizes against the limits, adding a file's size to `total`.
    static func checkSizes(
        of record: ZipEntryRecord, isManifest: Bool, limits: ArchiveLimits, total: inout UInt64
    ) throws(BulwarkError) {
        switch record.kind {
        case .directory:
            guard record.uncompressedSize == 0 else { throw .badEntry(record.name, "is a directory with content") }
        case .symlink:
            guard record.uncompressedSize <= UInt64(maxLinkTargetBytes) else {
                throw .unprocessable("the symbolic link '\(record.name)' has an oversized target")
            }
        case .file:
            let (sum, overflow) = total.addingReportingOverflow(record.uncompressedSize)
            guard !overflow, sum <= limits.maxUncompressedBytes else {
                throw .unprocessable("the source archive inflates to more than \(limits.maxUncompressedBytes) bytes")
            }
            total = sum
            let ratioBase = max(record.compressedSize, 1)
            if record.uncompressedSize > 1024 * 1024, record.uncompressedSize / ratioBase > limits.maxCompressionRatio {
                throw .badEntry(record.name, "has a compression ratio above \(limits.maxCompressionRatio):1")
            }
            if isManifest, record.uncompressedSize > UInt64(clamping: limits.maxManifestBytes) {
                throw .unprocessable("the manifest '\(record.name)' is larger than \(limits.maxManifestBytes) bytes")
            }
        }
    }

    /// A link's target: relative, UTF-8, with no NUL, backslash or drive letter.
    static func linkTarget(_ bytes: [UInt8], of name: String) throws(BulwarkError) -> String {
        guard let target = String(validating: bytes, as: UTF8.self) else {
            throw .unprocessable("the symbolic link '\(name)' has a target that is not valid UTF-8")
        }
        guard !target.isEmpty, !target.hasPrefix("/"), !target.utf8.contains(0) else {
            throw .unprocessable("the symbolic link '\(name)' points outside the package")
        }
        let first = target.split(separator: "/").first
        guard !target.utf8.contains(UInt8(ascii: "\\")), !(first?.count == 2 && first?.last == ":") else {
            throw .unprocessable("the symbolic link '\(name)' has an unsafe target '\(target)'")
        }
        return target
    }
}
