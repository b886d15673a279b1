import AsyncHTTPClient
import BulwarkCore
@testable import BulwarkS3
import BulwarkStorage
import Crypto
import Foundation
import NIOCore
import Testing

/// The S3 client and blob store against a real S3-compatible server (SeaweedFS, signatures checked).
@Suite(.serialized) struct SeaweedFSTests {
    static func sha256(_ bytes: [UInt8]) -> String { SigV4Signer.sha256Hex(bytes) }

    static func write(_ bytes: [UInt8], in directory: URL, name: String = "file-\(UUID().uuidString)") throws -> URL {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    @Test func putGetHeadDeleteAndSignatureChecking() async throws {
        guard let weed = try await Weed.start("SeaweedFSTests.putGetHeadDeleteAndSignatureChecking") else { return }
        defer { weed.stop() }
        let work = try E2E.temporaryDirectory("s3-client")
        defer { try? FileManager.default.removeItem(at: work) }
        let client = S3Client(configuration: try weed.configuration())
        try await client.createBucket()
        try await client.createBucket()  // already ours: fine
        try await client.headBucket()

        // PUT from memory and from a file (streamed, payload hash signed), GET, HEAD, DELETE.
        try await client.putObject(key: "dir/small.txt", bytes: ByteBuffer(string: "hello"))
        let bytes = E2E.randomBytes(300_000)
        let file = try Self.write(bytes, in: work)
        try await client.upload(fileAt: file, key: "sha256/ab/some key+name.zip", sha256: Self.sha256(bytes))
        let head = try #require(try await client.headObject(key: "sha256/ab/some key+name.zip"))
        #expect(head.size == 300_000)
        let (info, body) = try await client.getObject(key: "sha256/ab/some key+name.zip")
        #expect(info.size == 300_000)
        #expect(Array(try await body.collect(upTo: 1 << 20).readableBytesView) == bytes)
        let small = try await client.getObject(key: "dir/small.txt")
        #expect(String(buffer: try await small.body.collect(upTo: 100)) == "hello")
        try await client.upload(fileAt: file, key: "no-hash-given.zip")  // hash computed first
        #expect(try await client.headObject(key: "no-hash-given.zip")?.size == 300_000)

        try await client.deleteObject(key: "dir/small.txt")
        #expect(try await client.headObject(key: "dir/small.txt") == nil)
        try await client.deleteObject(key: "dir/small.txt")  // idempotent
        await #expect(throws: BulwarkError.self) { _ = try await client.getObject(key: "dir/small.txt") }

        // A wrong secret is refused: the server really checks signatures.
        let impostor = S3Client(configuration: try weed.configuration(secret: "not-the-secret"))
        await #expect { try await impostor.headBucket() } throws: { ($0 as? S3Error)?.status == 403 }
        await #expect { _ = try await impostor.getObject(key: "no-hash-given.zip") } throws: { error in
            guard let error = error as? S3Error else { return false }
            return error.status == 403 && error.code == "SignatureDoesNotMatch" && !error.description.contains("not-the-secret")
        }
        await #expect(throws: S3Error.self) { try await impostor.putObject(key: "intruder.txt", bytes: ByteBuffer(string: "x")) }
        #expect(try await client.headObject(key: "intruder.txt") == nil)

        // A body that is not what was signed is refused (the payload hash is checked).
        let other = try Self.write(E2E.randomBytes(1000), in: work)
        await #expect(throws: S3Error.self) { try await client.upload(fileAt: other, key: "mismatch.zip", sha256: Self.sha256(bytes)) }
        #expect(try await client.headObject(key: "mismatch.zip") == nil)
    }

    @Test func multipartUploadOfSeveralMiB() async throws {
        guard let weed = try await Weed.start("SeaweedFSTests.multipartUploadOfSeveralMiB") else { return }
        defer { weed.stop() }
        let work = try E2E.temporaryDirectory("s3-multipart")
        defer { try? FileManager.default.removeItem(at: work) }
        var configuration = try weed.configuration()
        configuration.partSize = S3Configuration.minimumPartSize
        configuration.multipartThreshold = Int64(S3Configuration.minimumPartSize)
        let client = S3Client(configuration: configuration)
        try await client.createBucket()

        let bytes = E2E.randomBytes(2 * S3Configuration.minimumPartSize + 1_234_567)  // three parts, the last short
        let file = try Self.write(bytes, in: work)
        try await client.upload(fileAt: file, key: "big/archive.zip", sha256: Self.sha256(bytes))
        let head = try #require(try await client.headObject(key: "big/archive.zip"))
        #expect(head.size == Int64(bytes.count))
        #expect(head.etag?.contains("-3") == true, "a multipart ETag ends in -<parts>: \(head.etag ?? "none")")
        let (_, body) = try await client.getObject(key: "big/archive.zip")
        var received = [UInt8]()
        for try await chunk in body { received += chunk.readableBytesView }
        #expect(received.count == bytes.count)
        #expect(Self.sha256(received) == Self.sha256(bytes))

        // At the threshold exactly: one PUT.
        let exact = try Self.write(E2E.randomBytes(S3Configuration.minimumPartSize), in: work)
        try await client.upload(fileAt: exact, key: "big/exact.zip")
        #expect(try await client.headObject(key: "big/exact.zip")?.etag?.contains("-") == false)

        // A multipart upload that fails half-way (here: the file shrinks) is aborted and leaves no object.
        let shrinking = try Self.write(E2E.randomBytes(S3Configuration.minimumPartSize + 10), in: work)
        let handle = try #require(try ReadOnlyFile(path: shrinking.path))
        #expect(truncate(shrinking.path, 100) == 0)
        await #expect(throws: BulwarkError.self) { try await client.multipartUpload(file: handle, key: "big/broken.zip", contentType: "application/zip") }
        #expect(try await client.headObject(key: "big/broken.zip") == nil)
    }

    @Test func presignedURLsWorkExpireAndCannotBeTampered() async throws {
        guard let weed = try await Weed.start("SeaweedFSTests.presignedURLsWorkExpireAndCannotBeTampered") else { return }
        defer { weed.stop() }
        let client = S3Client(configuration: try weed.configuration())
        try await client.createBucket()
        let bytes = E2E.randomBytes(50_000)
        try await client.putObject(key: "sha256/aa/one.zip", bytes: ByteBuffer(bytes: bytes))
        try await client.putObject(key: "sha256/aa/two.zip", bytes: ByteBuffer(string: "secret two"))

        let url = client.presignedGetURL(key: "sha256/aa/one.zip", expires: 60).absoluteString
        #expect(url.hasPrefix(weed.endpoint + "/bulwark-test/sha256/aa/one.zip?"))
        #expect(url.contains("X-Amz-Expires=60&"))
        let ok = try await fetch(url)
        #expect(ok.status == 200)
        #expect(ok.body == bytes)

        // Another key with the same signature, a changed expiry, a changed signature: refused.
        let otherKey = url.replacingOccurrences(of: "one.zip", with: "two.zip")
        #expect(try await fetch(otherKey).status == 403)
        let longer = url.replacingOccurrences(of: "X-Amz-Expires=60", with: "X-Amz-Expires=600")
        #expect(try await fetch(longer).status == 403)
        var tampered = Array(url)
        let last = tampered.count - 1
        tampered[last] = tampered[last] == "0" ? "1" : "0"
        #expect(try await fetch(String(tampered)).status == 403)

        // Signed 100 s ago for 30 s: expired.
        let past = S3Client(configuration: try weed.configuration(), now: { Date().addingTimeInterval(-100) })
        #expect(try await fetch(past.presignedGetURL(key: "sha256/aa/one.zip", expires: 30).absoluteString).status == 403)
        // Signed with a wrong secret: refused.
        let impostor = S3Client(configuration: try weed.configuration(secret: "wrong"))
        #expect(try await fetch(impostor.presignedGetURL(key: "sha256/aa/one.zip").absoluteString).status == 403)
        // A short lifetime really expires.
        let short = client.presignedGetURL(key: "sha256/aa/one.zip", expires: 1).absoluteString
        try await Task.sleep(for: .milliseconds(2200))
        #expect(try await fetch(short).status == 403)
    }

    @Test func virtualHostAddressing() async throws {
        guard let weed = try await Weed.start("SeaweedFSTests.virtualHostAddressing", domainName: "s3.bulwark.test") else { return }
        defer { weed.stop() }
        let pathStyle = S3Client(configuration: try weed.configuration())
        try await pathStyle.createBucket()
        let configuration = try S3Configuration(
            endpoint: "http://s3.bulwark.test:\(weed.s3Port)", bucket: "bulwark-test", region: "us-east-1", pathStyle: false,
            credentials: S3Credentials(accessKeyID: Weed.accessKey, secretAccessKey: Weed.secretKey)
        )
        #expect(configuration.host == "bulwark-test.s3.bulwark.test:\(weed.s3Port)")
        var client = S3Client(configuration: configuration)
        client.connectTo = ("127.0.0.1", weed.s3Port)  // no DNS for *.s3.bulwark.test here
        try await client.headBucket()
        try await client.putObject(key: "vhost/a.txt", bytes: ByteBuffer(string: "virtual"))
        #expect(String(buffer: try await client.getObject(key: "vhost/a.txt").body.collect(upTo: 100)) == "virtual")
        // The same object through path-style addressing: the bucket was taken from the Host header.
        #expect(String(buffer: try await pathStyle.getObject(key: "vhost/a.txt").body.collect(upTo: 100)) == "virtual")
    }

    enum Backend: String, CaseIterable, Sendable { case file, s3 }

    /// What every blob store does, against the file store and S3.
    @Test(arguments: Backend.allCases)
    func blobStoreConformance(_ backend: Backend) async throws {
        let work = try E2E.temporaryDirectory("blob-conformance")
        defer { try? FileManager.default.removeItem(at: work) }
        var weed: Weed?
        defer { weed?.stop() }
        let blobs: any BlobStore
        switch backend {
        case .file:
            blobs = try FileBlobStore(root: work.appendingPathComponent("blobs"))
        case .s3:
            guard let started = try await Weed.start("SeaweedFSTests.blobStoreConformance(s3)") else { return }
            weed = started
            var configuration = try started.configuration()
            configuration.keyPrefix = "registry/"
            let client = S3Client(configuration: configuration)
            try await client.createBucket()
            blobs = try S3BlobStore(client: client, temporaryDirectory: work.appendingPathComponent("tmp"))
        }
        try await blobs.checkReachable()

        // Commit: the bytes are found by checksum, the temporary is gone.
        let bytes = E2E.randomBytes(400_000)
        let checksum = Self.sha256(bytes)
        let temporary = try blobs.makeTemporaryFile()
        try Data(bytes).write(to: temporary)
        #expect(try await !blobs.exists(checksum: checksum))
        await #expect { _ = try await blobs.open(checksum: checksum) } throws: { ($0 as? BulwarkError)?.kind == .notFound }
        try await blobs.commit(temporaryFile: temporary, checksum: checksum)
        #expect(!FileManager.default.fileExists(atPath: temporary.path))
        #expect(try await blobs.exists(checksum: checksum))
        let stream = try await blobs.open(checksum: checksum)
        #expect(stream.size == Int64(bytes.count))
        #expect(Array(try await stream.collect(upTo: 1 << 20).readableBytesView) == bytes)
        switch (backend, try await blobs.location(forChecksum: checksum)) {
        case (.file, .file(let path)): #expect(FileManager.default.contents(atPath: path) == Data(bytes))
        case (.s3, .stream): break
        case (_, let other): Issue.record("unexpected location \(other) for \(backend)")
        }

        // Committing the same bytes again is a no-op that still removes the temporary.
        let again = try blobs.makeTemporaryFile()
        try Data(bytes).write(to: again)
        try await blobs.commit(temporaryFile: again, checksum: checksum)
        #expect(!FileManager.default.fileExists(atPath: again.path))
        #expect(Array(try await blobs.open(checksum: checksum).collect(upTo: 1 << 20).readableBytesView) == bytes)

        // A malformed checksum is refused before anything is stored; the temporary stays for the caller.
        let bad = try blobs.makeTemporaryFile()
        try Data("x".utf8).write(to: bad)
        for checksum in ["../../etc/passwd", String(repeating: "A", count: 64), String(repeating: "a", count: 63), ""] {
            await #expect(throws: BulwarkError.self) { try await blobs.commit(temporaryFile: bad, checksum: checksum) }
            await #expect(throws: BulwarkError.self) { _ = try await blobs.location(forChecksum: checksum) }
        }
        #expect(FileManager.default.fileExists(atPath: bad.path))

        // Removal (a deleted release's archive): gone, and removing again is fine.
        let removable = try #require(blobs as? any RemovableBlobStore)
        try await removable.removeBlob(checksum: checksum)
        #expect(try await !blobs.exists(checksum: checksum))
        try await removable.removeBlob(checksum: checksum)
        await #expect(throws: BulwarkError.self) { try await removable.removeBlob(checksum: "../x") }

        // Temporaries left by a crash are removed at start-up.
        _ = try blobs.makeTemporaryFile()
        #expect(try blobs.removeTemporaryFiles() == 2)
        #expect(try blobs.removeTemporaryFiles() == 0)
    }

    @Test func redirectModeHandsOutAPresignedURLAndABrokenStoreIsUnavailable() async throws {
        guard let weed = try await Weed.start("SeaweedFSTests.redirectModeHandsOutAPresignedURLAndABrokenStoreIsUnavailable") else { return }
        defer { weed.stop() }
        let work = try E2E.temporaryDirectory("blob-redirect")
        defer { try? FileManager.default.removeItem(at: work) }
        var configuration = try weed.configuration()
        configuration.downloads = .redirect
        configuration.presignedURLLifetime = 90
        let client = S3Client(configuration: configuration)
        try await client.createBucket()
        let blobs = try S3BlobStore(client: client, temporaryDirectory: work)
        let bytes = E2E.randomBytes(1000)
        let temporary = try blobs.makeTemporaryFile()
        try Data(bytes).write(to: temporary)
        try await blobs.commit(temporaryFile: temporary, checksum: Self.sha256(bytes))
        guard case .redirect(let url) = try await blobs.location(forChecksum: Self.sha256(bytes)) else {
            Issue.record("redirect mode gives a presigned URL")
            return
        }
        #expect(url.absoluteString.contains("X-Amz-Expires=90&"))
        #expect(try await fetch(url.absoluteString).body == bytes)

        // A wrong secret: the store says it is unavailable, and a commit keeps the temporary file.
        var wrong = configuration
        wrong.credentials = S3Credentials(accessKeyID: Weed.accessKey, secretAccessKey: "wrong")
        let broken = try S3BlobStore(client: S3Client(configuration: wrong), temporaryDirectory: work)
        await #expect { try await broken.checkReachable() } throws: { ($0 as? BulwarkError)?.kind == .unavailable }
        let other = E2E.randomBytes(10)
        let kept = try broken.makeTemporaryFile()
        try Data(other).write(to: kept)
        await #expect { try await broken.commit(temporaryFile: kept, checksum: Self.sha256(other)) } throws: { ($0 as? BulwarkError)?.kind == .unavailable }
        #expect(FileManager.default.fileExists(atPath: kept.path))
        #expect(try await !blobs.exists(checksum: Self.sha256(other)))
        // Nothing listening: unavailable too.
        let nowhere = try S3Configuration(endpoint: "http://127.0.0.1:1", bucket: "bulwark-test", region: "us-east-1", pathStyle: true, credentials: wrong.credentials)
        await #expect { try await S3BlobStore(client: S3Client(configuration: nowhere), temporaryDirectory: work).checkReachable() } throws: {
            ($0 as? BulwarkError)?.kind == .unavailable
        }
    }
}
