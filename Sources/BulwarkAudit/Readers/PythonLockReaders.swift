import Foundation

/// `poetry.lock`: `[[package]]` entries; git, directory, file and url sources are left out
/// (a `legacy` source is a package index and counts).
struct PoetryLockReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool { fileName == "poetry.lock" }

    func read(_ text: String, file: String) throws -> [Dependency] {
        let root = try Parse.toml(text)
        guard let packages = root["package"] as? [[String: Any]] else {
            if root["metadata"] != nil { return [] }
            throw AuditError("no [[package]] entries and no [metadata]")
        }
        return try packages.compactMap { package in
            guard let name = package["name"] as? String else { throw AuditError("a [[package]] has no name") }
            if let type = Parse.string(package["source"], "type"), type != "legacy" { return nil }
            return Dependency(registry: .pypi, name: RequirementsReader.normalize(name), version: package["version"] as? String, file: file)
        }
    }
}

/// `Pipfile.lock`: the `default` and `develop` sections; git, path and file entries are left out.
struct PipfileLockReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool { fileName == "Pipfile.lock" }

    func read(_ text: String, file: String) throws -> [Dependency] {
        let root = try Parse.jsonObject(text)
        guard root["_meta"] != nil || root["default"] != nil else { throw AuditError("no \"_meta\" or \"default\": not a Pipfile.lock") }
        var result: [Dependency] = []
        for section in ["default", "develop"] {
            let entries = root[section] as? [String: Any] ?? [:]
            for name in entries.keys.sorted() {
                let entry = entries[name] as? [String: Any] ?? [:]
                if entry["git"] != nil || entry["path"] != nil || entry["file"] != nil { continue }
                let version = (entry["version"] as? String).map { $0.hasPrefix("==") ? String($0.dropFirst(2)) : $0 }
                result.append(Dependency(registry: .pypi, name: RequirementsReader.normalize(name), version: version, file: file))
            }
        }
        return result
    }
}

/// `uv.lock`: `[[package]]` entries whose source is a registry (git, path, directory,
/// editable and virtual sources, such as the project itself, are left out).
struct UVLockReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool { fileName == "uv.lock" }

    func read(_ text: String, file: String) throws -> [Dependency] {
        let root = try Parse.toml(text)
        guard root["version"] != nil else { throw AuditError("missing version: not a uv.lock") }
        let packages = root["package"] as? [[String: Any]] ?? []
        return packages.compactMap { package in
            guard let name = package["name"] as? String, let source = package["source"] as? [String: Any], source["registry"] != nil else {
                return nil
            }
            return Dependency(registry: .pypi, name: RequirementsReader.normalize(name), version: package["version"] as? String, file: file)
        }
    }
}

/// `pylock.toml` and `pylock.*.toml` (PEP 751): `[[packages]]` without `vcs`, `directory` or `archive`.
struct PylockReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool {
        fileName == "pylock.toml" || (fileName.hasPrefix("pylock.") && fileName.hasSuffix(".toml"))
    }

    func read(_ text: String, file: String) throws -> [Dependency] {
        let root = try Parse.toml(text)
        guard root["lock-version"] != nil else { throw AuditError("missing lock-version: not a pylock.toml") }
        let packages = root["packages"] as? [[String: Any]] ?? []
        return try packages.compactMap { package in
            guard let name = package["name"] as? String else { throw AuditError("a [[packages]] entry has no name") }
            if package["vcs"] != nil || package["directory"] != nil || package["archive"] != nil { return nil }
            return Dependency(registry: .pypi, name: RequirementsReader.normalize(name), version: package["version"] as? String, file: file)
        }
    }
}
