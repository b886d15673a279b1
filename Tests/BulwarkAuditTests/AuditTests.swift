import BulwarkAudit
import Foundation
import Testing

/// The whole audit over a tree with all 20 ecosystems: totals, the JSON schema, --fail-on, the other formats.
@Suite struct AuditTests {
    static let expectedByRegistry: [RegistryID: Int] = [
        .npm: 19, .pypi: 18, .swift: 9, .maven: 7, .dockerhub: 6, .clojars: 6, .condaForge: 6, .cran: 5, .go: 5,
        .rubygems: 5, .nuget: 5, .spack: 5, .cocoapods: 4, .hackage: 4, .githubActions: 4, .homebrew: 4,
        .packagist: 3, .crates: 3, .hex: 3, .julia: 2,
    ]

    @Test func theProjectTreeHasEveryEcosystemWithExactCounts() throws {
        let report = try Fixtures.audit("project")
        #expect(report.errors.isEmpty, "\(report.errors)")
        #expect(report.total == 123)
        let counts = Dictionary(uniqueKeysWithValues: report.byRegistry.map { ($0.id, $0.count) })
        #expect(counts == Self.expectedByRegistry)
        #expect(Set(counts.keys) == Set(RegistryID.allCases))
        // Worst first: the registries without 2FA lead, those that require it come last.
        #expect(report.byRegistry.first?.twoFactor == TwoFactorStatus.none)
        #expect(report.byRegistry.last?.twoFactor == .required)
        #expect(report.verdict == "123 dependencies: 48% from registries that require 2FA for every publisher, 11% from registries with no 2FA (CRAN: 5, CocoaPods: 4, Hackage: 4)")
    }

    @Test func duplicatesAcrossFilesCountOnceAndRangesGiveWayToPins() throws {
        let report = try Fixtures.audit("project")
        let keys = report.dependencies.map { "\($0.dependency.registry.rawValue) \($0.dependency.name.lowercased())@\($0.dependency.version ?? "")" }
        #expect(keys.count == Set(keys).count)
        // react 18.2.0 is in four npm lockfiles; lodash has two versions.
        #expect(report.dependencies.filter { $0.dependency.name == "react" }.count == 1)
        #expect(report.dependencies.filter { $0.dependency.name == "lodash" }.count == 2)
        // dplyr is pinned in renv.lock, so DESCRIPTION's "dplyr (>= 1.1.0)" is not a second dependency.
        #expect(report.dependencies.filter { $0.dependency.name == "dplyr" }.map(\.dependency.version) == ["1.1.4"])
    }

    @Test func theJSONReportHasTheDocumentedSchema() throws {
        let report = try Fixtures.audit("project")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["dependencies", "summary", "errors"])
        let dependencies = try #require(object["dependencies"] as? [[String: Any]])
        #expect(dependencies.count == 123)
        for dependency in dependencies {
            #expect(["registry", "name", "version", "file", "twoFactor"].allSatisfy { dependency.keys.contains($0) })
            #expect(RegistryID(rawValue: dependency["registry"] as? String ?? "") != nil)
            #expect(TwoFactorStatus(rawValue: dependency["twoFactor"] as? String ?? "") != nil)
        }
        let cobra = try #require(dependencies.first { $0["name"] as? String == "github.com/spf13/cobra" })
        #expect(cobra["registry"] as? String == "go" && cobra["version"] as? String == "v1.8.0")
        // Go has no publisher accounts, but a module on github.com has GitHub's posture.
        #expect(cobra["file"] as? String == "tools/go.sum" && cobra["twoFactor"] as? String == "required")
        #expect(cobra["location"] as? String == "https://github.com/spf13/cobra")
        let net = try #require(dependencies.first { $0["name"] as? String == "golang.org/x/net" })
        #expect(net["twoFactor"] as? String == "not-applicable")
        let jq = try #require(dependencies.first { $0["name"] as? String == "jq" })
        #expect(jq["version"] is NSNull)
        let summary = try #require(object["summary"] as? [String: Any])
        #expect(summary["total"] as? Int == 123)
        let byRegistry = try #require(summary["byRegistry"] as? [String: [String: Any]])
        #expect(byRegistry.count == 20)
        #expect(byRegistry["npm"]?["count"] as? Int == 19 && byRegistry["npm"]?["twoFactor"] as? String == "required")
        #expect(byRegistry["hex"]?["originalTwoFactor"] as? String == "optional")
        #expect((object["errors"] as? [Any])?.isEmpty == true)
    }

    @Test func failOnCountsDependenciesAtOrBelowTheLevel() throws {
        let report = try Fixtures.audit("project")
        #expect(report.failing(at: .never).isEmpty)
        #expect(report.failing(at: .none).count == 13)  // CRAN 5, CocoaPods 4, Hackage 4
        #expect(report.failing(at: .optional).count == 26)  // + Maven Central 7, Clojars 6
        #expect(report.failing(at: .available).count == 40)  // + Docker Hub 6, RubyGems 5, Packagist 3
        let npmOnly = try Fixtures.audit("project/web")
        #expect(npmOnly.failing(at: .available).isEmpty)
    }

    @Test func sarifHasOneResultPerDependencyAtOrBelowTheThreshold() throws {
        let report = try Fixtures.audit("project")
        let sarif = try #require(try JSONSerialization.jsonObject(with: Data(report.sarif(failOn: .optional).utf8)) as? [String: Any])
        #expect(sarif["version"] as? String == "2.1.0")
        let run = try #require((sarif["runs"] as? [[String: Any]])?.first)
        let results = try #require(run["results"] as? [[String: Any]])
        #expect(results.count == 26)
        let ruleIds = Set(results.compactMap { $0["ruleId"] as? String })
        #expect(ruleIds == ["2fa-none", "2fa-optional"])
        let location = try #require((results.first?["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
        #expect((location["artifactLocation"] as? [String: Any])?["uri"] is String)
    }

    @Test func textAndMarkdown() throws {
        let report = try Fixtures.audit("project")
        let plain = report.text(colour: false, failOn: .none)
        #expect(!plain.contains("\u{1B}["))
        #expect(plain.contains(report.verdict))
        #expect(plain.contains("--fail-on none: 13 dependencies at or below \"none\""))
        #expect(plain.contains("Hex.pm") && plain.contains("changed since the overview: was 2FA optional"))
        #expect(plain.contains("Swift Package Index") && plain.contains("6 on GitHub: 2FA required"))
        #expect(plain.contains("4 on GitHub: 2FA required"))  // Go modules
        #expect(report.text(colour: true).contains("\u{1B}[31m"))
        let markdown = report.markdown()
        #expect(markdown.contains("| Registry | Dependencies | Share | 2FA | Changed since overview |"))
        #expect(markdown.contains("| npm | 19 | 15% | 2FA required | methods |"))
        #expect(AuditReport.registriesTable(Fixtures.data).split(separator: "\n").count == 20 + 2)  // title, 20 rows, legend
    }

    @Test func errorsAreCollectedAndTheAuditGoesOn() throws {
        let report = try Fixtures.audit("")
        #expect(report.total == 123)
        #expect(report.errors.count == MalformedTests.files.count)
        #expect(report.errors.allSatisfy { $0.file.hasPrefix("malformed/") })
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any])
        let errors = try #require(json["errors"] as? [[String: String]])
        #expect(errors.count == MalformedTests.files.count && errors.allSatisfy { $0["file"] != nil && $0["message"] != nil })
    }

    @Test func aMissingDirectoryIsAnError() {
        #expect(throws: AuditError.self) { try Audit.run(root: URL(fileURLWithPath: "/nonexistent-\(UUID())"), data: Fixtures.data) }
    }

    @Test func anEmptyDirectoryHasNoDependencies() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("audit-empty-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let report = try Audit.run(root: directory, data: Fixtures.data)
        #expect(report.total == 0 && report.verdict == "No registry dependencies found.")
        #expect(report.failing(at: .available).isEmpty)
    }
}
