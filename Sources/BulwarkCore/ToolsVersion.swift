/// A Swift tools version such as `5.9`, `6.0` or `6.0.0`, compared numerically (6 = 6.0 = 6.0.0).
public struct ToolsVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let major: Int
    public let minor: Int
    public let patch: Int

    public init?(_ string: some StringProtocol) {
        let parts = string.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count) else { return nil }
        var n: [Int] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 4, p.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let v = Int(p) else { return nil }
            n.append(v)
        }
        while n.count < 3 { n.append(0) }
        (major, minor, patch) = (n[0], n[1], n[2])
    }

    /// `6.0`, or `6.0.1` when the patch is set: the form SwiftPM writes in `swift-tools-version`.
    public var description: String { patch == 0 ? "\(major).\(minor)" : "\(major).\(minor).\(patch)" }

    public static func < (l: Self, r: Self) -> Bool { (l.major, l.minor, l.patch) < (r.major, r.minor, r.patch) }

    /// Reads the declared tools version from the first line of a manifest
    /// (`// swift-tools-version:5.9`, `// swift-tools-version: 6.0`, `//swift-tools-version:6.0.0;…`).
    public static func declared(inManifest bytes: some Collection<UInt8>) -> ToolsVersion? {
        let firstLine = bytes.prefix(512).prefix(while: { $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\r") })
        let line = String(decoding: firstLine, as: UTF8.self)
        var rest = Substring(line)
        guard rest.hasPrefix("//") else { return nil }
        rest = rest.dropFirst(2).drop(while: { $0 == " " || $0 == "\t" })
        let marker = "swift-tools-version:"
        guard rest.lowercased().hasPrefix(marker) else { return nil }
        rest = rest.dropFirst(marker.count).drop(while: { $0 == " " || $0 == "\t" })
        let value = rest.prefix(while: { $0.isNumber || $0 == "." })
        return ToolsVersion(value)
    }

    /// The tools version written in an alternate manifest's file name, `Package@swift-6.0.swift` → 6.0.
    public static func fromAlternateManifestName(_ filename: String) -> ToolsVersion? {
        let prefix = "Package@swift-", suffix = ".swift"
        guard filename.hasPrefix(prefix), filename.hasSuffix(suffix), filename.count > prefix.count + suffix.count else { return nil }
        return ToolsVersion(filename.dropFirst(prefix.count).dropLast(suffix.count))
    }
}
