import BulwarkCore
import BulwarkStorage
import Foundation
import NIOCore

/// Blobs as objects in an S3 bucket: key `PREFIX/sha256/ab/abcdef….zip`. Uploads are received and
/// checked in a local temporary directory first, then uploaded (signed with their SHA-256, which is
/// their checksum), the stored size verified, and the temporary file removed.
public struct S3BlobStore: BlobStore {
    public let client: S3Client
    private let uploads: TemporaryUploads

    /// `temporaryDirectory`: local directory for uploads in progress (e.g. `DATA-DIR/blobs/tmp`).
    public init(client: S3Client, temporaryDirectory: URL) throws {
        self.client = client
        uploads = try TemporaryUploads(directory: temporaryDirectory)
    }

    public var configuration: S3Configuration { client.configuration }

    public func key(forChecksum checksum: String) -> String {
        configuration.keyPrefix + BlobChecksum.relativePath(checksum)
    }

    public func makeTemporaryFile() throws -> URL { try uploads.makeFile() }

    public func commit(temporaryFile: URL, checksum: String) async throws {
        try BlobChecksum.validate(checksum)
        let key = key(forChecksum: checksum)
        let size = try Int64(FileManager.default.attributesOfItem(atPath: temporaryFile.path)[.size] as? NSNumber ?? 0)
        do {
            if let existing = try await client.headObject(key: key), existing.size == size {
                // Same bytes already stored (content addressed).
                try? FileManager.default.removeItem(at: temporaryFile)
                return
            }
            try await client.upload(fileAt: temporaryFile, key: key, sha256: checksum)
            guard let stored = try await client.headObject(key: key) else {
                throw BulwarkError.internalError("the archive was uploaded to S3 but is not there")
            }
            guard stored.size == size else {
                throw BulwarkError.internalError("S3 stored \(stored.size) bytes of a \(size)-byte archive")
            }
        } catch let error as S3Error {
            throw BulwarkError(.unavailable, "the archive store refused the upload: \(error)")
        }
        try? FileManager.default.removeItem(at: temporaryFile)
    }

    public func location(forChecksum checksum: String) async throws -> BlobLocation {
        try BlobChecksum.validate(checksum)
        switch configuration.downloads {
        case .proxy: return .stream
        case .redirect: return .redirect(client.presignedGetURL(key: key(forChecksum: checksum)))
        }
    }

    public func open(checksum: String) async throws -> BlobStream {
        try BlobChecksum.validate(checksum)
        do {
            let (info, body) = try await client.getObject(key: key(forChecksum: checksum))
            return BlobStream(size: info.size, chunks: body)
        } catch let error as S3Error {
            throw BulwarkError(.unavailable, "the archive store can't be read: \(error)")
        }
    }

    public func exists(checksum: String) async throws -> Bool {
        try BlobChecksum.validate(checksum)
        do { return try await client.headObject(key: key(forChecksum: checksum)) != nil } catch let error as S3Error {
            throw BulwarkError(.unavailable, "the archive store can't be read: \(error)")
        }
    }

    public func checkReachable() async throws {
        do { try await client.headBucket() } catch let error as S3Error {
            throw BulwarkError(.unavailable, "the S3 bucket '\(configuration.bucket)' at \(configuration.scheme)://\(configuration.host) is not usable: \(error)")
        }
    }

    public func removeTemporaryFiles() throws -> Int { try uploads.removeAll() }
}

extension S3BlobStore: ReadinessCheck {
    public var readinessName: String { "blobs" }

    /// The bucket answers a signed HEAD. The reason given names no endpoint, bucket or credential.
    public func checkReadiness() async throws {
        do { try await client.headBucket() } catch let error as S3Error {
            throw ReadinessFailure("the S3 bucket refused access (HTTP \(error.status))")
        } catch {
            throw ReadinessFailure("the S3 endpoint is unreachable")
        }
    }
}

extension S3BlobStore: RemovableBlobStore {
    /// Deletes the object (S3 answers a DELETE of a missing key with success too).
    public func removeBlob(checksum: String) async throws {
        try BlobChecksum.validate(checksum)
        do { try await client.deleteObject(key: key(forChecksum: checksum)) } catch let error as S3Error {
            throw BulwarkError(.unavailable, "the archive store refused to delete an archive: \(error)")
        }
    }
}
