import Foundation

/// `composer.lock`: `packages` and `packages-dev`. Path repositories (`dist.type: path`) are left out.
struct ComposerLockReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool { fileName == "composer.lock" }

    func read(_ text: String, file: String) throws -> [Dependency] {
        let root = try Parse.jsonObject(text)
        guard root["packages"] != nil else { throw AuditError("no \"packages\": not a composer.lock") }
        var result: [Dependency] = []
        for section in ["packages", "packages-dev"] {
            guard let value = root[section] else { continue }
            guard let packages = value as? [[String: Any]] else { throw AuditError("\"\(section)\" is not a list of packages") }
            for package in packages {
                guard let name = package["name"] as? String else { throw AuditError("a package in \(section) has no name") }
                if Parse.string(package["dist"], "type") == "path" { continue }
                result.append(Dependency(registry: .packagist, name: name, version: package["version"] as? String, file: file))
            }
        }
        return result
    }
}
