import BulwarkCore
import Crypto
import Foundation
import Hummingbird
import NIOCore

/// The parts of a publish request (SE-0391), after streaming: the archive on disk, the small parts
/// in memory.
struct PublishUpload {
    var archiveFile: URL?
    var archiveChecksum = ""
    var archiveSize: Int64 = 0
    var archiveSignature: [UInt8]?
    var metadata: [UInt8]?
    var metadataSignature: [UInt8]?

    struct Limits {
        var maxBodyBytes: Int
        var maxMetadataBytes: Int
        var maxSignatureBytes: Int
    }

    /// Streams a multipart body: the `source-archive` part goes straight to `temporaryFile` (hashed
    /// on the way), never into memory. Parts are matched by their `name` only: SwiftPM sends no
    /// `filename=`. `Content-Transfer-Encoding` is ignored.
    static func receive(
        body: RequestBody, boundary: String, temporaryFile: URL, limits: Limits
    ) async throws -> PublishUpload {
        var upload = PublishUpload()
        var parser = MultipartParser(boundary: boundary)
        let handle = try FileHandle(forWritingTo: temporaryFile)
        defer { try? handle.close() }
        var hasher = SHA256()
        var current: String?
        var memoryPart: [UInt8] = []
        var seen = Set<String>()
        var received = 0

        func limit(for name: String) -> Int {
            switch name {
            case "metadata": limits.maxMetadataBytes
            case "source-archive-signature", "metadata-signature": limits.maxSignatureBytes
            default: 0
            }
        }

        for try await buffer in body {
            received += buffer.readableBytes
            guard received <= limits.maxBodyBytes else {
                throw BulwarkError.payloadTooLarge("the upload is larger than this registry's limit of \(limits.maxBodyBytes) bytes")
            }
            try buffer.withUnsafeReadableBytes { raw in
                try parser.feed(raw) { event in
                    switch event {
                    case .partBegin(let headers):
                        guard let name = headers.name else {
                            throw BulwarkError.unprocessable("a multipart part has no Content-Disposition name")
                        }
                        guard ["source-archive", "source-archive-signature", "metadata", "metadata-signature"].contains(name) else {
                            throw BulwarkError.unprocessable("unexpected multipart part '\(name)'")
                        }
                        guard seen.insert(name).inserted else { throw BulwarkError.unprocessable("the part '\(name)' appears twice") }
                        current = name
                        memoryPart = []
                    case .partData(let bytes):
                        if current == "source-archive" {
                            hasher.update(data: bytes)
                            try handle.write(contentsOf: bytes)
                            upload.archiveSize += Int64(bytes.count)
                        } else if let name = current {
                            guard memoryPart.count + bytes.count <= limit(for: name) else {
                                throw BulwarkError.payloadTooLarge("the part '\(name)' is larger than \(limit(for: name)) bytes")
                            }
                            memoryPart.append(contentsOf: bytes)
                        }
                    case .partEnd:
                        switch current {
                        case "source-archive": upload.archiveFile = temporaryFile
                        case "source-archive-signature": upload.archiveSignature = memoryPart
                        case "metadata": upload.metadata = memoryPart
                        case "metadata-signature": upload.metadataSignature = memoryPart
                        default: break
                        }
                        current = nil
                    }
                }
            }
        }
        try parser.finish()
        // Not synced here: the blob store makes the bytes durable when it commits them (a file
        // store fsyncs them once, before the rename; S3 has them acknowledged), and a temporary
        // file lost in a crash is only an upload to send again.
        upload.archiveChecksum = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        return upload
    }
}
