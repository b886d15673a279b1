import BulwarkCore
import Foundation

/// How archives stored in S3 reach a client.
public enum S3DownloadMode: String, Sendable, CaseIterable {
    /// The server streams the object to the client, with the same headers as for a file.
    case proxy
    /// `303 See Other` to a presigned URL valid for ``S3Configuration/presignedURLLifetime`` seconds.
    case redirect
}

/// Where the bucket is and how to talk to it. Validated by ``validate()`` (the initialiser calls it).
public struct S3Configuration: Sendable {
    public let scheme: String
    /// The endpoint's host (no port), e.g. `s3.eu-west-1.amazonaws.com` or `127.0.0.1`.
    public let endpointHost: String
    /// The endpoint's explicit port, if any.
    public let port: Int?
    public var bucket: String
    public var region: String
    /// `true`: `https://endpoint/bucket/key`; `false` (virtual-host): `https://bucket.endpoint/key`.
    public var pathStyle: Bool
    public var credentials: S3Credentials
    /// Prepended to every object key (e.g. `registry/`); empty by default.
    public var keyPrefix = ""
    public var downloads: S3DownloadMode = .proxy
    /// Seconds a presigned download URL stays valid (redirect mode). Short on purpose.
    public var presignedURLLifetime = 120
    /// Archives larger than this are uploaded in parts.
    public var multipartThreshold: Int64 = 16 * 1024 * 1024
    /// Size of each part of a multipart upload (S3's minimum is 5 MiB, except for the last part).
    public var partSize = 8 * 1024 * 1024
    /// Seconds one request to S3 may take (a whole part or single upload, a HEAD, the start of a GET).
    public var requestTimeout: Double = 300

    public static let minimumPartSize = 5 * 1024 * 1024
    public static let maximumPartSize = 5 * 1024 * 1024 * 1024
    public static let maximumParts = 10_000

    public init(endpoint: String, bucket: String, region: String, pathStyle: Bool, credentials: S3Credentials) throws {
        guard let components = URLComponents(string: endpoint), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty else {
            throw BulwarkError.badRequest("--s3-endpoint '\(endpoint)' is not a URL such as https://s3.eu-west-1.amazonaws.com")
        }
        guard scheme == "https" || scheme == "http" else {
            throw BulwarkError.badRequest("--s3-endpoint must be an http:// or https:// URL, not \(scheme)://")
        }
        guard components.path.isEmpty || components.path == "/", components.query == nil, components.fragment == nil,
              components.user == nil, components.password == nil else {
            throw BulwarkError.badRequest("--s3-endpoint must be scheme://host[:port] only (no path, query or credentials): the bucket is given with --s3-bucket")
        }
        self.scheme = scheme
        endpointHost = host.lowercased()
        port = components.port
        self.bucket = bucket
        self.region = region
        self.pathStyle = pathStyle
        self.credentials = credentials
        try validate()
    }

    /// Checks every field, with a message naming the option at fault.
    public func validate() throws {
        guard Self.isValidBucketName(bucket) else {
            throw BulwarkError.badRequest("--s3-bucket '\(bucket)' is not a valid bucket name: 3–63 lowercase letters, digits, '-' and '.'")
        }
        guard !region.isEmpty, region.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7a) }) else {
            throw BulwarkError.badRequest("--s3-region '\(region)' is not a region name such as us-east-1")
        }
        if !pathStyle {
            guard !Self.isIPAddress(endpointHost), endpointHost != "localhost" else {
                throw BulwarkError.badRequest("virtual-host addressing needs a DNS name as endpoint, not \(endpointHost): add --s3-path-style")
            }
            guard scheme == "http" || !bucket.contains(".") else {
                throw BulwarkError.badRequest("a bucket name with dots breaks TLS under virtual-host addressing: add --s3-path-style")
            }
        }
        guard (Self.minimumPartSize...Self.maximumPartSize).contains(partSize) else {
            throw BulwarkError.badRequest("--s3-part-size must be between \(Self.minimumPartSize) and \(Self.maximumPartSize) bytes (S3's limits)")
        }
        guard multipartThreshold >= 0 else { throw BulwarkError.badRequest("--s3-multipart-threshold must not be negative") }
        guard (1...3600).contains(presignedURLLifetime) else {
            throw BulwarkError.badRequest("--s3-redirect-expiry must be between 1 and 3600 seconds")
        }
        guard requestTimeout > 0 else { throw BulwarkError.badRequest("the S3 request timeout must be positive") }
        guard keyPrefix.isEmpty || (!keyPrefix.hasPrefix("/") && keyPrefix.hasSuffix("/") && !keyPrefix.contains("..")) else {
            throw BulwarkError.badRequest("the S3 key prefix must end with '/', must not start with '/' and must not contain '..'")
        }
    }

    /// The value of the Host header (and host of URLs) for requests to this bucket.
    public var host: String {
        let name = pathStyle ? endpointHost : "\(bucket).\(endpointHost)"
        let bracketed = name.contains(":") ? "[\(name)]" : name
        if let port, port != (scheme == "https" ? 443 : 80) { return "\(bracketed):\(port)" }
        return bracketed
    }

    /// The canonical (encoded) path of an object, or of the bucket when `key` is nil.
    public func path(forKey key: String?) -> String {
        let bucketPart = pathStyle ? "/" + SigV4Signer.uriEncode(bucket) : ""
        guard let key else { return bucketPart.isEmpty ? "/" : bucketPart }
        return bucketPart + "/" + SigV4Signer.uriEncode(key, encodeSlash: false)
    }

    /// `scheme://host/path?query` with the query encoded exactly as it was signed. Always the
    /// endpoint's own scheme: an https endpoint never yields an http URL.
    public func url(forKey key: String?, query: [(String, String)] = []) -> String {
        var url = "\(scheme)://\(host)\(path(forKey: key))"
        if !query.isEmpty {
            url += "?" + query.map { "\(SigV4Signer.uriEncode($0.0))=\(SigV4Signer.uriEncode($0.1))" }.joined(separator: "&")
        }
        return url
    }

    public static func isValidBucketName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count), !isIPAddress(name) else { return false }
        func alnum(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x7a) }
        guard alnum(bytes.first!), alnum(bytes.last!), !name.contains("..") else { return false }
        return bytes.allSatisfy { alnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
    }

    static func isIPAddress(_ host: String) -> Bool {
        if host.contains(":") { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }
}
