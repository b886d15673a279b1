import Foundation
import Testing

/// `bulwark audit --registry URL` against a running `bulwark serve`: the posture of registry-pinned
/// Swift packages comes from the server's public security endpoint.
@Suite(.serialized) struct AuditRegistryLookupTests {
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func registryPinnedPackagesGetTheirPostureFromTheServer() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), FileManager.default.isExecutableFile(atPath: "/usr/bin/zip") else {
            if ProcessInfo.processInfo.environment["BULWARK_E2E_REQUIRED"] == "1" { Issue.record("curl and zip are needed") }
            print("AuditRegistryLookupTests: skipped, curl or zip is missing")
            return
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-audit-lookup-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let logs = work.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let runner = CommandRunner(logsDirectory: logs)
        let bulwark = try locateBulwarkExecutable(packageRoot: packageRoot)
        let data = ["--data-dir", work.appendingPathComponent("data").path]

        try await runner.checked(bulwark, ["admin", "create-user", "mona", "--email", "mona@example.com"] + data, in: work, label: "create-user")
        let token = try await runner.checked(bulwark, ["admin", "create-token", "--user", "mona", "--package", "mona.*"] + data, in: work, label: "token")
            .stdout.split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
        let server = try await ServerProcess.start(
            executable: bulwark, arguments: ["serve", "--port", "0"] + data, logPrefix: logs.appendingPathComponent("serve"), readinessTimeout: 60)
        defer { server.stop() }
        let base = "http://127.0.0.1:\(server.port)"

        // Publish mona.LinkedList 1.0.0 the way SwiftPM does (multipart, no filename=).
        let package = work.appendingPathComponent("src/mona.LinkedList")
        try writeFiles(["Package.swift": "// swift-tools-version:5.9\nimport PackageDescription\nlet package = Package(name: \"LinkedList\")\n"], to: package)
        try await runner.checked(URL(fileURLWithPath: "/usr/bin/zip"), ["-qry", "../a.zip", "mona.LinkedList"], in: work.appendingPathComponent("src"), label: "zip")
        let publish = try await runner.checked(URL(fileURLWithPath: "/usr/bin/curl"), [
            "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "-H", "Authorization: Bearer \(token)",
            "-F", "source-archive=@\(work.appendingPathComponent("a.zip").path);type=application/zip", "\(base)/mona/LinkedList/1.0.0",
        ], in: work, label: "publish")
        #expect(publish.stdout == "201")

        // A project pinned to the registry, plus a package the registry doesn't have.
        let project = work.appendingPathComponent("project")
        try writeFiles(["Package.resolved": """
            {"pins":[{"identity":"mona.linkedlist","kind":"registry","location":"","state":{"version":"1.0.0"}},
                     {"identity":"other.thing","kind":"registry","location":"","state":{"version":"2.0.0"}}],"version":2}
            """], to: project)
        let audit = try await runner.run(bulwark, ["audit", project.path, "--registry", base, "--format", "json"], in: work, timeout: 60, label: "audit")
        #expect(audit.exitStatus == 0, "\(audit.report)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [String: Any])
        let lookup = try #require(json["bulwark"] as? [String: Any])
        let posture = try #require((lookup["packages"] as? [String: Any])?["mona.linkedlist"] as? [String: Any])
        #expect((posture["releases"] as? [String: Any])?["count"] as? Int == 1)
        #expect((posture["owners"] as? [[String: Any]])?.first?["username"] as? String == "mona")
        let errors = json["errors"] as? [[String: Any]] ?? []
        #expect(errors.contains { ($0["file"] as? String)?.contains("/other/thing/security") == true })

        let text = try await runner.run(bulwark, ["audit", project.path, "--registry", base], in: work, timeout: 60, label: "audit-text")
        #expect(text.stdout.contains("mona.linkedlist: 1 owner (0 with passkeys, 1 without a second factor)"), "\(text.report)")
    }
}
