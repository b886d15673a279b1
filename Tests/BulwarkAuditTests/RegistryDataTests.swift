import BulwarkAudit
import Foundation
import Testing

/// The bundled registries.json: complete, sourced, dated, and with the overview's values where they changed.
@Suite struct RegistryDataTests {
    let data = Fixtures.data

    @Test func decodesWithAllTwentyRegistries() {
        #expect(data.schemaVersion == 1)
        #expect(!data.dataVersion.isEmpty && !data.asOf.isEmpty)
        #expect(data.registries.count == 20)
        #expect(Set(data.registries.map(\.id)) == Set(RegistryID.allCases))
        #expect(Set(data.registries.map(\.id.rawValue)) == [
            "npm", "go", "dockerhub", "nuget", "pypi", "maven", "packagist", "crates", "rubygems", "cocoapods",
            "github-actions", "cran", "clojars", "conda-forge", "hex", "hackage", "julia", "swift", "spack", "homebrew",
        ])
    }

    @Test func everyClaimHasASourceAndADate() {
        func check(_ sources: [String], _ asOf: String, _ what: String) {
            #expect(!sources.isEmpty, "\(what) has no source")
            #expect(sources.allSatisfy { $0.hasPrefix("https://") }, "\(what) has a source that is not an https URL")
            #expect(asOf.range(of: #"^\d{4}(-\d{2}){0,2}$"#, options: .regularExpression) != nil, "\(what): asOf \(asOf)")
        }
        for registry in data.registries {
            let id = registry.id.rawValue
            #expect(registry.url.hasPrefix("https://"))
            #expect(registry.packages.count > 0)
            check(registry.packages.sources, registry.packages.asOf, "\(id) package count")
            check(registry.twoFactor.sources, registry.twoFactor.asOf, "\(id) 2FA")
            if let original = registry.twoFactor.original { check(original.sources, original.asOf, "\(id) original 2FA") }
            #expect(!registry.notes.isEmpty, "\(id) has no notes")
            for note in registry.notes { check(note.sources, note.asOf, "\(id) note") }
        }
        for (host, posture) in data.hosts { check(posture.sources, posture.asOf, host) }
    }

    @Test func changesSinceTheOverviewKeepTheOriginalValue() throws {
        let hex = try #require(data.registry(.hex))
        #expect(hex.twoFactor.status == .required)
        #expect(hex.twoFactor.original?.status == .optional)
        let maven = try #require(data.registry(.maven))
        #expect(maven.twoFactor.original?.status == .unknown)
        #expect(maven.twoFactor.verified == false)
        let npm = try #require(data.registry(.npm))
        #expect(npm.twoFactor.status == .required && npm.twoFactor.original?.methods == ["WebAuthn", "TOTP"])
        #expect(data.registry(.nuget)?.twoFactor.mandatory?.contains("2022-03-08") == true)
        #expect(data.registry(.cocoapods)?.notes.contains { $0.text.contains("2026-12-02") } == true)
        #expect(data.registry(.rubygems)?.twoFactor.methods.contains { $0.contains("passkeys") } == true)
        // Unchanged claims carry no original.
        #expect(data.registry(.pypi)?.twoFactor.original == nil)
        #expect(data.registry(.cran)?.twoFactor.status == TwoFactorStatus.none)
    }

    @Test func statusesAreOrderedWorstFirst() {
        let order: [TwoFactorStatus] = [.none, .optional, .available, .indirect, .notApplicable, .required]
        #expect(order == order.sorted())
        #expect(TwoFactorStatus.unknown < .none)
    }

    @Test func githubIsAKnownHostForSwiftPackages() {
        #expect(data.hosts["github.com"]?.twoFactor == .required)
    }
}
