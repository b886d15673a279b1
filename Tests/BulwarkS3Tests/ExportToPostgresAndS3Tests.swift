import AsyncHTTPClient
import BulwarkS3
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Issue #8 end to end, with the real binary: a registry on the embedded default (SQLite and
/// `DATA-DIR/blobs`) moves with `bulwark admin export` / `import` to PostgreSQL + S3 (SeaweedFS),
/// and `bulwark serve` on the new storage answers every release list, metadata, manifest and
/// archive byte-identically; the publish token still works; a pending staged release and its
/// archive came along. Importing into a registry that isn't empty is refused with one line and
/// changes nothing (no row, no object in the bucket).
///
/// Needs `BULWARK_TEST_POSTGRES_URL` (a schema of its own is the empty database), SeaweedFS's
/// `weed`, zip and the bulwark executable: skipped without them, failed under `BULWARK_E2E_REQUIRED=1`.
@Suite(.serialized) struct ExportToPostgresAndS3Tests {
    static let baseURL = "https://registry.example"
    static let bucket = "bulwark-import"
    static let jsonAccept = "application/vnd.swift.registry.v1+json"
    static let zipAccept = "application/vnd.swift.registry.v1+zip"
    static let swiftAccept = "application/vnd.swift.registry.v1+swift"

    /// What a client sees of one request: what must not change when the storage moves.
    struct Answer: Equatable, CustomStringConvertible {
        var status: UInt
        var headers: [String: String]
        var body: [UInt8]
        var description: String {
            "\(status) \(headers.sorted { $0.key < $1.key }) \(body.count) bytes: \(String(decoding: body.prefix(300), as: UTF8.self))"
        }
    }

    /// These headers carry the content (the rest, such as Date, may differ between two answers).
    static let comparedHeaders: Set<String> = ["content-type", "content-length", "content-version", "digest", "link", "location", "content-disposition"]

    static func answer(_ base: String, _ path: String, accept: String) async throws -> Answer {
        let response = try await fetch(base + path, headers: [("Accept", accept)], client: .noRedirects)
        var headers: [String: String] = [:]
        for (name, value) in response.headers where comparedHeaders.contains(name.lowercased()) {
            headers[name.lowercased(), default: ""] += headers[name.lowercased()] == nil ? value : ", " + value
        }
        return Answer(status: response.status, headers: headers, body: response.body)
    }

    static func post(_ url: String, json: String, token: String) async throws -> (UInt, String) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: json))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        return (response.status.code, String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }

    /// Every read a SwiftPM client makes of these releases: lists, metadata, manifests, archives,
    /// the repository-URL lookup, and the staged release's status.
    static func reads(releases: [(package: String, versions: [String])], staged: [String]) -> [(path: String, accept: String)] {
        var reads: [(String, String)] = []
        for (package, versions) in releases {
            reads.append(("/\(package)", jsonAccept))
            for version in versions {
                reads.append(("/\(package)/\(version)", jsonAccept))
                reads.append(("/\(package)/\(version)/Package.swift", swiftAccept))
                reads.append(("/\(package)/\(version).zip", zipAccept))
            }
        }
        reads.append(("/identifiers?url=https://github.com/seed/pkg000002", jsonAccept))
        reads.append(("/identifiers?url=https://github.com/mona/LinkedList.git", jsonAccept))
        for path in staged { reads.append((path, jsonAccept)) }
        return reads
    }

    static func record(_ base: String, _ reads: [(path: String, accept: String)]) async throws -> [String: Answer] {
        var answers: [String: Answer] = [:]
        for read in reads { answers[read.path + " " + read.accept] = try await answer(base, read.path, accept: read.accept) }
        return answers
    }

    @Test(.timeLimit(.minutes(10)))
    func anEmbeddedRegistryMovesToPostgresAndS3ByteIdentical() async throws {
        let name = "ExportToPostgresAndS3Tests.anEmbeddedRegistryMovesToPostgresAndS3ByteIdentical"
        guard let databaseURL = ProcessInfo.processInfo.environment["BULWARK_TEST_POSTGRES_URL"], !databaseURL.isEmpty else {
            try E2E.skip(name, because: "BULWARK_TEST_POSTGRES_URL is not set (scripts/pg-throwaway.sh start DIR prints one)")
            return
        }
        guard let tools = try ServeWithS3Tests.prerequisites(name), let weed = try await Weed.start(name) else { return }
        defer { weed.stop() }
        let work = try E2E.temporaryDirectory("export-pg-s3")
        defer { try? FileManager.default.removeItem(at: work) }
        let bulwark = tools.bulwark
        let source = work.appendingPathComponent("source").path
        let target = work.appendingPathComponent("target").path
        let secretKey = URL(fileURLWithPath: source).appendingPathComponent("secret.key").path
        let s3 = S3Client(configuration: try weed.configuration(bucket: Self.bucket))
        try await s3.createBucket()
        // A schema of its own: an empty PostgreSQL database for this test.
        let schema = "export_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let targetURL = databaseURL + (databaseURL.contains("?") ? "&" : "?") + "schema=\(schema)"
        var environment = ProcessInfo.processInfo.environment
        environment["AWS_ACCESS_KEY_ID"] = Weed.accessKey
        environment["AWS_SECRET_ACCESS_KEY"] = Weed.secretKey
        environment["BULWARK_DATABASE_URL"] = nil
        let s3Flags = ["--s3-endpoint", weed.endpoint, "--s3-bucket", Self.bucket, "--s3-path-style"]
        func cli(_ arguments: [String]) -> (status: Int32, output: String) { E2E.run(bulwark, arguments, environment: environment) }
        func serve(_ label: String, _ arguments: [String]) async throws -> ServeWithS3Tests.Serve? {
            let logs = work.appendingPathComponent(label)
            try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
            let server = try ServeWithS3Tests.Serve(
                bulwark, ["serve", "--port", "0", "--base-url", Self.baseURL, "--secret-key-file", secretKey, "--token-cache-seconds", "0"] + arguments,
                environment: environment, logs: logs
            )
            guard try await server.waitUntilListening() else {
                Issue.record("bulwark serve (\(label)) did not start: \(server.output)")
                server.stop()
                return nil
            }
            return server
        }

        // 1. The embedded default, filled with the real binary: generated packages, an account
        //    with a token, and releases published, yanked and staged over HTTP.
        let seeded = cli(["admin", "seed", "--data-dir", source, "--packages", "3", "--releases", "2", "--archive-size", "20000"])
        try #require(seeded.status == 0, "\(seeded.output)")
        let user = cli(["admin", "create-user", "mona", "--email", "mona@example.com", "--data-dir", source])
        try #require(user.status == 0, "\(user.output)")
        let minted = cli(["admin", "create-token", "--user", "mona", "--scope", "publish", "--scope", "yank", "--package", "mona.*", "--expires", "1d", "--data-dir", source])
        try #require(minted.status == 0, "\(minted.output)")
        let token = String(minted.output.split(whereSeparator: \.isNewline).last ?? "")
        try #require(token.hasPrefix("bwk_"), "\(minted.output)")

        let first = try ServeWithS3Tests.makeArchive(in: work, name: "v1", padding: 30_000)
        let second = try ServeWithS3Tests.makeArchive(in: work, name: "v2", padding: 40_000)
        let stagedArchive = try ServeWithS3Tests.makeArchive(in: work, name: "v3", padding: 25_000)
        let metadata = #"{"description":"moved to PostgreSQL and S3","repositoryURLs":["https://github.com/mona/LinkedList.git"]}"#
        do {
            guard let embedded = try await serve("serve-embedded", ["--data-dir", source]) else { return }
            defer { embedded.stop() }
            let base = "http://127.0.0.1:\(embedded.port)"
            for (version, archive, meta) in [("1.0.0", first, metadata), ("2.0.0", second, nil)] {
                let (status, _, text) = try await ServeWithS3Tests.publish(archive, metadata: meta, to: "\(base)/mona/LinkedList/\(version)", token: token)
                try #require(status == 201, "\(text)\n\(embedded.output)")
            }
            let (yanked, text) = try await Self.post("\(base)/api/v1/packages/mona/LinkedList/releases/1.0.0/yank", json: #"{"reason":"use 2.0.0"}"#, token: token)
            try #require(yanked == 200, "\(text)")
        }
        // With approval required, a publish waits as a staged release (its archive stored already).
        guard let approving = try await serve("serve-embedded-approval", ["--data-dir", source, "--publishing", "approval"]) else { return }
        defer { approving.stop() }
        let base = "http://127.0.0.1:\(approving.port)"
        let (stagedStatus, stagedHeaders, stagedText) = try await ServeWithS3Tests.publish(stagedArchive, metadata: nil, to: "\(base)/mona/LinkedList/3.0.0", token: token)
        try #require(stagedStatus == 202, "\(stagedText)\n\(approving.output)")
        let location = try #require(stagedHeaders.first { $0.0.lowercased() == "location" }?.1)
        try #require(location.hasPrefix(Self.baseURL + "/api/v1/packages/mona/LinkedList/staged/"), "\(location)")
        let stagedPath = String(location.dropFirst(Self.baseURL.count))

        let releases = (1...3).map { (package: String(format: "seed/pkg%06d", $0), versions: ["1.0.0", "1.1.0"]) }
            + [(package: "mona/LinkedList", versions: ["1.0.0", "2.0.0"])]
        let reads = Self.reads(releases: releases, staged: [stagedPath])
        let before = try await Self.record(base, reads)
        approving.stop()
        // The recording is of real content: every archive and metadata answer is a 200.
        for (package, versions) in releases {
            for version in versions {
                let zip = before["/\(package)/\(version).zip \(Self.zipAccept)"]
                #expect(zip?.status == 200 && (zip?.body.count ?? 0) > 20_000, "\(String(describing: zip))")
                #expect(before["/\(package)/\(version) \(Self.jsonAccept)"]?.status == 200)
            }
        }
        #expect(before["/mona/LinkedList/1.0.0.zip \(Self.zipAccept)"]?.body == first)
        #expect(before["/mona/LinkedList/2.0.0.zip \(Self.zipAccept)"]?.body == second)
        let listBefore = String(decoding: before["/mona/LinkedList \(Self.jsonAccept)"]?.body ?? [], as: UTF8.self)
        #expect(listBefore.contains("use 2.0.0"), "\(listBefore)")
        #expect(before["\(stagedPath) \(Self.jsonAccept)"]?.status == 202)
        for url in ["https://github.com/seed/pkg000002", "https://github.com/mona/LinkedList.git"] {
            let lookup = before["/identifiers?url=\(url) \(Self.jsonAccept)"]
            #expect(lookup?.status == 200, "\(String(describing: lookup))")
        }

        // 2. Export, then import into PostgreSQL + S3.
        let export = work.appendingPathComponent("export").path
        let exported = cli(["admin", "export", export, "--data-dir", source])
        try #require(exported.status == 0, "\(exported.output)")
        // The seed's shared archive, LinkedList 1.0.0 and 2.0.0, and the staged 3.0.0.
        #expect(exported.output.contains(" and 4 archives to "), "\(exported.output)")
        let imported = cli(["admin", "import", export, "--database-url", targetURL, "--data-dir", target] + s3Flags)
        try #require(imported.status == 0, "\(imported.output)")
        #expect(imported.output.contains(" and 4 archives from "), "\(imported.output)")
        let checksums = try FileManager.default.contentsOfDirectory(atPath: export + "/blobs").map { String($0.dropLast(4)) }.sorted()
        for checksum in checksums {
            let object = try await s3.headObject(key: "sha256/\(checksum.prefix(2))/\(checksum).zip")
            #expect(object != nil, "archive \(checksum) is not in the bucket")
        }
        #expect(checksums.contains(SigV4Signer.sha256Hex(stagedArchive)), "the staged release's archive was not exported")

        // 3. Served from PostgreSQL + S3: every answer byte-identical; nothing stored locally.
        guard let moved = try await serve("serve-postgres-s3", ["--database-url", targetURL, "--data-dir", target] + s3Flags) else { return }
        defer { moved.stop() }
        let movedBase = "http://127.0.0.1:\(moved.port)"
        let after = try await Self.record(movedBase, reads)
        for read in reads {
            let key = read.path + " " + read.accept
            #expect(after[key] == before[key], "\(key) differs after the move:\nbefore \(before[key].map(String.init(describing:)) ?? "-")\nafter  \(after[key].map(String.init(describing:)) ?? "-")")
        }
        let local = FileManager.default.enumerator(atPath: URL(fileURLWithPath: target).appendingPathComponent("blobs").path)?
            .compactMap { $0 as? String }.filter { $0.hasSuffix(".zip") } ?? []
        #expect(local.isEmpty, "archives stored locally: \(local)")

        // 4. Importing into a registry that isn't empty: one line, non-zero, nothing changed —
        //    not even the bucket, though this export brings an archive the target doesn't have.
        let other = work.appendingPathComponent("other").path
        let otherSeed = cli(["admin", "seed", "--data-dir", other, "--scope", "other", "--packages", "1", "--releases", "1", "--archive-size", "5000"])
        try #require(otherSeed.status == 0, "\(otherSeed.output)")
        let otherExport = work.appendingPathComponent("other-export").path
        let otherExported = cli(["admin", "export", otherExport, "--data-dir", other])
        try #require(otherExported.status == 0, "\(otherExported.output)")
        let otherChecksum = try #require(try FileManager.default.contentsOfDirectory(atPath: otherExport + "/blobs").first.map { String($0.dropLast(4)) })
        let refused = cli(["admin", "import", otherExport, "--database-url", targetURL, "--data-dir", target] + s3Flags)
        #expect(refused.status != 0, "\(refused.output)")
        let lines = refused.output.split(whereSeparator: \.isNewline)
        #expect(lines.count == 1 && lines[0].hasPrefix("error: ") && lines[0].contains("not empty"), "\(refused.output)")
        #expect(try await s3.headObject(key: "sha256/\(otherChecksum.prefix(2))/\(otherChecksum).zip") == nil, "the refused import stored an archive")
        #expect(try await Self.answer(movedBase, "/other/pkg000001", accept: Self.jsonAccept).status == 404)
        let unchanged = try await Self.record(movedBase, reads)
        for read in reads {
            let key = read.path + " " + read.accept
            #expect(unchanged[key] == before[key], "\(key) changed after the refused import")
        }

        // 5. The token moved too: it publishes (into S3) and the new release is served.
        let fourth = try ServeWithS3Tests.makeArchive(in: work, name: "v4", padding: 22_000)
        let (published, _, publishedText) = try await ServeWithS3Tests.publish(fourth, metadata: nil, to: "\(movedBase)/mona/LinkedList/4.0.0", token: token)
        #expect(published == 201, "\(publishedText)\n\(moved.output)")
        #expect(try await Self.answer(movedBase, "/mona/LinkedList/4.0.0.zip", accept: Self.zipAccept).body == fourth)
        let fourthKey = "sha256/\(SigV4Signer.sha256Hex(fourth).prefix(2))/\(SigV4Signer.sha256Hex(fourth)).zip"
        #expect(try await s3.headObject(key: fourthKey) != nil)

        let list = String(decoding: try await Self.answer(movedBase, "/mona/LinkedList", accept: Self.jsonAccept).body, as: UTF8.self)
        #expect(list.contains("\"4.0.0\"") && list.contains("\"2.0.0\"") && list.contains("\"1.0.0\""), "\(list)")
    }
}
