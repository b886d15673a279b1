import Foundation

/// `package-lock.json` (lockfileVersion 1–3) and `npm-shrinkwrap.json`.
///
/// Workspace members and `link: true` entries are local packages; git, GitHub, `file:` and
/// `link:` specifiers are not from the registry. All of these are left out.
struct NPMLockReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool {
        fileName == "package-lock.json" || fileName == "npm-shrinkwrap.json"
    }

    func read(_ text: String, file: String) throws -> [Dependency] {
        let root = try Parse.jsonObject(text)
        if let packages = root["packages"] as? [String: Any] {
            return packages.keys.sorted().compactMap { key in
                guard let marker = key.range(of: "node_modules/", options: .backwards),
                    let entry = packages[key] as? [String: Any]
                else { return nil }  // "" is the root project, other keys without node_modules/ are workspaces
                if entry["link"] as? Bool == true { return nil }
                let name = (entry["name"] as? String) ?? String(key[marker.upperBound...])
                guard let version = entry["version"] as? String,
                    Self.isRegistry(version: version, resolved: entry["resolved"] as? String)
                else { return nil }
                return Dependency(registry: .npm, name: name, version: version, file: file)
            }
        }
        guard root["lockfileVersion"] != nil || root["dependencies"] != nil else {
            throw AuditError("neither \"packages\" nor \"dependencies\": not an npm lockfile")
        }
        var result: [Dependency] = []
        collectVersion1(root["dependencies"] as? [String: Any] ?? [:], file: file, into: &result)
        return result
    }

    private func collectVersion1(_ dependencies: [String: Any], file: String, into result: inout [Dependency]) {
        for name in dependencies.keys.sorted() {
            guard let entry = dependencies[name] as? [String: Any] else { continue }
            if let version = entry["version"] as? String {
                if version.hasPrefix("npm:"), let at = version.dropFirst(5).lastIndex(of: "@") {
                    // An alias: "npm:real-name@1.2.3".
                    let alias = version.dropFirst(4)
                    let target = String(alias[alias.index(after: at)...])
                    result.append(Dependency(registry: .npm, name: String(alias[..<at]), version: target, file: file))
                } else if Self.isRegistry(version: version, resolved: entry["resolved"] as? String) {
                    result.append(Dependency(registry: .npm, name: name, version: version, file: file))
                }
            }
            if let nested = entry["dependencies"] as? [String: Any] { collectVersion1(nested, file: file, into: &result) }
        }
    }

    static func isRegistry(version: String, resolved: String?) -> Bool {
        let local = ["file:", "link:", "git", "github:", "gitlab:", "bitbucket:", "http:", "https:", "workspace:"]
        if local.contains(where: version.hasPrefix) || version.contains("/") { return false }
        if let resolved, resolved.hasPrefix("git") || resolved.hasPrefix("file:") || resolved.contains("codeload.github.com") {
            return false
        }
        return true
    }
}
