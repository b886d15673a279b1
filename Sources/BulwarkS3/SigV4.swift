import BulwarkCore
import Crypto
import Foundation
import NIOCore

/// Access key and secret for SigV4. The secret is never printed: `description` redacts it.
public struct S3Credentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public let accessKeyID: String
    public let secretAccessKey: String
    /// Temporary credentials (STS) carry a session token, sent as `x-amz-security-token`.
    public let sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// From `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN` if set); nil if either is missing.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> S3Credentials? {
        guard let id = environment["AWS_ACCESS_KEY_ID"], !id.isEmpty,
              let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else { return nil }
        let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        return S3Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: token)
    }

    public var description: String { "S3Credentials(accessKeyID: \(accessKeyID), secretAccessKey: <redacted>)" }
    public var debugDescription: String { description }
}

/// AWS Signature Version 4, as S3 uses it: pure functions, no I/O, no clock (the time is passed in).
///
/// Payload hashes: the client signs the real SHA-256 of every body it sends as
/// `x-amz-content-sha256` (a blob's checksum *is* the SHA-256 of its bytes, and each multipart part
/// is hashed as it is read) — no UNSIGNED-PAYLOAD and no chunked streaming signatures, since the
/// hash is known before the upload starts. AWS refuses a body that doesn't match it; because not
/// every S3-compatible server checks that header (SeaweedFS doesn't), the client also sends
/// `x-amz-checksum-sha256` on PUTs and `Content-MD5` on parts, which they do check.
/// ``unsignedPayload`` is what presigned URLs sign.
public struct SigV4Signer: Sendable {
    public static let algorithm = "AWS4-HMAC-SHA256"
    /// SHA-256 of the empty string: the payload hash of GET, HEAD and DELETE.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    public let credentials: S3Credentials
    public let region: String
    public let service: String

    public init(credentials: S3Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// What is signed: method, the canonical (already encoded) path, the query as raw name/value
    /// pairs, and the headers that will be sent (must include `host`).
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var query: [(String, String)]
        public var headers: [(String, String)]

        public init(method: String, path: String, query: [(String, String)] = [], headers: [(String, String)]) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
        }
    }

    // MARK: Canonical request

    /// RFC 3986 unreserved characters stay, everything else is `%XX` (uppercase), `/` optionally kept.
    public static func uriEncode(_ string: String, encodeSlash: Bool = true) -> String {
        var out = ""
        out.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where !encodeSlash:
                out.append("/")
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// The canonical URI of an object key (S3 encodes it once, keeping `/`).
    public static func canonicalPath(_ rawPath: String) -> String {
        let encoded = uriEncode(rawPath, encodeSlash: false)
        return encoded.hasPrefix("/") ? encoded : "/" + encoded
    }

    /// Names and values encoded, sorted by name then value, joined with `&`.
    public static func canonicalQueryString(_ query: [(String, String)]) -> String {
        let encoded: [(name: String, value: String)] = query.map { (uriEncode($0.0), uriEncode($0.1)) }
        let sorted = encoded.sorted { (a: (name: String, value: String), b: (name: String, value: String)) -> Bool in
            a.name == b.name ? a.value < b.value : a.name < b.name
        }
        return sorted.map { $0.name + "=" + $0.value }.joined(separator: "&")
    }

    /// Lowercased names, sorted; values trimmed with inner runs of spaces collapsed; repeated names joined with `,`.
    static func canonicalHeaders(_ headers: [(String, String)]) -> (block: String, signed: String) {
        var merged: [String: [String]] = [:]
        for (name, value) in headers {
            let trimmed = value.trimmingCharacters(in: .whitespaces).split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            merged[name.lowercased(), default: []].append(trimmed)
        }
        let names = merged.keys.sorted()
        let block = names.map { "\($0):\(merged[$0]!.joined(separator: ","))\n" }.joined()
        return (block, names.joined(separator: ";"))
    }

    public func canonicalRequest(_ request: Request, payloadHash: String) -> (canonical: String, signedHeaders: String) {
        let headers = Self.canonicalHeaders(request.headers)
        let canonical = [
            request.method,
            request.path,
            Self.canonicalQueryString(request.query),
            headers.block,
            headers.signed,
            payloadHash,
        ].joined(separator: "\n")
        return (canonical, headers.signed)
    }

    // MARK: String to sign, key, signature

    public func scope(dateStamp: String) -> String { "\(dateStamp)/\(region)/\(service)/aws4_request" }

    public func stringToSign(canonicalRequest: String, date: Date) -> String {
        let (amzDate, dateStamp) = Self.timestamps(date)
        return [Self.algorithm, amzDate, scope(dateStamp: dateStamp), Self.hex(SHA256.hash(data: Data(canonicalRequest.utf8)))].joined(separator: "\n")
    }

    /// HMAC chain: "AWS4"+secret → date → region → service → "aws4_request".
    public func signingKey(dateStamp: String) -> SymmetricKey {
        var key = SymmetricKey(data: Data(("AWS4" + credentials.secretAccessKey).utf8))
        for part in [dateStamp, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return key
    }

    public func signature(stringToSign: String, date: Date) -> String {
        let key = signingKey(dateStamp: Self.timestamps(date).dateStamp)
        return Self.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key))
    }

    // MARK: Signing

    /// The headers to add to `request` (it must already carry `host`): `x-amz-date`,
    /// `x-amz-content-sha256`, `x-amz-security-token` for temporary credentials, and `authorization`.
    public func sign(_ request: Request, payloadHash: String, date: Date) -> [(String, String)] {
        var added: [(String, String)] = [("x-amz-date", Self.timestamps(date).amzDate), ("x-amz-content-sha256", payloadHash)]
        if let token = credentials.sessionToken { added.append(("x-amz-security-token", token)) }
        var signed = request
        signed.headers += added
        let (canonical, signedHeaders) = canonicalRequest(signed, payloadHash: payloadHash)
        let signature = signature(stringToSign: stringToSign(canonicalRequest: canonical, date: date), date: date)
        let credential = "\(credentials.accessKeyID)/\(scope(dateStamp: Self.timestamps(date).dateStamp))"
        added.append(("authorization", "\(Self.algorithm) Credential=\(credential),SignedHeaders=\(signedHeaders),Signature=\(signature)"))
        return added
    }

    /// Query-string authentication (a presigned URL): the full query to append, signature last.
    /// Only `host` is signed and the payload is `UNSIGNED-PAYLOAD`, as S3 expects of presigned URLs.
    public func presign(_ request: Request, expires seconds: Int, date: Date) -> [(String, String)] {
        let (amzDate, dateStamp) = Self.timestamps(date)
        var query = request.query
        query.append(("X-Amz-Algorithm", Self.algorithm))
        query.append(("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope(dateStamp: dateStamp))"))
        query.append(("X-Amz-Date", amzDate))
        query.append(("X-Amz-Expires", String(seconds)))
        if let token = credentials.sessionToken { query.append(("X-Amz-Security-Token", token)) }
        query.append(("X-Amz-SignedHeaders", Self.canonicalHeaders(request.headers).signed))
        var signed = request
        signed.query = query
        let (canonical, _) = canonicalRequest(signed, payloadHash: Self.unsignedPayload)
        query.append(("X-Amz-Signature", signature(stringToSign: stringToSign(canonicalRequest: canonical, date: date), date: date)))
        return query
    }

    // MARK: Helpers

    /// `20130524T000000Z` and `20130524`, UTC, without a formatter.
    public static func timestamps(_ date: Date) -> (amzDate: String, dateStamp: String) {
        let c = CivilTime(date)
        let (year, month, day, secondOfDay) = (c.year, c.month, c.day, c.secondOfDay)
        func two(_ v: Int64) -> String { String(v).leftPadded(to: 2) }
        let dateStamp = String(year).leftPadded(to: 4) + two(month) + two(day)
        let time = two(secondOfDay / 3600) + two(secondOfDay % 3600 / 60) + two(secondOfDay % 60)
        return (dateStamp + "T" + time + "Z", dateStamp)
    }

    public static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0x0f)]) }
        return String(decoding: out, as: UTF8.self)
    }

    public static func sha256Hex<D: DataProtocol>(_ data: D) -> String { hex(SHA256.hash(data: data)) }

    public static func sha256Hex(_ buffer: ByteBuffer) -> String {
        buffer.withUnsafeReadableBytes { hex(SHA256.hash(data: $0)) }
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
