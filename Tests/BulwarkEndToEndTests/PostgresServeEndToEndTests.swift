import Foundation
import Testing

/// `bulwark serve --database-url postgres://…` for real: migrations (checked, refused with
/// `--no-migrate`, applied at start-up), the operator CLI against PostgreSQL, then a publish over
/// HTTP on one instance and reads on a second instance sharing the database.
///
/// Needs `BULWARK_TEST_POSTGRES_URL` (scripts/test starts a throwaway server), curl, zip and
/// sha256sum; skipped without them, failed under `BULWARK_E2E_REQUIRED=1`.
@Suite(.serialized) struct PostgresServeEndToEndTests {
    static let databaseURL: String? = {
        guard let value = ProcessInfo.processInfo.environment["BULWARK_TEST_POSTGRES_URL"], !value.isEmpty else { return nil }
        return value
    }()
    static let required = ProcessInfo.processInfo.environment["BULWARK_E2E_REQUIRED"] == "1"
    static let missingTools = ["curl", "zip", "sha256sum"].filter { findExecutable(named: $0) == nil }
    static var missing: [String] {
        (databaseURL == nil ? ["BULWARK_TEST_POSTGRES_URL"] : []) + missingTools
    }

    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-pg-e2e-\(UUID().uuidString)")

    @Test(
        "serve --database-url: migrations, publish on one instance, read on another",
        .enabled(if: missing.isEmpty || required, "needs BULWARK_TEST_POSTGRES_URL (scripts/test sets it), curl, zip and sha256sum"),
        .timeLimit(.minutes(5))
    )
    func publishAndReadThroughPostgres() async throws {
        guard Self.missing.isEmpty, let base = Self.databaseURL else {
            Issue.record("required (BULWARK_E2E_REQUIRED=1) but missing: \(Self.missing.joined(separator: ", "))")
            return
        }
        let bulwark = try locateBulwarkExecutable(packageRoot: packageRoot)
        let logs = work.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let runner = CommandRunner(logsDirectory: logs)
        // A schema of its own: an empty database for this test.
        let schema = "e2e_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let url = base + (base.contains("?") ? "&" : "?") + "schema=\(schema)"
        let data = work.appendingPathComponent("data").path
        func cli(_ arguments: [String], label: String) async throws -> CommandResult {
            try await runner.run(bulwark, arguments + ["--database-url", url, "--data-dir", data], in: work, timeout: 60, label: label)
        }

        // Migrations: pending before anything ran; `serve --no-migrate` refuses to start.
        let check = try await cli(["admin", "migrate", "--check"], label: "migrate-check")
        #expect(check.exitStatus == 1, "\(check.report)")
        #expect(check.stdout.contains("pending migration"), "\(check.report)")
        #expect(check.stdout.contains("1 CreateReleaseTables"), "\(check.report)")
        let refused = try await cli(["serve", "--port", "0", "--no-migrate"], label: "serve-no-migrate")
        #expect(!refused.succeeded, "\(refused.report)")
        #expect(refused.stderr.contains("needs migrations"), "\(refused.report)")
        #expect(refused.stderr.contains("bulwark admin migrate"), "\(refused.report)")
        #expect(!refused.stderr.contains("Fatal error"), "\(refused.report)")

        // `serve` applies them itself.
        let first = try await ServerProcess.start(
            executable: bulwark, arguments: ["serve", "--port", "0", "--database-url", url, "--data-dir", data, "--token-cache-seconds", "0"],
            logPrefix: logs.appendingPathComponent("server-1"), readinessTimeout: 60
        )
        defer { first.stop() }
        let upToDate = try await cli(["admin", "migrate"], label: "migrate")
        #expect(upToDate.succeeded, "\(upToDate.report)")
        #expect(upToDate.stdout.contains("was up to date"), "\(upToDate.report)")
        #expect(try await cli(["admin", "migrate", "--check"], label: "migrate-check-2").succeeded)

        // The operator CLI writes to PostgreSQL while the server runs.
        let user = try await cli(["admin", "create-user", "mona", "--email", "mona@example.com"], label: "create-user")
        #expect(user.succeeded, "\(user.report)")
        let tokenResult = try await cli(["admin", "create-token", "--user", "mona", "--package", "mona.*", "--expires", "1h"], label: "create-token")
        #expect(tokenResult.succeeded, "\(tokenResult.report)")
        let token = tokenResult.stdout.split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
        try #require(token.hasPrefix("bwk_"), "\(tokenResult.report)")
        let duplicate = try await cli(["admin", "create-user", "MONA", "--email", "other@example.com"], label: "create-user-again")
        #expect(!duplicate.succeeded && duplicate.stderr.contains("is taken"), "\(duplicate.report)")

        // Publish as SwiftPM does (multipart: source-archive and metadata).
        let archive = try await makeArchive(runner: runner)
        let metadata = work.appendingPathComponent("metadata.json")
        try Data(#"{"description":"postgres e2e","repositoryURLs":["https://github.com/mona/pgpkg.git"]}"#.utf8).write(to: metadata)
        let published = try await curl([
            "-X", "PUT", "-H", "Authorization: Bearer \(token)", "-H", "Accept: application/vnd.swift.registry.v1+json",
            "-F", "source-archive=<\(archive.path);type=application/zip", "-F", "metadata=<\(metadata.path);type=application/json",
            "http://127.0.0.1:\(first.port)/mona/PgPkg/1.0.0",
        ], runner: runner, label: "publish")
        #expect(published.status == 201, "\(published.body)")
        let again = try await curl([
            "-X", "PUT", "-H", "Authorization: Bearer \(token)", "-H", "Accept: application/vnd.swift.registry.v1+json",
            "-F", "source-archive=<\(archive.path);type=application/zip", "http://127.0.0.1:\(first.port)/mona/pgpkg/1.0.0",
        ], runner: runner, label: "publish-again")
        #expect(again.status == 409, "\(again.body)")

        // A second instance on the same database (and archive directory) serves it.
        let second = try await ServerProcess.start(
            executable: bulwark, arguments: ["serve", "--port", "0", "--database-url", url, "--data-dir", data],
            logPrefix: logs.appendingPathComponent("server-2"), readinessTimeout: 60
        )
        defer { second.stop() }
        let checksum = try await runner.checked(try requireExecutable("sha256sum"), [archive.path], in: work, label: "sha256sum")
            .stdout.prefix(64)
        for server in [first, second] {
            let release = try await curl(
                ["-H", "Accept: application/vnd.swift.registry.v1+json", "http://127.0.0.1:\(server.port)/mona/pgpkg/1.0.0"],
                runner: runner, label: "metadata-\(server.port)"
            )
            #expect(release.status == 200, "\(release.body)")
            #expect(release.body.contains(String(checksum)), "\(release.body)")
            let list = try await curl(
                ["-H", "Accept: application/vnd.swift.registry.v1+json", "http://127.0.0.1:\(server.port)/mona/pgpkg"],
                runner: runner, label: "list-\(server.port)"
            )
            #expect(list.status == 200 && list.body.contains("1.0.0"), "\(list.body)")
            let download = work.appendingPathComponent("download-\(server.port).zip")
            let zip = try await curl(
                ["-H", "Accept: application/vnd.swift.registry.v1+zip", "-o", download.path, "http://127.0.0.1:\(server.port)/mona/pgpkg/1.0.0.zip"],
                runner: runner, label: "download-\(server.port)", captureBody: false
            )
            #expect(zip.status == 200)
            #expect(try Data(contentsOf: download) == Data(contentsOf: archive))
            let lookup = try await curl(
                ["-H", "Accept: application/vnd.swift.registry.v1+json", "http://127.0.0.1:\(server.port)/identifiers?url=https://github.com/mona/pgpkg.git"],
                runner: runner, label: "identifiers-\(server.port)"
            )
            #expect(lookup.status == 200 && lookup.body.contains("mona.PgPkg"), "\(lookup.body)")
        }
        try? FileManager.default.removeItem(at: work)
    }

    /// Mistakes in the database URL, or a database that isn't there, are one-line errors with a
    /// non-zero exit that never show the password. Needs no PostgreSQL.
    @Test(arguments: [
        (["admin", "migrate", "--database-url", "postgres://u@db.example/x?sslmode=prefer"], "fall back to an unencrypted connection"),
        (["admin", "migrate", "--check", "--database-url", "mysql://u@db.example/x"], "invalid database URL"),
        (["admin", "create-user", "mona", "--email", "m@example.com", "--database-url", "postgres://u@db.example/x?pool_max=0"], "pool_max"),
        (["serve", "--port", "0", "--database-url", "postgres://u:hunter2@127.0.0.1:1/x?connect_timeout=1"], "unreachable"),
        (["admin", "migrate", "--database-url", "postgres://u:hunter2@127.0.0.1:1/x?connect_timeout=1"], "unreachable"),
    ])
    func databaseMistakesAreOneLineErrors(arguments: [String], message: String) async throws {
        let bulwark = try locateBulwarkExecutable(packageRoot: packageRoot)
        let logs = work.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let result = try await CommandRunner(logsDirectory: logs).run(
            bulwark, arguments + ["--data-dir", work.appendingPathComponent("data").path], in: work, timeout: 60, label: "bulwark"
        )
        #expect(result.exitStatus != 0, "\(result.report)")
        #expect(result.stderr.contains(message), "\(result.report)")
        #expect(result.stderr.hasPrefix("error: "), "\(result.report)")
        #expect(!result.output.contains("hunter2"), "\(result.report)")
        #expect(!result.stderr.contains("Fatal error"), "\(result.report)")
        try? FileManager.default.removeItem(at: work)
    }

    /// A source archive as `swift package-registry publish` makes it: `zip -qry` of one directory.
    func makeArchive(runner: CommandRunner) async throws -> URL {
        let source = work.appendingPathComponent("src")
        let package = source.appendingPathComponent("PgPkg")
        try FileManager.default.createDirectory(at: package.appendingPathComponent("Sources/PgPkg"), withIntermediateDirectories: true)
        try Data("// swift-tools-version:5.9\nimport PackageDescription\nlet package = Package(name: \"PgPkg\", targets: [.target(name: \"PgPkg\")])\n".utf8)
            .write(to: package.appendingPathComponent("Package.swift"))
        try Data("public let pg = \"stored in PostgreSQL\"\n".utf8).write(to: package.appendingPathComponent("Sources/PgPkg/PgPkg.swift"))
        let archive = work.appendingPathComponent("PgPkg-1.0.0.zip")
        try await runner.checked(try requireExecutable("zip"), ["-qry", archive.path, "PgPkg"], in: source, label: "zip")
        return archive
    }

    /// Runs curl; returns the HTTP status and the body.
    func curl(_ arguments: [String], runner: CommandRunner, label: String, captureBody: Bool = true) async throws -> (status: Int, body: String) {
        let bodyFile = work.appendingPathComponent("\(label).body")
        var args = ["-s", "--max-time", "60", "-w", "%{http_code}"] + arguments
        if captureBody { args = ["-o", bodyFile.path] + args }
        let result = try await runner.checked(try requireExecutable("curl"), args, in: work, label: "curl-\(label)")
        let status = Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).suffix(3)) ?? 0
        let body = captureBody ? ((try? String(contentsOf: bodyFile, encoding: .utf8)) ?? "") : ""
        return (status, body)
    }
}
