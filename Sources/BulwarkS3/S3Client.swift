import AsyncHTTPClient
import BulwarkCore
import BulwarkStorage
import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// An S3 answer other than the expected one. Carries S3's error code and message, never a credential.
public struct S3Error: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let status: Int
    public let code: String?
    public let message: String?

    public var description: String {
        "S3 \(operation) failed with HTTP \(status)" + (code.map { " \($0)" } ?? "") + (message.map { ": \($0)" } ?? "")
    }
}

/// Size and entity tag of a stored object.
public struct S3ObjectInfo: Sendable, Equatable {
    public let size: Int64
    public let etag: String?
}

/// A minimal S3 client: objects (PUT streamed from a file, multipart upload, HEAD, streaming GET,
/// DELETE), bucket HEAD/PUT, presigned GET URLs. Every request is signed with SigV4.
public struct S3Client: Sendable {
    public let configuration: S3Configuration
    let signer: SigV4Signer
    let httpClient: HTTPClient
    let now: @Sendable () -> Date
    let logger: Logger
    /// Connect here instead of to the URL's host (the Host header and signature are unchanged).
    /// For tests of virtual-host addressing without DNS; plain http only.
    package var connectTo: (host: String, port: Int)?

    /// The HTTP client S3 requests use by default (lives as long as the process): a refused
    /// connection fails the request at once instead of being retried until its deadline.
    public static let defaultHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public init(
        configuration: S3Configuration, httpClient: HTTPClient = S3Client.defaultHTTPClient, logger: Logger = Logger(label: "bulwark.s3"),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region)
        self.httpClient = httpClient
        self.logger = logger
        self.now = now
    }

    // MARK: Objects

    /// Size and ETag of an object, or nil if there is none.
    public func headObject(key: String) async throws -> S3ObjectInfo? {
        let response = try await send("HEAD", key: key, operation: "HeadObject", accept: [200, 404])
        guard response.status.code == 200 else { return nil }
        guard let size = response.headers.first(name: "content-length").flatMap(Int64.init) else {
            throw S3Error(operation: "HeadObject", status: 200, code: nil, message: "no Content-Length in the answer")
        }
        return S3ObjectInfo(size: size, etag: response.headers.first(name: "etag"))
    }

    /// The object's bytes as a stream (started, status checked); `BulwarkError.notFound` if missing.
    public func getObject(key: String) async throws -> (info: S3ObjectInfo, body: HTTPClientResponse.Body) {
        let response = try await send("GET", key: key, operation: "GetObject", accept: [200, 404])
        guard response.status.code == 200 else { throw BulwarkError.notFound("no object '\(key)' in bucket \(configuration.bucket)") }
        guard let size = response.headers.first(name: "content-length").flatMap(Int64.init) else {
            throw S3Error(operation: "GetObject", status: 200, code: nil, message: "no Content-Length in the answer")
        }
        return (S3ObjectInfo(size: size, etag: response.headers.first(name: "etag")), response.body)
    }

    /// Deletes an object (no error if it does not exist, as S3 does).
    public func deleteObject(key: String) async throws {
        _ = try await send("DELETE", key: key, operation: "DeleteObject", accept: [200, 204])
    }

    /// Small bodies from memory, signed with their real SHA-256.
    public func putObject(key: String, bytes: ByteBuffer, contentType: String = "application/octet-stream") async throws {
        let hash = SigV4Signer.sha256Hex(bytes)
        _ = try await send(
            "PUT", key: key, operation: "PutObject", headers: [("content-type", contentType), ("x-amz-checksum-sha256", Self.base64(hex: hash))],
            body: .bytes(bytes), payloadHash: hash, accept: [200]
        )
    }

    /// Uploads a file: one streamed PUT up to the multipart threshold, a multipart upload above it.
    /// `sha256` is the file's SHA-256 (lowercase hex) if already known (it is signed as the payload
    /// hash, so S3 refuses the upload if the bytes differ); otherwise it is computed first.
    public func upload(fileAt url: URL, key: String, sha256: String? = nil, contentType: String = "application/zip") async throws {
        guard let file = try await NIOThreadPool.singleton.runIfActive({ try ReadOnlyFile(path: url.path) }) else {
            throw BulwarkError.internalError("the file to upload is missing")
        }
        if file.size > configuration.multipartThreshold {
            try await multipartUpload(file: file, key: key, contentType: contentType)
            return
        }
        let hash: String
        if let sha256 { hash = sha256 } else { hash = try await Self.sha256(of: file) }
        _ = try await send(
            "PUT", key: key, operation: "PutObject", headers: [("content-type", contentType), ("x-amz-checksum-sha256", Self.base64(hex: hash))],
            body: .stream(FileChunks(file: file, offset: 0, length: file.size), length: .known(file.size)), payloadHash: hash, accept: [200]
        )
    }

    /// CreateMultipartUpload, one UploadPart per ``S3Configuration/partSize`` bytes (each part read
    /// into memory, hashed and signed), CompleteMultipartUpload; AbortMultipartUpload on any failure.
    func multipartUpload(file: ReadOnlyFile, key: String, contentType: String) async throws {
        let partSize = Int64(configuration.partSize)
        let partCount = max(1, Int((file.size + partSize - 1) / partSize))
        guard partCount <= S3Configuration.maximumParts else {
            throw BulwarkError.internalError("a \(file.size)-byte upload needs more than \(S3Configuration.maximumParts) parts: raise --s3-part-size")
        }
        let created = try await send(
            "POST", key: key, query: [("uploads", "")], operation: "CreateMultipartUpload", headers: [("content-type", contentType)], accept: [200]
        )
        let createdBody = try await created.body.collect(upTo: 1 << 20)
        guard let uploadID = XMLText.first("UploadId", in: String(buffer: createdBody)), !uploadID.isEmpty else {
            throw S3Error(operation: "CreateMultipartUpload", status: 200, code: nil, message: "no UploadId in the answer")
        }
        do {
            var etags: [String] = []
            for index in 0..<partCount {
                let offset = Int64(index) * partSize
                let length = Int(min(partSize, file.size - offset))
                let bytes = try await NIOThreadPool.singleton.runIfActive { try file.read(at: offset, count: length) }
                guard bytes.readableBytes == length else { throw BulwarkError.internalError("the file to upload changed while it was read") }
                let md5 = bytes.withUnsafeReadableBytes { Data(Insecure.MD5.hash(data: $0)).base64EncodedString() }
                let response = try await send(
                    "PUT", key: key, query: [("partNumber", String(index + 1)), ("uploadId", uploadID)], operation: "UploadPart",
                    headers: [("content-md5", md5)], body: .bytes(bytes), payloadHash: SigV4Signer.sha256Hex(bytes), accept: [200]
                )
                guard let etag = response.headers.first(name: "etag") else {
                    throw S3Error(operation: "UploadPart", status: 200, code: nil, message: "no ETag for part \(index + 1)")
                }
                etags.append(etag)
            }
            var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            for (i, etag) in etags.enumerated() {
                xml += "<Part><PartNumber>\(i + 1)</PartNumber><ETag>\(XMLText.escape(etag))</ETag></Part>"
            }
            xml += "</CompleteMultipartUpload>"
            let body = ByteBuffer(string: xml)
            let completed = try await send(
                "POST", key: key, query: [("uploadId", uploadID)], operation: "CompleteMultipartUpload",
                headers: [("content-type", "application/xml")], body: .bytes(body), payloadHash: SigV4Signer.sha256Hex(Array(xml.utf8)), accept: [200]
            )
            // S3 may answer 200 and still report an error in the body.
            let answer = String(buffer: try await completed.body.collect(upTo: 1 << 20))
            if answer.contains("<Error>") {
                throw S3Error(operation: "CompleteMultipartUpload", status: 200, code: XMLText.first("Code", in: answer), message: XMLText.first("Message", in: answer))
            }
        } catch {
            do {
                _ = try await send("DELETE", key: key, query: [("uploadId", uploadID)], operation: "AbortMultipartUpload", accept: [200, 204, 404])
            } catch let abortError {
                logger.warning("couldn't abort a failed multipart upload", metadata: ["key": "\(key)", "error": "\(abortError)"])
            }
            throw error
        }
    }

    // MARK: Bucket

    /// Succeeds if the bucket exists and these credentials may use it.
    public func headBucket() async throws {
        _ = try await send("HEAD", key: nil, operation: "HeadBucket", accept: [200])
    }

    /// Creates the bucket (tests and first set-up); an existing bucket owned by us is fine.
    public func createBucket() async throws {
        let response = try await send("PUT", key: nil, operation: "CreateBucket", accept: [200, 409])
        if response.status.code == 409 {
            let body = String(buffer: try await response.body.collect(upTo: 1 << 16))
            guard XMLText.first("Code", in: body) == "BucketAlreadyOwnedByYou" else {
                throw S3Error(operation: "CreateBucket", status: 409, code: XMLText.first("Code", in: body), message: XMLText.first("Message", in: body))
            }
        }
    }

    // MARK: Presigned URLs

    /// A GET URL for `key`, valid for `seconds` from now, in the endpoint's own scheme.
    public func presignedGetURL(key: String, expires seconds: Int? = nil) -> URL {
        let request = SigV4Signer.Request(method: "GET", path: configuration.path(forKey: key), headers: [("host", configuration.host)])
        let query = signer.presign(request, expires: seconds ?? configuration.presignedURLLifetime, date: now())
        return URL(string: configuration.url(forKey: key, query: query))!
    }

    // MARK: Requests

    func send(
        _ method: String, key: String?, query: [(String, String)] = [], operation: String, headers extra: [(String, String)] = [],
        body: HTTPClientRequest.Body? = nil, payloadHash: String = SigV4Signer.emptyPayloadHash, accept: Set<UInt>
    ) async throws -> HTTPClientResponse {
        let path = configuration.path(forKey: key)
        var headers = [("host", configuration.host)] + extra
        headers += signer.sign(SigV4Signer.Request(method: method, path: path, query: query, headers: headers), payloadHash: payloadHash, date: now())
        var url = configuration.url(forKey: key, query: query)
        if let connectTo, configuration.scheme == "http" {
            url = "http://\(connectTo.host):\(connectTo.port)" + url.dropFirst("http://\(configuration.host)".count)
        }
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = body }
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(request, timeout: .milliseconds(Int64(configuration.requestTimeout * 1000)), logger: logger)
        } catch {
            throw BulwarkError(.unavailable, "the S3 endpoint \(configuration.scheme)://\(configuration.host) can't be reached (\(operation)): \(error)")
        }
        guard accept.contains(response.status.code) else {
            let text = method == "HEAD" ? "" : String(buffer: (try? await response.body.collect(upTo: 1 << 16)) ?? ByteBuffer())
            throw S3Error(operation: operation, status: Int(response.status.code), code: XMLText.first("Code", in: text), message: XMLText.first("Message", in: text))
        }
        return response
    }

    /// Base64 of the bytes a hex string spells (for `x-amz-checksum-sha256`).
    static func base64(hex: String) -> String {
        var bytes: [UInt8] = []
        var iterator = hex.utf8.makeIterator()
        while let h = iterator.next(), let l = iterator.next() {
            func value(_ c: UInt8) -> UInt8 { c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10 }
            bytes.append(value(h) << 4 | value(l))
        }
        return Data(bytes).base64EncodedString()
    }

    static func sha256(of file: ReadOnlyFile) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive {
            var hasher = SHA256()
            var offset: Int64 = 0
            while offset < file.size {
                let chunk = try file.read(at: offset, count: 1 << 20)
                guard chunk.readableBytes > 0 else { break }
                chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                offset += Int64(chunk.readableBytes)
            }
            return SigV4Signer.hex(hasher.finalize())
        }
    }
}

/// Just enough XML for S3's small answers: the text of the first `<name>` element, entities decoded.
enum XMLText {
    static func first(_ name: String, in xml: String) -> String? {
        guard let open = xml.range(of: "<\(name)>"), let close = xml.range(of: "</\(name)>", range: open.upperBound..<xml.endIndex) else { return nil }
        return unescape(String(xml[open.upperBound..<close.lowerBound]))
    }

    static func unescape(_ s: String) -> String {
        s.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&#34;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// `length` bytes of a file from `offset`, 1 MiB at a time, read on the NIO thread pool as the
/// consumer asks for them (an upload body with backpressure).
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let file: ReadOnlyFile
    let offset: Int64
    let length: Int64
    var chunkSize = 1 << 20

    struct AsyncIterator: AsyncIteratorProtocol {
        let file: ReadOnlyFile
        var position: Int64
        let end: Int64
        let chunkSize: Int

        mutating func next() async throws -> ByteBuffer? {
            guard position < end else { return nil }
            let count = Int(Swift.min(Int64(chunkSize), end - position))
            let at = position
            let file = file
            let chunk = try await NIOThreadPool.singleton.runIfActive { try file.read(at: at, count: count) }
            guard chunk.readableBytes == count else { throw BulwarkError.internalError("the file to upload changed while it was read") }
            position += Int64(count)
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(file: file, position: offset, end: offset + length, chunkSize: chunkSize) }
}
