/// A registry package identifier, `scope.name` (SE-0292).
///
/// Identifiers compare case-insensitively; the registry stores the case it saw first.
public struct PackageIdentifier: Sendable, Hashable, CustomStringConvertible {
    public let scope: String
    public let name: String

    /// Validates `scope` and `name` against the grammar of the registry specification.
    public init(scope: String, name: String) throws(BulwarkError) {
        guard Self.isValidScope(scope) else {
            throw .invalidIdentifier("invalid scope '\(scope)': use 1–39 letters, digits or single hyphens, not at either end")
        }
        guard Self.isValidName(name) else {
            throw .invalidIdentifier("invalid package name '\(name)': use 1–100 letters, digits, single hyphens or underscores, not at either end")
        }
        self.scope = scope
        self.name = name
    }

    /// Parses `scope.name`.
    public init(_ string: String) throws(BulwarkError) {
        let parts = string.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw .invalidIdentifier("invalid package identifier '\(string)': expected scope.name") }
        try self.init(scope: String(parts[0]), name: String(parts[1]))
    }

    public var description: String { "\(scope).\(name)" }

    /// The key under which the identifier is stored and compared.
    public var canonicalKey: String { description.lowercased() }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.canonicalKey == rhs.canonicalKey }
    public func hash(into hasher: inout Hasher) { hasher.combine(canonicalKey) }

    /// `[a-zA-Z0-9](?:[a-zA-Z0-9]|-(?=[a-zA-Z0-9])){0,38}`
    public static func isValidScope(_ s: String) -> Bool {
        isValid(Array(s.utf8), maxLength: 39, separators: [UInt8(ascii: "-")])
    }

    /// `[a-zA-Z0-9](?:[a-zA-Z0-9]|[-_](?=[a-zA-Z0-9])){0,99}`
    public static func isValidName(_ s: String) -> Bool {
        isValid(Array(s.utf8), maxLength: 100, separators: [UInt8(ascii: "-"), UInt8(ascii: "_")])
    }

    private static func isValid(_ bytes: [UInt8], maxLength: Int, separators: Set<UInt8>) -> Bool {
        guard !bytes.isEmpty, bytes.count <= maxLength else { return false }
        for (i, b) in bytes.enumerated() {
            if isAlphanumeric(b) { continue }
            // A separator must sit between two alphanumerics.
            guard separators.contains(b), i > 0, i + 1 < bytes.count, isAlphanumeric(bytes[i + 1]) else { return false }
        }
        return isAlphanumeric(bytes[0])
    }

    private static func isAlphanumeric(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }
}
