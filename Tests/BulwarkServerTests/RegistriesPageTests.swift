import BulwarkServer
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite struct RegistriesPageTests {
    @Test func theTableListsEveryRegistryWorstFirstAndSortsByColumn() async throws {
        let registry = try await TestRegistry()
        try await registry.test { client async throws in
            let page = try await client.execute(uri: "/registries", method: .get)
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            let html = page.text
            #expect(html.components(separatedBy: "<tr><th scope=\"row\">").count - 1 == 20)
            // Worst first: a registry without 2FA comes before npm, which requires it.
            let cocoapods = try #require(html.range(of: "CocoaPods")), npm = try #require(html.range(of: ">npm<"))
            #expect(cocoapods.lowerBound < npm.lowerBound)
            #expect(html.contains("in the overview)"))
            let byName = try await client.execute(uri: "/registries?sort=name", method: .get).text
            let clojars = try #require(byName.range(of: "Clojars")), pypi = try #require(byName.range(of: "PyPI"))
            #expect(clojars.lowerBound < pypi.lowerBound)
        }
    }
}
