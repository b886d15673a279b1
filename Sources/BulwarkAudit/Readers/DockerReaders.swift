import Foundation

/// `Dockerfile`, `Containerfile`, `*.Dockerfile`, `Dockerfile.*`: `FROM` images on Docker Hub.
///
/// `scratch`, earlier build stages and images on other registries (ghcr.io, quay.io…) are
/// left out; `${ARG}` references are resolved from `ARG` defaults.
struct DockerfileReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool {
        fileName == "Dockerfile" || fileName == "Containerfile" || fileName.hasPrefix("Dockerfile.") || fileName.hasSuffix(".Dockerfile")
    }

    func read(_ text: String, file: String) throws -> [Dependency] {
        let joined = text.replacingOccurrences(of: "\\\r\n", with: " ").replacingOccurrences(of: "\\\n", with: " ")
        var arguments: [String: String] = [:]
        var stages = Set<String>()
        var result: [Dependency] = []
        var sawInstruction = false
        for (number, line) in Parse.lines(joined) where !line.hasPrefix("#") {
            let fields = line.split(whereSeparator: \.isWhitespace).map(String.init)
            let instruction = fields[0].uppercased()
            sawInstruction = true
            if instruction == "ARG", fields.count > 1 {
                let pair = fields[1].split(separator: "=", maxSplits: 1)
                if pair.count == 2 { arguments[String(pair[0])] = String(pair[1]).unquoted }
            }
            guard instruction == "FROM" else { continue }
            let operands = fields.dropFirst().filter { !$0.hasPrefix("--") }
            guard var image = operands.first else { throw AuditError("line \(number): FROM without an image") }
            let stage = Array(operands)
            if stage.count >= 3, stage[1].uppercased() == "AS" { stages.insert(stage[2].lowercased()) }
            for (name, value) in arguments {
                image = image.replacingOccurrences(of: "${\(name)}", with: value).replacingOccurrences(of: "$\(name)", with: value)
            }
            if image == "scratch" || stages.contains(image.lowercased()) || image.contains("$") { continue }
            if let dependency = Self.dependency(image: image, file: file) { result.append(dependency) }
        }
        guard sawInstruction else { throw AuditError("no instructions") }
        return result
    }

    /// A Docker Hub image reference as a dependency (`nil` for other registries).
    /// `node`, `library/node` and `docker.io/library/node` are all `node`.
    static func dependency(image: String, file: String) -> Dependency? {
        var reference = image
        var version: String?
        if let at = reference.firstIndex(of: "@") {
            version = String(reference[reference.index(after: at)...])
            reference = String(reference[..<at])
        }
        if let colon = reference.lastIndex(of: ":"), !reference[colon...].contains("/") {
            version = version ?? String(reference[reference.index(after: colon)...])
            reference = String(reference[..<colon])
        }
        var components = reference.split(separator: "/").map(String.init)
        guard !components.isEmpty else { return nil }
        if components.count > 1, components[0].contains(".") || components[0].contains(":") || components[0] == "localhost" {
            guard ["docker.io", "index.docker.io", "registry-1.docker.io"].contains(components[0]) else { return nil }
            components.removeFirst()
        }
        if components.count == 2, components[0] == "library" { components.removeFirst() }
        let name = components.joined(separator: "/").lowercased()
        return Dependency(registry: .dockerhub, name: name, version: version ?? "latest", file: file)
    }
}

/// Compose files (`compose.yaml`, `docker-compose.yml`, `docker-compose.*.yml`…): `services.*.image`.
struct ComposeReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool {
        guard fileName.hasSuffix(".yml") || fileName.hasSuffix(".yaml") else { return false }
        return fileName.hasPrefix("docker-compose") || fileName.hasPrefix("compose.") || fileName.hasPrefix("compose-")
    }

    func read(_ text: String, file: String) throws -> [Dependency] {
        let root = try Parse.yamlMapping(text)
        guard let services = root["services"] as? [String: Any] else { throw AuditError("no services: not a compose file") }
        return services.keys.sorted().compactMap { name in
            guard let image = Parse.string(services[name], "image"), !image.contains("$") else { return nil }
            return DockerfileReader.dependency(image: image, file: file)
        }
    }
}
