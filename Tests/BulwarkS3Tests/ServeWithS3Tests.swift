import AsyncHTTPClient
import BulwarkS3
import BulwarkTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// A real `bulwark serve` with `--s3-*` against SeaweedFS: publish, then download byte-identically,
/// proxied and redirected; and the one-line errors of a wrong S3 configuration.
@Suite(.serialized) struct ServeWithS3Tests {
    /// `bulwark serve`, its stdout and stderr in files; the port from its "listening on" line.
    final class Serve {
        let process: ChildProcess
        let stdout: URL
        let stderr: URL
        var port = 0

        init(_ executable: URL, _ arguments: [String], environment: [String: String], logs: URL) throws {
            stdout = logs.appendingPathComponent("serve.stdout")
            stderr = logs.appendingPathComponent("serve.stderr")
            process = try ChildProcess.start(
                executable.path, arguments, environment: .exact(environment), stdout: .file(stdout.path), stderr: .file(stderr.path)
            )
        }

        var output: String {
            "stdout: " + String(decoding: (try? Data(contentsOf: stdout)) ?? Data(), as: UTF8.self).suffix(2000)
                + "\nstderr: " + String(decoding: (try? Data(contentsOf: stderr)) ?? Data(), as: UTF8.self).suffix(4000)
        }

        /// Waits for "listening on http://127.0.0.1:PORT"; false if the process exits first or the time runs out.
        func waitUntilListening(timeout: Double = 60) async throws -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                let text = String(decoding: (try? Data(contentsOf: stdout)) ?? Data(), as: UTF8.self)
                if let range = text.range(of: "listening on ") {
                    let rest = text[range.upperBound...].prefix { !$0.isNewline }
                    if let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...].prefix { $0.isNumber }) {
                        self.port = port
                        return true
                    }
                }
                if !process.isRunning { return false }
                try await Task.sleep(for: .milliseconds(200))
            }
            return false
        }

        /// The exit status (128 + the signal, if one ended it); nil if still running after `timeout` seconds.
        func waitForExit(timeout: Double = 60) async throws -> Int32? {
            await process.wait(timeout: .seconds(timeout))?.shellStatus
        }

        func stop() {
            process.stop(grace: .seconds(10))
        }
    }

    /// A source archive as SwiftPM makes one, with `padding` random (incompressible) bytes in it.
    static func makeArchive(in work: URL, name: String, padding: Int) throws -> [UInt8] {
        let root = work.appendingPathComponent("src-\(name)")
        let package = root.appendingPathComponent("LinkedList")
        try FileManager.default.createDirectory(at: package.appendingPathComponent("Sources/LinkedList"), withIntermediateDirectories: true)
        try Data("// swift-tools-version:5.9\nimport PackageDescription\nlet package = Package(name: \"LinkedList\", targets: [.target(name: \"LinkedList\")])\n".utf8)
            .write(to: package.appendingPathComponent("Package.swift"))
        try Data("public struct LinkedList {}\n".utf8).write(to: package.appendingPathComponent("Sources/LinkedList/LinkedList.swift"))
        try Data(E2E.randomBytes(padding)).write(to: package.appendingPathComponent("Sources/LinkedList/padding.bin"))
        let zipped = E2E.run(URL(fileURLWithPath: "/usr/bin/zip"), ["-qry", "-0", "archive.zip", "LinkedList"], in: root)
        #expect(zipped.status == 0, "\(zipped.output)")
        return Array(try Data(contentsOf: root.appendingPathComponent("archive.zip")))
    }

    static func publish(_ archive: [UInt8], to url: String, token: String) async throws -> (UInt, String) {
        let (status, _, text) = try await publish(archive, metadata: nil, to: url, token: token)
        return (status, text)
    }

    /// A publish as SwiftPM sends it: the archive and, if given, the release metadata.
    static func publish(_ archive: [UInt8], metadata: String?, to url: String, token: String) async throws -> (UInt, [(String, String)], String) {
        let boundary = "bulwark-\(UUID().uuidString)"
        var body = ByteBuffer()
        body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"source-archive\"\r\nContent-Type: application/zip\r\n\r\n")
        body.writeBytes(archive)
        if let metadata {
            body.writeString("\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"metadata\"\r\nContent-Type: application/json\r\n\r\n")
            body.writeString(metadata)
        }
        body.writeString("\r\n--\(boundary)--\r\n")
        var request = HTTPClientRequest(url: url)
        request.method = .PUT
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "application/vnd.swift.registry.v1+json")
        request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
        request.body = .bytes(body)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        return (response.status.code, response.headers.map { ($0.name, $0.value) }, text)
    }

    struct Prerequisites {
        let bulwark: URL
    }

    static func prerequisites(_ test: String) throws -> Prerequisites? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/zip") else {
            try E2E.skip(test, because: "/usr/bin/zip is missing")
            return nil
        }
        guard let bulwark = E2E.bulwarkExecutable() else {
            try E2E.skip(test, because: "the bulwark executable was not found (swift build, or set BULWARK_BIN)")
            return nil
        }
        return Prerequisites(bulwark: bulwark)
    }

    @Test(arguments: [S3DownloadMode.proxy, .redirect])
    func publishAndDownloadThroughS3(_ mode: S3DownloadMode) async throws {
        let name = "ServeWithS3Tests.publishAndDownloadThroughS3(\(mode))"
        guard let tools = try Self.prerequisites(name), let weed = try await Weed.start(name) else { return }
        defer { weed.stop() }
        let work = try E2E.temporaryDirectory("serve-s3")
        defer { try? FileManager.default.removeItem(at: work) }
        let data = work.appendingPathComponent("data").path
        let s3 = S3Client(configuration: try weed.configuration())
        try await s3.createBucket()

        let user = E2E.run(tools.bulwark, ["admin", "create-user", "mona", "--email", "mona@example.com", "--data-dir", data])
        #expect(user.status == 0, "\(user.output)")
        let minted = E2E.run(tools.bulwark, ["admin", "create-token", "--user", "mona", "--package", "mona.*", "--data-dir", data])
        #expect(minted.status == 0, "\(minted.output)")
        let token = String(minted.output.split(whereSeparator: \.isNewline).last ?? "")

        var environment = ProcessInfo.processInfo.environment
        environment["AWS_ACCESS_KEY_ID"] = Weed.accessKey
        environment["AWS_SECRET_ACCESS_KEY"] = Weed.secretKey
        let part = String(S3Configuration.minimumPartSize)
        let serve = try Serve(tools.bulwark, [
            "serve", "--port", "0", "--data-dir", data, "--s3-endpoint", weed.endpoint, "--s3-bucket", "bulwark-test", "--s3-path-style",
            "--s3-downloads", mode.rawValue, "--s3-part-size", part, "--s3-multipart-threshold", part, "--s3-redirect-expiry", "60",
        ], environment: environment, logs: work)
        defer { serve.stop() }
        guard try await serve.waitUntilListening() else {
            Issue.record("bulwark serve did not start: \(serve.output)")
            return
        }
        let base = "http://127.0.0.1:\(serve.port)"
        let noRedirects = HTTPClient.noRedirects

        // A small archive (served from memory after the first read when proxied) and one large
        // enough to be uploaded in two parts and streamed.
        let small = try Self.makeArchive(in: work, name: "small", padding: 20_000)
        let large = try Self.makeArchive(in: work, name: "large", padding: S3Configuration.minimumPartSize + 300_000)
        for (version, archive) in [("1.0.0", small), ("2.0.0", large)] {
            let (status, answer) = try await Self.publish(archive, to: "\(base)/mona/LinkedList/\(version)", token: token)
            #expect(status == 201, "\(answer)\n\(serve.output)")
            let checksum = SigV4Signer.sha256Hex(archive)
            let stored = try #require(try await s3.headObject(key: "sha256/\(checksum.prefix(2))/\(checksum).zip"))
            #expect(stored.size == Int64(archive.count))
            if archive.count > S3Configuration.minimumPartSize { #expect(stored.etag?.contains("-2") == true, "\(stored.etag ?? "")") }

            for _ in 0..<2 {
                let response = try await fetch(
                    "\(base)/mona/LinkedList/\(version).zip", headers: [("Accept", "application/vnd.swift.registry.v1+zip")], client: noRedirects
                )
                let headers = Dictionary(response.headers.map { ($0.0.lowercased(), $0.1) }) { a, _ in a }
                switch mode {
                case .proxy:
                    #expect(response.status == 200, "\(serve.output)")
                    #expect(headers["content-type"] == "application/zip")
                    #expect(headers["content-length"] == String(archive.count))
                    #expect(headers["digest"] == "sha-256=\(Data(SigV4Helpers.bytes(fromHex: checksum)).base64EncodedString())")
                    #expect(response.body == archive, "proxied bytes differ (\(response.body.count) of \(archive.count))")
                case .redirect:
                    #expect(response.status == 303, "\(serve.output)")
                    let location = try #require(headers["location"])
                    #expect(location.hasPrefix("\(weed.endpoint)/bulwark-test/sha256/\(checksum.prefix(2))/\(checksum).zip?"))
                    #expect(location.contains("X-Amz-Expires=60&"))
                    #expect(headers["cache-control"] == "no-store")
                    let redirected = try await fetch(location)
                    #expect(redirected.status == 200)
                    #expect(redirected.body == archive, "redirected bytes differ")
                }
            }
        }
        // Nothing stored locally: no archive files, no temporaries left.
        let local = FileManager.default.enumerator(atPath: URL(fileURLWithPath: data).appendingPathComponent("blobs").path)?
            .compactMap { $0 as? String }.filter { $0.hasSuffix(".zip") || $0.hasPrefix("tmp/") } ?? []
        #expect(local.isEmpty, "\(local)")
    }

    @Test func aWrongSecretStopsServeWithAOneLineError() async throws {
        let name = "ServeWithS3Tests.aWrongSecretStopsServeWithAOneLineError"
        guard let tools = try Self.prerequisites(name), let weed = try await Weed.start(name) else { return }
        defer { weed.stop() }
        let work = try E2E.temporaryDirectory("serve-s3-wrong")
        defer { try? FileManager.default.removeItem(at: work) }
        try await S3Client(configuration: try weed.configuration()).createBucket()
        var environment = ProcessInfo.processInfo.environment
        environment["AWS_ACCESS_KEY_ID"] = Weed.accessKey
        environment["AWS_SECRET_ACCESS_KEY"] = "definitely-wrong-secret"
        let serve = try Serve(tools.bulwark, [
            "serve", "--port", "0", "--data-dir", work.appendingPathComponent("data").path,
            "--s3-endpoint", weed.endpoint, "--s3-bucket", "bulwark-test", "--s3-path-style",
        ], environment: environment, logs: work)
        defer { serve.stop() }
        let status = try await serve.waitForExit()
        #expect(status != nil && status != 0, "\(serve.output)")
        let errors = String(decoding: try Data(contentsOf: serve.stderr), as: UTF8.self)
        #expect(errors.contains("error: the S3 bucket 'bulwark-test'"), "\(errors)")
        #expect(errors.contains("403"), "\(errors)")
        #expect(!errors.contains("definitely-wrong-secret"))
    }

    @Test(arguments: [
        (["--s3-endpoint", "http://127.0.0.1:9", "--s3-bucket", "b-1", "--s3-path-style"], false, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"),
        (["--s3-endpoint", "http://127.0.0.1:9"], true, "--s3-endpoint needs --s3-bucket"),
        (["--s3-bucket", "b-1"], true, "--s3-bucket needs --s3-endpoint"),
        (["--s3-endpoint", "http://127.0.0.1:9", "--s3-bucket", "b-1", "--s3-path-style", "--s3-downloads", "mirror"], true, "proxy or redirect"),
        (["--s3-endpoint", "http://127.0.0.1:9", "--s3-bucket", "b-1"], true, "--s3-path-style"),
        (["--s3-endpoint", "http://127.0.0.1:9", "--s3-bucket", "b-1", "--s3-path-style", "--s3-part-size", "1000"], true, "--s3-part-size"),
        (["--s3-endpoint", "http://127.0.0.1:9", "--s3-bucket", "b-1", "--s3-path-style", "--s3-redirect-expiry", "86400"], true, "--s3-redirect-expiry"),
        (["--s3-endpoint", "gopher://s3.example", "--s3-bucket", "b-1"], true, "http:// or https://"),
        (["--s3-endpoint", "http://127.0.0.1:1", "--s3-bucket", "b-1", "--s3-path-style"], true, "can't be reached"),
    ])
    func aWrongConfigurationStopsServeWithAOneLineError(_ arguments: [String], _ credentials: Bool, _ message: String) async throws {
        guard let tools = try Self.prerequisites("ServeWithS3Tests.aWrongConfigurationStopsServeWithAOneLineError") else { return }
        let work = try E2E.temporaryDirectory("serve-s3-config")
        defer { try? FileManager.default.removeItem(at: work) }
        var environment = ProcessInfo.processInfo.environment
        environment["AWS_ACCESS_KEY_ID"] = credentials ? "key" : nil
        environment["AWS_SECRET_ACCESS_KEY"] = credentials ? "secret-value" : nil
        let result = E2E.run(tools.bulwark, ["serve", "--port", "0", "--data-dir", work.appendingPathComponent("data").path] + arguments, environment: environment)
        #expect(result.status != 0)
        let lines = result.output.split(whereSeparator: \.isNewline)
        #expect(lines.count == 1 && lines[0].hasPrefix("error: ") && lines[0].contains(message), "\(result.output)")
        #expect(!result.output.contains("secret-value"))
    }
}

enum SigV4Helpers {
    static func bytes(fromHex hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var iterator = hex.utf8.makeIterator()
        while let h = iterator.next(), let l = iterator.next() {
            func value(_ c: UInt8) -> UInt8 { c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10 }
            bytes.append(value(h) << 4 | value(l))
        }
        return bytes
    }
}

