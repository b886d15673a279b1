import Foundation

/// `pnpm-lock.yaml`, lockfile versions 5 (`/name/1.0.0_peer`), 6 (`/name@1.0.0(peer)`) and 9 (`name@1.0.0`).
///
/// Packages resolved from git or tarball URLs, and `file:`/`link:` entries, are left out.
struct PNPMLockReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool { fileName == "pnpm-lock.yaml" }

    func read(_ text: String, file: String) throws -> [Dependency] {
        let root = try Parse.yamlMapping(text)
        guard let lockfileVersion = root["lockfileVersion"] as? String else { throw AuditError("missing lockfileVersion") }
        let slashForm = (Int(lockfileVersion.prefix { $0 != "." }) ?? 9) < 6
        let packages = root["packages"] as? [String: Any] ?? [:]
        return packages.keys.sorted().compactMap { key in
            let entry = packages[key] as? [String: Any] ?? [:]
            // Tarball URLs, git repositories and directories are not the registry.
            if let resolution = entry["resolution"] as? [String: Any], ["tarball", "repo", "directory"].contains(where: { resolution[$0] != nil }) {
                return nil
            }
            var spec = key.hasPrefix("/") ? String(key.dropFirst()) : key
            if spec.contains("file:") || spec.contains("link:") || spec.hasPrefix("github.com/") || spec.contains("://") { return nil }
            if let parenthesis = spec.firstIndex(of: "(") { spec = String(spec[..<parenthesis]) }
            let name: String
            var version: String
            if slashForm {
                guard let slash = spec.lastIndex(of: "/") else { return nil }
                name = String(spec[..<slash])
                version = String(spec[spec.index(after: slash)...])
                if let underscore = version.firstIndex(of: "_") { version = String(version[..<underscore]) }
            } else {
                guard let at = spec.dropFirst().lastIndex(of: "@") else { return nil }
                name = String(spec[..<at])
                version = String(spec[spec.index(after: at)...])
            }
            let realName = (entry["name"] as? String) ?? name
            return Dependency(registry: .npm, name: realName, version: (entry["version"] as? String) ?? version, file: file)
        }
    }
}
