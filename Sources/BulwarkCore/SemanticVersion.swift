/// A Semantic Versioning 2.0.0 version, as used for registry releases.
///
/// Equality and ordering follow SemVer precedence, so build metadata is ignored:
/// `1.0.0+a` and `1.0.0+b` are the same release for the registry.
public struct SemanticVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let major: UInt64
    public let minor: UInt64
    public let patch: UInt64
    public let prerelease: [String]
    public let build: [String]

    /// Parses a strict SemVer 2.0.0 string (no `v` prefix, no missing components, no leading zeros).
    public init(_ string: String) throws(BulwarkError) {
        guard let v = Self.parse(string) else {
            throw .invalidVersion("invalid version '\(string)': expected a semantic version such as 1.2.3 or 1.2.3-beta.1+build.5")
        }
        self = v
    }

    private init(major: UInt64, minor: UInt64, patch: UInt64, prerelease: [String], build: [String]) {
        (self.major, self.minor, self.patch, self.prerelease, self.build) = (major, minor, patch, prerelease, build)
    }

    private static func parse(_ string: String) -> SemanticVersion? {
        guard string.utf8.count <= 256 else { return nil }
        var rest = Substring(string)
        var build: [String] = []
        if let plus = rest.firstIndex(of: "+") {
            let b = rest[rest.index(after: plus)...].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard !b.isEmpty, b.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(isIdentifierByte) }) else { return nil }
            build = b
            rest = rest[..<plus]
        }
        var prerelease: [String] = []
        if let dash = rest.firstIndex(of: "-") {
            let p = rest[rest.index(after: dash)...].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard !p.isEmpty, p.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(isIdentifierByte) && !hasLeadingZero($0) }) else {
                return nil
            }
            prerelease = p
            rest = rest[..<dash]
        }
        let core = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard core.count == 3 else { return nil }
        var numbers: [UInt64] = []
        for part in core {
            guard !part.isEmpty, part.utf8.allSatisfy(isDigit), !hasLeadingZero(String(part)), let n = UInt64(part) else { return nil }
            numbers.append(n)
        }
        return SemanticVersion(major: numbers[0], minor: numbers[1], patch: numbers[2], prerelease: prerelease, build: build)
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    private static func isNumeric(_ s: String) -> Bool { !s.isEmpty && s.utf8.allSatisfy(isDigit) }
    private static func isIdentifierByte(_ b: UInt8) -> Bool {
        isDigit(b) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == UInt8(ascii: "-")
    }
    /// Numeric identifiers must not have leading zeros.
    private static func hasLeadingZero(_ s: String) -> Bool {
        s.utf8.count > 1 && s.utf8.first == UInt8(ascii: "0") && s.utf8.allSatisfy(isDigit)
    }

    public var description: String {
        var s = "\(major).\(minor).\(patch)"
        if !prerelease.isEmpty { s += "-" + prerelease.joined(separator: ".") }
        if !build.isEmpty { s += "+" + build.joined(separator: ".") }
        return s
    }

    /// The version without build metadata: the key a release is stored and looked up under.
    public var precedenceKey: String {
        var s = "\(major).\(minor).\(patch)"
        if !prerelease.isEmpty { s += "-" + prerelease.joined(separator: ".") }
        return s
    }

    public var isPrerelease: Bool { !prerelease.isEmpty }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.precedenceKey == rhs.precedenceKey }
    public func hash(into hasher: inout Hasher) { hasher.combine(precedenceKey) }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        if lhs.major != rhs.major { return lhs.major < rhs.major }
        if lhs.minor != rhs.minor { return lhs.minor < rhs.minor }
        if lhs.patch != rhs.patch { return lhs.patch < rhs.patch }
        // A version without prerelease has higher precedence than one with.
        switch (lhs.prerelease.isEmpty, rhs.prerelease.isEmpty) {
        case (true, true), (true, false): return false
        case (false, true): return true
        case (false, false): break
        }
        for (a, b) in zip(lhs.prerelease, rhs.prerelease) where a != b {
            switch (isNumeric(a), isNumeric(b)) {
            // Numeric identifiers have no leading zeros, so the longer one is larger; no overflow.
            case (true, true): return a.utf8.count != b.utf8.count ? a.utf8.count < b.utf8.count : a < b
            case (true, false): return true  // numeric identifiers sort before alphanumeric ones
            case (false, true): return false
            case (false, false): return Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
            }
        }
        return lhs.prerelease.count < rhs.prerelease.count
    }
}
