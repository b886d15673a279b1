import BulwarkCore
import Foundation
import ZIPFoundation

/// Checks that an uploaded source archive is one a SwiftPM client can safely unpack and that the
/// registry can serve: a real zip, one top-level directory, `Package.swift` at its root, no path
/// that escapes it, no duplicate or oversized entries, and every entry inflates to what it says.
/// Every failure is a 422 with a message naming the offending entry.
public enum ArchiveInspector {
    public static func inspect(fileAt url: URL, limits: ArchiveLimits = .init()) throws(BulwarkError) -> ArchiveSummary {
        let archive: Archive
        do { archive = try Archive(url: url, accessMode: .read) } catch {
            throw .unprocessable("the source archive is not a valid zip file")
        }
        var entries: [Entry] = []
        for entry in archive {
            entries.append(entry)
            guard entries.count <= limits.maxEntries else {
                throw .unprocessable("the source archive has more than \(limits.maxEntries) entries")
            }
        }
        guard !entries.isEmpty else { throw .unprocessable("the source archive is empty") }

        var root: String?
        var seen = Set<String>()
        var total: UInt64 = 0
        var manifests: [ArchiveManifest] = []
        for entry in entries {
            let rawPath = entry.path
            let components = try checkedComponents(rawPath)
            let normalized = components.joined(separator: "/")
            guard seen.insert(normalized).inserted else {
                throw .unprocessable("the source archive has the entry '\(rawPath)' more than once")
            }
            if let r = root, r != String(components[0]) {
                throw .unprocessable("the source archive must contain exactly one top-level directory, found '\(r)' and '\(components[0])'")
            }
            root = String(components[0])
            if components.count == 1 && entry.type != .directory {
                throw .unprocessable("the source archive must contain exactly one top-level directory, but '\(rawPath)' is a file at its top level")
            }
            switch entry.type {
            case .directory:
                continue
            case .symlink:
                try checkSymlink(entry, in: archive, components: components)
            case .file:
                total += entry.uncompressedSize
                guard total <= limits.maxUncompressedBytes else {
                    throw .unprocessable("the source archive inflates to more than \(limits.maxUncompressedBytes) bytes")
                }
                let ratioBase = max(entry.compressedSize, 1)
                if entry.uncompressedSize > 1024 * 1024, entry.uncompressedSize / ratioBase > limits.maxCompressionRatio {
                    throw .unprocessable("the entry '\(rawPath)' has a compression ratio above \(limits.maxCompressionRatio):1")
                }
                let isManifest = components.count == 2 && (components[1] == "Package.swift" || isAlternateManifestName(String(components[1])))
                let keep = isManifest ? limits.maxManifestBytes : 0
                let bytes = try inflate(entry, in: archive, path: rawPath, keepAtMost: keep)
                if isManifest {
                    manifests.append(ArchiveManifest(
                        filename: String(components[1]),
                        declaredToolsVersion: ToolsVersion.declared(inManifest: bytes)?.description,
                        bytes: bytes
                    ))
                }
            }
        }
        guard let root, manifests.contains(where: { $0.filename == "Package.swift" }) else {
            throw .unprocessable("the source archive has no Package.swift at the root of its top-level directory")
        }
        manifests.sort { a, b in
            if a.filename == "Package.swift" { return b.filename != "Package.swift" }
            if b.filename == "Package.swift" { return false }
            return a.filename < b.filename
        }
        return ArchiveSummary(rootDirectory: root, entryCount: entries.count, uncompressedBytes: total, manifests: manifests)
    }

    static func isAlternateManifestName(_ name: String) -> Bool {
        ToolsVersion.fromAlternateManifestName(name) != nil
    }

    /// Splits an entry path into components, refusing absolute paths, `..`, backslashes and NULs.
    static func checkedComponents(_ path: String) throws(BulwarkError) -> [Substring] {
        guard !path.isEmpty, !path.hasPrefix("/"), !path.contains("\\"), !path.contains("\0") else {
            throw .unprocessable("the source archive has an entry with an unsafe path '\(path)'")
        }
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        guard !components.isEmpty, components.allSatisfy({ $0 != ".." && $0 != "." }) else {
            throw .unprocessable("the source archive has an entry with an unsafe path '\(path)'")
        }
        if let first = components.first, first.count == 2, first.last == ":" {
            throw .unprocessable("the source archive has an entry with an unsafe path '\(path)'")
        }
        return components
    }

    /// A link must be relative and resolve inside the top-level directory.
    static func checkSymlink(_ entry: Entry, in archive: Archive, components: [Substring]) throws(BulwarkError) {
        guard entry.compressedSize <= 4096 else {
            throw .unprocessable("the symbolic link '\(entry.path)' has an oversized target")
        }
        var data = Data()
        do { _ = try archive.extract(entry, skipCRC32: false) { data.append($0) } } catch {
            throw .unprocessable("the symbolic link '\(entry.path)' is corrupt")
        }
        let target = String(decoding: data, as: UTF8.self)
        guard !target.isEmpty, !target.hasPrefix("/"), !target.contains("\0") else {
            throw .unprocessable("the symbolic link '\(entry.path)' points outside the package")
        }
        // Resolve relative to the link's directory; depth 1 is the top-level directory itself.
        var stack = Array(components.dropLast())
        for part in target.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                stack.removeLast()
                guard !stack.isEmpty else { throw .unprocessable("the symbolic link '\(entry.path)' points outside the package") }
            } else {
                stack.append(part)
            }
        }
    }

    /// Inflates a whole entry, checking its CRC and that it is no larger than it claims; keeps at most
    /// `keepAtMost` bytes.
    static func inflate(_ entry: Entry, in archive: Archive, path: String, keepAtMost: Int) throws(BulwarkError) -> [UInt8] {
        if keepAtMost > 0, entry.uncompressedSize > UInt64(keepAtMost) {
            throw .unprocessable("the manifest '\(path)' is larger than \(keepAtMost) bytes")
        }
        var kept: [UInt8] = []
        var produced: UInt64 = 0
        let declared = entry.uncompressedSize
        struct TooLarge: Error {}
        do {
            _ = try archive.extract(entry, bufferSize: 64 * 1024, skipCRC32: false) { chunk in
                produced += UInt64(chunk.count)
                if produced > declared { throw TooLarge() }
                if kept.count < keepAtMost { kept.append(contentsOf: chunk.prefix(keepAtMost - kept.count)) }
            }
        } catch is TooLarge {
            throw .unprocessable("the entry '\(path)' inflates to more than its declared size")
        } catch {
            throw .unprocessable("the entry '\(path)' is corrupt or truncated")
        }
        guard produced == declared else { throw .unprocessable("the entry '\(path)' is truncated") }
        return kept
    }
}
