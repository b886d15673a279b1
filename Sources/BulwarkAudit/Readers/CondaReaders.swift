import Foundation

/// conda `environment.yml`/`environment.yaml` (when there is no `conda-lock.yml` beside it).
///
/// Conda specs count under conda-forge when the environment uses the `conda-forge` channel
/// (or the spec says `conda-forge::`); specs pinned to another channel are left out. The
/// `pip:` list counts under PyPI.
struct CondaEnvironmentReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool {
        fileName == "environment.yml" || fileName == "environment.yaml"
    }
    var supersededBy: [String] { ["conda-lock.yml", "conda-lock.yaml"] }

    func read(_ text: String, file: String) throws -> [Dependency] {
        let root = try Parse.yamlMapping(text)
        guard let dependencies = root["dependencies"] as? [Any] else { throw AuditError("no dependencies list") }
        let channels = (root["channels"] as? [Any] ?? []).compactMap { $0 as? String }
        let usesForge = channels.contains("conda-forge")
        var result: [Dependency] = []
        for item in dependencies {
            if let pip = (item as? [String: Any])?["pip"] as? [Any] {
                for case let line as String in pip where !line.hasPrefix("-") && !line.contains("://") && !line.hasPrefix(".") {
                    if let dependency = try RequirementsReader.requirement(line, file: file, line: 0) { result.append(dependency) }
                }
                continue
            }
            guard var spec = item as? String else { throw AuditError("unexpected entry in dependencies") }
            var channel: String?
            if let separator = spec.range(of: "::") {
                channel = String(spec[..<separator.lowerBound])
                spec = String(spec[separator.upperBound...])
            }
            guard channel == "conda-forge" || (channel == nil && usesForge) else { continue }
            let name = String(spec.prefix { !" =<>!~[".contains($0) })
            guard !name.isEmpty else { throw AuditError("cannot read the spec \"\(spec)\"") }
            let rest = spec.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
            var version: String?
            if rest.hasPrefix("=") && !rest.contains(",") && !rest.contains("*") && !rest.contains("|") {
                version = rest.trimmingCharacters(in: CharacterSet(charactersIn: "= ")).split(separator: "=").first.map(String.init)
            }
            result.append(Dependency(registry: .condaForge, name: name.lowercased(), version: version, file: file))
        }
        return result
    }
}

/// `conda-lock.yml`: conda packages downloaded from the conda-forge channel, and pip packages
/// (under PyPI); one dependency per name and version across platforms.
struct CondaLockReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool { fileName == "conda-lock.yml" || fileName == "conda-lock.yaml" }

    func read(_ text: String, file: String) throws -> [Dependency] {
        let root = try Parse.yamlMapping(text)
        guard let packages = root["package"] as? [Any] else { throw AuditError("no package list: not a conda-lock file") }
        return try packages.compactMap { item in
            guard let package = item as? [String: Any], let name = package["name"] as? String else {
                throw AuditError("a package entry has no name")
            }
            let version = package["version"] as? String
            switch package["manager"] as? String {
            case "pip":
                return Dependency(registry: .pypi, name: RequirementsReader.normalize(name), version: version, file: file)
            case "conda":
                guard let url = package["url"] as? String, url.contains("/conda-forge/") else { return nil }
                return Dependency(registry: .condaForge, name: name, version: version, file: file)
            default:
                return nil
            }
        }
    }
}
