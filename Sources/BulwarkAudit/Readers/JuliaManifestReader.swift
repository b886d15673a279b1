import Foundation

/// Julia `Manifest.toml` (and `Manifest-v1.x.toml`), formats 1 and 2: registered packages.
/// Standard libraries (no version and no tree hash), `repo-url` (git) and `path` (developed)
/// entries are left out.
struct JuliaManifestReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool {
        fileName == "Manifest.toml" || (fileName.hasPrefix("Manifest-v") && fileName.hasSuffix(".toml")) || fileName == "JuliaManifest.toml"
    }

    func read(_ text: String, file: String) throws -> [Dependency] {
        let root = try Parse.toml(text)
        let deps = (root["manifest_format"] != nil ? root["deps"] as? [String: Any] : root) ?? [:]
        var result: [Dependency] = []
        for name in deps.keys.sorted() {
            guard let entries = deps[name] as? [[String: Any]] else {
                if root["manifest_format"] == nil && ["julia_version", "project_hash"].contains(name) { continue }
                throw AuditError("\(name) is not an array of tables")
            }
            for entry in entries {
                guard let version = entry["version"] as? String, entry["git-tree-sha1"] != nil,
                    entry["repo-url"] == nil, entry["path"] == nil
                else { continue }
                result.append(Dependency(registry: .julia, name: name, version: version, file: file))
            }
        }
        return result
    }
}
