import Foundation
import Testing

/// `bulwark audit`, run as a user runs it, over the fixture tree with all 20 ecosystems.
@Suite struct AuditCLITests {
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    var fixtures: URL { packageRoot.appendingPathComponent("Tests/BulwarkAuditTests/Fixtures") }
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-audit-cli-\(UUID().uuidString)")

    func bulwark(_ arguments: [String]) async throws -> CommandResult {
        let logs = scratch.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let runner = CommandRunner(logsDirectory: logs)
        return try await runner.run(
            try locateBulwarkExecutable(packageRoot: packageRoot), ["audit"] + arguments, in: scratch, timeout: 120, label: "bulwark-audit"
        )
    }

    @Test func jsonOverAllTwentyEcosystems() async throws {
        let result = try await bulwark([fixtures.appendingPathComponent("project").path, "--format", "json"])
        #expect(result.exitStatus == 0, "\(result.report)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.report)")
        let summary = try #require(object["summary"] as? [String: Any])
        #expect(summary["total"] as? Int == 123)
        let byRegistry = try #require(summary["byRegistry"] as? [String: [String: Any]])
        #expect(Set(byRegistry.keys) == [
            "npm", "go", "dockerhub", "nuget", "pypi", "maven", "packagist", "crates", "rubygems", "cocoapods",
            "github-actions", "cran", "clojars", "conda-forge", "hex", "hackage", "julia", "swift", "spack", "homebrew",
        ])
        #expect(byRegistry["cocoapods"]?["count"] as? Int == 4 && byRegistry["cocoapods"]?["twoFactor"] as? String == "none")
        let dependencies = try #require(object["dependencies"] as? [[String: Any]])
        #expect(dependencies.count == 123)
        #expect(dependencies.contains { $0["registry"] as? String == "crates" && $0["name"] as? String == "serde" && $0["file"] as? String == "engine/Cargo.lock" })
        #expect((object["errors"] as? [Any])?.isEmpty == true)
    }

    @Test(arguments: [("none", 1), ("optional", 1), ("available", 1)])
    func failOnFailsWhenADependencyIsAtOrBelowTheLevel(level: String, status: Int32) async throws {
        let result = try await bulwark([fixtures.appendingPathComponent("project").path, "--fail-on", level])
        #expect(result.exitStatus == status, "\(result.report)")
        #expect(result.stdout.contains("123 dependencies:"))
        // Only npm lockfiles: every dependency is from a registry that requires 2FA.
        let npm = try await bulwark([fixtures.appendingPathComponent("project/web").path, "--fail-on", level])
        #expect(npm.exitStatus == 0, "\(npm.report)")
    }

    @Test func withoutFailOnTheExitIsZeroAndTextHasNoColourWhenPiped() async throws {
        let result = try await bulwark([fixtures.appendingPathComponent("project").path])
        #expect(result.exitStatus == 0, "\(result.report)")
        #expect(!result.stdout.contains("\u{1B}["))
        #expect(result.stdout.contains("from registries with no 2FA (CRAN: 5, CocoaPods: 4, Hackage: 4)"))
    }

    @Test func malformedFilesAreReportedAndTheAuditGoesOn() async throws {
        let result = try await bulwark([fixtures.path, "--format", "json"])
        #expect(result.exitStatus == 0, "\(result.report)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.report)")
        #expect((object["errors"] as? [Any])?.count == 39)
        #expect((object["summary"] as? [String: Any])?["total"] as? Int == 123)
    }

    @Test func sarifMarkdownAndTheRegistriesTable() async throws {
        let sarif = try await bulwark([fixtures.appendingPathComponent("project").path, "--format", "sarif", "--fail-on", "none"])
        #expect(sarif.exitStatus == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(sarif.stdout.utf8)) as? [String: Any], "\(sarif.report)")
        let results = ((object["runs"] as? [[String: Any]])?.first?["results"] as? [Any]) ?? []
        #expect(object["version"] as? String == "2.1.0" && results.count == 13)
        let markdown = try await bulwark([fixtures.appendingPathComponent("project").path, "--format", "markdown"])
        #expect(markdown.exitStatus == 0 && markdown.stdout.hasPrefix("## Dependency 2FA audit"))
        let table = try await bulwark(["--registries"])
        #expect(table.exitStatus == 0 && table.stdout.contains("hex") && table.stdout.contains("changed since the overview: was optional"))
    }

    @Test func mistakesAreOneLineErrors() async throws {
        let missing = try await bulwark(["/nonexistent-\(UUID().uuidString)"])
        #expect(missing.exitStatus != 0)
        #expect(missing.stderr.hasPrefix("error: no such file or directory"), "\(missing.report)")
        #expect(missing.stderr.split(separator: "\n").count == 1)
        let format = try await bulwark([".", "--format", "xml"])
        #expect(format.exitStatus != 0 && format.stderr.contains("xml"))
    }
}
