import ArgumentParser
import BulwarkCore
import BulwarkS3
import BulwarkStorage
import Foundation
import Logging

/// `--s3-*`: archives in an S3-compatible bucket instead of `DATA-DIR/blobs`. Credentials come from
/// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`), never from arguments.
struct S3Options: ParsableArguments {
    @Option(help: "S3-compatible endpoint for archives, e.g. https://s3.eu-west-1.amazonaws.com (credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY).")
    var s3Endpoint: String?
    @Option(help: "Bucket for archives (with --s3-endpoint).") var s3Bucket: String?
    @Option(help: "Region the requests are signed for.") var s3Region = "us-east-1"
    @Flag(help: "Path-style addressing (endpoint/bucket/key) instead of virtual-host (bucket.endpoint/key).") var s3PathStyle = false
    @Option(help: "How archives reach clients: proxy (streamed through the server) or redirect (303 to a short-lived presigned URL).")
    var s3Downloads = "proxy"
    @Option(help: "Seconds a presigned download URL is valid (redirect mode).") var s3RedirectExpiry = 120
    @Option(help: "Archives larger than this many bytes are uploaded in parts.") var s3MultipartThreshold: Int64 = 16 * 1024 * 1024
    @Option(help: "Bytes per part of a multipart upload (at least 5 MiB).") var s3PartSize = 8 * 1024 * 1024
    @Option(help: "Object key prefix in the bucket (ends with '/'); empty by default.") var s3KeyPrefix = ""

    /// The configuration, or nil without `--s3-endpoint`; a one-line error for anything wrong.
    func configuration(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> S3Configuration? {
        guard let endpoint = s3Endpoint else {
            guard s3Bucket == nil else { throw BulwarkError.badRequest("--s3-bucket needs --s3-endpoint") }
            return nil
        }
        guard let bucket = s3Bucket else { throw BulwarkError.badRequest("--s3-endpoint needs --s3-bucket") }
        guard let mode = S3DownloadMode(rawValue: s3Downloads) else {
            throw BulwarkError.badRequest("--s3-downloads must be proxy or redirect, not '\(s3Downloads)'")
        }
        guard let credentials = S3Credentials.fromEnvironment(environment) else {
            throw BulwarkError.badRequest("--s3-endpoint needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment")
        }
        var configuration = try S3Configuration(endpoint: endpoint, bucket: bucket, region: s3Region, pathStyle: s3PathStyle, credentials: credentials)
        configuration.downloads = mode
        configuration.presignedURLLifetime = s3RedirectExpiry
        configuration.multipartThreshold = s3MultipartThreshold
        configuration.partSize = s3PartSize
        configuration.keyPrefix = s3KeyPrefix
        try configuration.validate()
        return configuration
    }

    /// `storage` with its file blob store replaced by the S3 one when `--s3-endpoint` is given;
    /// uploads in progress stay under `DATA-DIR/blobs/tmp`.
    func applied(to storage: Storage, dataDirectory: String, logger: Logger = Logger(label: "bulwark.s3")) throws -> Storage {
        guard let configuration = try configuration() else { return storage }
        var storage = storage
        let blobs = try S3BlobStore(
            client: S3Client(configuration: configuration, logger: logger),
            temporaryDirectory: URL(fileURLWithPath: dataDirectory).appendingPathComponent("blobs/tmp")
        )
        storage.blobs = blobs
        storage.readiness = storage.readiness.filter { !($0 is FileBlobStore) } + [blobs]
        return storage
    }

    /// With `--s3-endpoint`: the bucket must answer to these credentials, or the command stops
    /// with a one-line error (a wrong key, region or bucket name shows at once, not at the first publish).
    func checkAtStart(_ storage: Storage) async throws {
        guard s3Endpoint != nil else { return }
        do { try await storage.blobs.checkReachable() } catch let error as BulwarkError {
            FileHandle.standardError.write(Data("error: \(error.detail)\n".utf8))
            throw ExitCode.failure
        }
    }
}
