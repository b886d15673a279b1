import Foundation

/// `spack.lock`: every concrete spec (one per name and version); external (system) packages are left out.
struct SpackLockReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool { fileName == "spack.lock" }

    func read(_ text: String, file: String) throws -> [Dependency] {
        let root = try Parse.jsonObject(text)
        guard let specs = root["concrete_specs"] as? [String: Any] else { throw AuditError("no \"concrete_specs\": not a spack.lock") }
        return specs.keys.sorted().compactMap { hash in
            guard let spec = specs[hash] as? [String: Any], let name = spec["name"] as? String, spec["external"] == nil else { return nil }
            return Dependency(registry: .spack, name: name, version: spec["version"] as? String, file: file)
        }
    }
}

/// `spack.yaml` (when there is no `spack.lock` beside it): the environment's `specs`.
struct SpackYamlReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool { fileName == "spack.yaml" || fileName == "spack.yml" }
    var supersededBy: [String] { ["spack.lock"] }

    func read(_ text: String, file: String) throws -> [Dependency] {
        let root = try Parse.yamlMapping(text)
        guard let spack = root["spack"] as? [String: Any] else { throw AuditError("no top-level spack: mapping") }
        let specs = spack["specs"] as? [Any] ?? []
        return specs.compactMap { item in
            guard let spec = item as? String else { return nil }
            let name = String(spec.prefix { !"@ +~%^".contains($0) })
            guard !name.isEmpty else { return nil }
            var version: String?
            if let at = spec.firstIndex(of: "@") {
                version = String(spec[spec.index(after: at)...].prefix { !" +~%^".contains($0) })
            }
            return Dependency(registry: .spack, name: name, version: version, file: file)
        }
    }
}
