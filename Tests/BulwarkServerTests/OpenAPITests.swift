import BulwarkServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct OpenAPITests {
    func document() async throws -> (TestRegistry, [String: Any]) {
        let registry = try await TestRegistry()
        let document = try await registry.test { client async throws -> [String: Any] in
            let response = try await client.execute(uri: "/api/v1/openapi.json", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let object = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
            return try #require(object as? [String: Any])
        }
        return (registry, document)
    }

    @Test func isOpenAPI31JSON() async throws {
        let (_, document) = try await document()
        #expect((document["openapi"] as? String)?.hasPrefix("3.1") == true)
        let info = try #require(document["info"] as? [String: Any])
        #expect(info["title"] as? String == "Bulwark")
        #expect(info["version"] is String)
    }

    /// Every `/api/v1` route the router registers is documented, with the same methods, and
    /// nothing documented under `/api/v1` is missing from the router.
    @Test func documentsEveryRegisteredAPIRoute() async throws {
        let (registry, document) = try await document()
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let router = buildRouter(configuration: registry.configuration, storage: registry.storage)
        var registered: Set<String> = []
        for route in router.routes {
            let path = "\(route.path)"
            guard path.hasPrefix("/api/v1") || path.hasPrefix("api/v1") else { continue }
            let normalised = "/" + path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            registered.insert("\(route.method.rawValue.lowercased()) \(normalised)")
        }
        #expect(registered.count >= 20, "\(registered.sorted())")
        var documented: Set<String> = []
        for (path, operations) in paths where path.hasPrefix("/api/v1") {
            for method in operations.keys where ["get", "post", "put", "delete", "patch"].contains(method) {
                documented.insert("\(method) \(path)")
            }
        }
        #expect(registered.subtracting(documented).isEmpty, "undocumented: \(registered.subtracting(documented).sorted())")
        #expect(documented.subtracting(registered).isEmpty, "documented but not routed: \(documented.subtracting(registered).sorted())")
    }

    @Test func describesProblemDetailsAndStepUp() async throws {
        let (_, document) = try await document()
        let components = try #require(document["components"] as? [String: Any])
        let schemas = try #require(components["schemas"] as? [String: Any])
        let problem = try #require(schemas["Problem"] as? [String: Any])
        #expect(Set(problem["required"] as? [String] ?? []) == ["type", "title", "status", "detail"])
        let responses = try #require(components["responses"] as? [String: [String: Any]])
        let content = try #require(responses["Problem"]?["content"] as? [String: Any])
        #expect(content["application/problem+json"] != nil)
        #expect("\(responses["StepUpRequired"] ?? [:])".contains("step-up-required"))
        // Every $ref points at something that exists.
        let text = String(decoding: try JSONSerialization.data(withJSONObject: document), as: UTF8.self)
        let refs = text.components(separatedBy: "\"$ref\":\"").dropFirst().map { $0.prefix { $0 != "\"" } }
        #expect(!refs.isEmpty)
        for ref in refs {
            let parts = ref.replacingOccurrences(of: "\\/", with: "/").split(separator: "/").dropFirst()
            var node: Any? = document
            for part in parts { node = (node as? [String: Any])?[String(part)] }
            #expect(node != nil, "dangling $ref \(ref)")
        }
        // The Swift registry's publish endpoint is there too.
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        #expect(paths["/{scope}/{name}/{version}"]?["put"] != nil)
    }
}
