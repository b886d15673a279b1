import BulwarkCore
import Foundation
import NIOSSL
import PostgresNIO

/// Where the PostgreSQL database is and how to talk to it, from a URL:
///
///     postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=…&schema=…&pool_max=…&connect_timeout=…]
///
/// - `sslmode`: `disable`, `require` (TLS, certificate and host name verified against the system
///   roots or `sslrootcert`) or `verify-full` (the same). The default is `require`, except for a
///   loopback host (`localhost`, `127.0.0.1`, `::1`), where it is `disable`. There is no
///   `prefer`: a connection that silently falls back to plain text is a downgrade.
/// - `sslrootcert`: a PEM file of trusted roots for the server's certificate.
/// - `schema`: the schema Bulwark's tables live in (its `search_path`); default the user's default.
/// - `pool_max`: most connections this instance opens (default 10, 1…1000).
/// - `connect_timeout`: seconds to wait for a new connection (default 10, 1…600).
///
/// The password is percent-decoded; ``redacted`` is the URL without it, for logs and messages.
public struct PostgresURL: Sendable, Equatable {
    public enum TLSMode: String, Sendable, Equatable {
        case disable, require
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tlsMode: TLSMode
    public var rootCertificatePath: String?
    public var schema: String?
    public var maximumConnections: Int
    public var connectTimeoutSeconds: Int

    public static let defaultMaximumConnections = 10
    public static let defaultConnectTimeoutSeconds = 10

    public init(
        host: String, port: Int = 5432, username: String, password: String? = nil, database: String, tlsMode: TLSMode = .require,
        rootCertificatePath: String? = nil, schema: String? = nil, maximumConnections: Int = Self.defaultMaximumConnections,
        connectTimeoutSeconds: Int = Self.defaultConnectTimeoutSeconds
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tlsMode = tlsMode
        self.rootCertificatePath = rootCertificatePath
        self.schema = schema
        self.maximumConnections = maximumConnections
        self.connectTimeoutSeconds = connectTimeoutSeconds
    }

    /// Parses a `postgres://` or `postgresql://` URL; a `.badRequest` ``BulwarkError`` says what is wrong.
    public init(_ string: String) throws {
        func invalid(_ why: String) -> BulwarkError { .badRequest("invalid database URL: \(why)") }
        guard let components = URLComponents(string: string) else { throw invalid("it is not a URL") }
        guard let scheme = components.scheme?.lowercased(), scheme == "postgres" || scheme == "postgresql" else {
            throw invalid("use the scheme postgres:// (e.g. postgres://user@host:5432/bulwark)")
        }
        guard let host = components.host, !host.isEmpty else { throw invalid("it names no host") }
        guard let user = components.user, !user.isEmpty else { throw invalid("it names no user (postgres://USER@HOST/DATABASE)") }
        var database = components.path
        if database.hasPrefix("/") { database.removeFirst() }
        guard !database.isEmpty, !database.contains("/") else { throw invalid("it names no database (postgres://USER@HOST/DATABASE)") }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw invalid("port \(port) is out of range") }

        // URLComponents.host keeps the brackets of an IPv6 literal.
        var bareHost = host
        if bareHost.hasPrefix("["), bareHost.hasSuffix("]") { bareHost = String(bareHost.dropFirst().dropLast()) }
        let loopback = ["localhost", "127.0.0.1", "::1"].contains(bareHost.lowercased())

        self.init(
            host: bareHost, port: port, username: user.removingPercentEncoding ?? user,
            password: components.password.map { $0.removingPercentEncoding ?? $0 },
            database: database.removingPercentEncoding ?? database, tlsMode: loopback ? .disable : .require
        )
        var seen = Set<String>()
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            guard seen.insert(item.name).inserted else { throw invalid("parameter '\(item.name)' is given twice") }
            switch item.name {
            case "sslmode":
                switch value {
                case "disable": tlsMode = .disable
                case "require", "verify-full", "verify-ca": tlsMode = .require
                case "prefer", "allow":
                    throw invalid("sslmode=\(value) would fall back to an unencrypted connection; use require or disable")
                default: throw invalid("unknown sslmode '\(value)': use disable or require")
                }
            case "sslrootcert":
                guard !value.isEmpty else { throw invalid("sslrootcert is empty") }
                rootCertificatePath = value
            case "schema":
                guard Self.isValidSchemaName(value) else {
                    throw invalid("schema '\(value)' must be 1–63 lower-case letters, digits or underscores, starting with a letter")
                }
                schema = value
            case "pool_max":
                guard let n = Int(value), (1...1000).contains(n) else { throw invalid("pool_max must be a whole number from 1 to 1000") }
                maximumConnections = n
            case "connect_timeout":
                guard let n = Int(value), (1...600).contains(n) else {
                    throw invalid("connect_timeout must be a whole number of seconds from 1 to 600")
                }
                connectTimeoutSeconds = n
            default:
                throw invalid("unknown parameter '\(item.name)' (known: sslmode, sslrootcert, schema, pool_max, connect_timeout)")
            }
        }
        if rootCertificatePath != nil, tlsMode == .disable { throw invalid("sslrootcert needs TLS, but sslmode is disable") }
    }

    /// Lower-case letters, digits and underscores, starting with a letter, at most 63 bytes
    /// (PostgreSQL's identifier length), so that it can be quoted into SQL safely.
    public static func isValidSchemaName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.utf8.count <= 63, ("a"..."z").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    /// The URL without the password, safe for logs and error messages.
    public var redacted: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        var s = "postgres://\(username)\(password == nil ? "" : ":***")@\(hostPart):\(port)/\(database)"
        var query: [String] = []
        if tlsMode == .disable { query.append("sslmode=disable") }
        if let schema { query.append("schema=\(schema)") }
        if !query.isEmpty { s += "?" + query.joined(separator: "&") }
        return s
    }

    /// The PostgresNIO client configuration.
    func clientConfiguration() throws -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch tlsMode {
        case .disable: tls = .disable
        case .require:
            var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
            if let rootCertificatePath {
                guard FileManager.default.isReadableFile(atPath: rootCertificatePath) else {
                    throw BulwarkError.badRequest("invalid database URL: can't read sslrootcert '\(rootCertificatePath)'")
                }
                tlsConfiguration.trustRoots = .file(rootCertificatePath)
            }
            tls = .require(tlsConfiguration)
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls
        )
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(connectTimeoutSeconds)
        configuration.options.additionalStartupParameters = [("application_name", "bulwark")]
        if let schema { configuration.options.additionalStartupParameters.append(("search_path", schema)) }
        return configuration
    }
}
