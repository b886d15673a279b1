import BulwarkTestSupport
import Foundation
import Testing

/// `bulwark admin backup` while the server runs and publishes, then `bulwark admin restore` into a
/// new directory and `bulwark serve` from it: every release answers with byte-identical archives
/// and metadata.
@Suite(.serialized) struct BackupRestoreEndToEndTests {
    static let shouldRun = HardeningHarness.shouldRun("BackupRestoreEndToEnd", tools: ["zip"])

    @Test(.enabled(if: shouldRun, "needs zip and a built bulwark"), .timeLimit(.minutes(5)))
    func backupWhileServingThenRestoreServesIdenticalReleases() async throws {
        let harness = try HardeningHarness(tools: ["zip"])
        defer { harness.cleanUp() }
        let original = harness.dataDirectory("original")
        try await harness.admin(["seed", "--packages", "3", "--releases", "2", "--archive-size", "4096", "--scope", "seed", "--data-dir", original.path], label: "seed")
        let token = try await harness.makeToken(original)
        let server = try await harness.serve(original, ["--rate-limit-per-ip", "0"])
        defer { server.stop() }
        let port = server.port

        // Publishes through the server, and more of them while the backup runs.
        let archives = try (0..<6).map { try harness.archive(root: "ops.pkg\($0)", padding: 20_000 + 5_000 * $0) }
        for i in 0..<3 { #expect(try await rawPublish(port: port, archives[i], i, token) == 201) }
        let backup = harness.work.appendingPathComponent("backup")
        async let duringBackup: [Int] = { var codes: [Int] = []; for i in 3..<6 { codes.append(try await rawPublish(port: port, archives[i], i, token)) }; return codes }()
        let result = try await harness.admin(["backup", backup.path, "--data-dir", original.path], label: "backup")
        #expect(result.stdout.contains("backed up"), "\(result.report)")
        #expect(try await duringBackup == [201, 201, 201])

        // What the original serves, for every release in the backup.
        let releases = try await releasesIn(backup: backup, harness: harness)
        #expect(releases.count >= 6 + 3, "seeded and published before the backup: \(releases)")
        var expected: [String: ([UInt8], [UInt8])] = [:]
        for path in releases {
            let zip = try HardeningHarness.get(port, path + ".zip", accept: "application/vnd.swift.registry.v1+zip")
            let metadata = try HardeningHarness.get(port, path)
            #expect(zip.status == 200 && metadata.status == 200, "\(path)")
            expected[path] = (zip.body, metadata.body)
        }
        server.stop()

        // A backup refuses to overwrite, and restore refuses a non-empty directory.
        let again = try await harness.runner.run(harness.executable, ["admin", "backup", backup.path, "--data-dir", original.path], in: harness.work, timeout: 60, label: "backup-again")
        #expect(again.exitStatus != 0 && again.stderr.contains("not empty"), "\(again.report)")
        let onto = try await harness.runner.run(harness.executable, ["admin", "restore", backup.path, "--data-dir", original.path], in: harness.work, timeout: 60, label: "restore-onto")
        #expect(onto.exitStatus != 0 && onto.stderr.contains("not empty"), "\(onto.report)")

        // Restore into a new directory and serve it.
        let restored = harness.dataDirectory("restored")
        let restore = try await harness.admin(["restore", backup.path, "--data-dir", restored.path], label: "restore")
        #expect(restore.stdout.contains("restored \(releases.count) release(s)"), "\(restore.report)")
        let second = try await harness.serve(restored, label: "serve-restored")
        defer { second.stop() }
        for (path, (zip, metadata)) in expected {
            let servedZip = try HardeningHarness.get(second.port, path + ".zip", accept: "application/vnd.swift.registry.v1+zip")
            let servedMetadata = try HardeningHarness.get(second.port, path)
            #expect(servedZip.status == 200 && servedZip.body == zip, "\(path): archive differs after restore")
            #expect(servedMetadata.body == metadata, "\(path): metadata differs after restore")
        }
        // The token (and the account) came along too.
        let extra = try harness.archive(root: "ops.after", padding: 100)
        #expect(try await rawPublish(port: second.port, extra, 0, token, path: "/ops/after/1.0.0") == 201)
    }

    /// Every release path `/scope/name/version` recorded in the backup's database.
    func releasesIn(backup: URL, harness: HardeningHarness) async throws -> [String] {
        let query = "SELECT p.scope || '/' || p.name || '/' || r.version FROM releases r JOIN packages p ON p.key = r.package_key"
        let sqlite = findExecutable(named: "sqlite3")
        if let sqlite {
            let result = try await harness.runner.checked(sqlite, [backup.appendingPathComponent("bulwark.sqlite3").path, query], in: harness.work, label: "list")
            return result.stdout.split(separator: "\n").map { "/" + $0 }.sorted()
        }
        // Without sqlite3: what we know is there.
        return ((1...3).flatMap { p in (0..<2).map { "/seed/pkg" + String(format: "%06d", p) + "/1.\($0).0" } } + (0..<3).map { "/ops/pkg\($0)/1.0.\($0)" }).sorted()
    }
}

/// Publishes `archive` as `/ops/pkg{i}/1.0.{i}` (or `path`) over a raw socket; the status code.
func rawPublish(port: Int, _ archive: [UInt8], _ i: Int, _ token: String, path: String? = nil) async throws -> Int {
    try await onThread {
        let request = HardeningHarness.publishRequest(path: path ?? "/ops/pkg\(i)/1.0.\(i)", archive: archive, token: token)
        let connection = try RawConnection(port: port, receiveTimeout: 60)
        guard connection.send(request.head), connection.send(request.body) else { return -1 }
        return RawResponse(connection.receiveResponse().bytes)?.status ?? -1
    }
}
