/// What an API token may do.
public enum TokenPermission: String, Sendable, Codable, CaseIterable {
    /// Publish new releases of the packages the token covers.
    case publish
    /// Yank and un-yank releases of the packages the token covers.
    case yank
}

/// Which packages a token covers: one package (`scope.name`) or a whole scope (`scope.*`).
public enum PackagePattern: Sendable, Hashable, CustomStringConvertible {
    case package(PackageIdentifier)
    case scope(String)

    public init(_ string: String) throws(BulwarkError) {
        if string.hasSuffix(".*") {
            let scope = String(string.dropLast(2))
            guard PackageIdentifier.isValidScope(scope) else {
                throw .badRequest("invalid package pattern '\(string)': expected scope.name or scope.*")
            }
            self = .scope(scope)
        } else {
            do { self = .package(try PackageIdentifier(string)) } catch {
                throw .badRequest("invalid package pattern '\(string)': expected scope.name or scope.*")
            }
        }
    }

    public var description: String {
        switch self {
        case .package(let id): id.description
        case .scope(let s): "\(s).*"
        }
    }

    public func covers(_ id: PackageIdentifier) -> Bool {
        switch self {
        case .package(let p): p == id
        case .scope(let s): s.lowercased() == id.scope.lowercased()
        }
    }
}
