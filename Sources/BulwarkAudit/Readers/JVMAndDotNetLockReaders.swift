import Foundation

/// `gradle.lockfile`, `buildscript-gradle.lockfile` (and `*.lockfile` in `gradle/dependency-locks/`):
/// `group:artifact:version=configurations` lines.
struct GradleLockReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool {
        fileName.hasSuffix("gradle.lockfile") || (fileName.hasSuffix(".lockfile") && path.contains("gradle/dependency-locks/"))
    }

    func read(_ text: String, file: String) throws -> [Dependency] {
        try Parse.lines(text).compactMap { number, line in
            if line.hasPrefix("empty=") { return nil }
            let coordinates = line.split(separator: "=", maxSplits: 1).first.map(String.init) ?? line
            let parts = coordinates.split(separator: ":")
            guard parts.count == 3 else { throw AuditError("line \(number): expected \"group:artifact:version=configurations\"") }
            return Dependency(registry: .maven, name: "\(parts[0]):\(parts[1])", version: String(parts[2]), file: file)
        }
    }
}

/// NuGet `packages.lock.json`: every target framework's packages (`Project` entries are local).
struct NuGetLockReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool { fileName == "packages.lock.json" }

    func read(_ text: String, file: String) throws -> [Dependency] {
        let root = try Parse.jsonObject(text)
        guard let frameworks = root["dependencies"] as? [String: Any] else {
            throw AuditError("no \"dependencies\": not a packages.lock.json")
        }
        var result: [Dependency] = []
        for framework in frameworks.keys.sorted() {
            guard let packages = frameworks[framework] as? [String: Any] else { throw AuditError("\(framework) is not an object") }
            for name in packages.keys.sorted() {
                let entry = packages[name] as? [String: Any] ?? [:]
                if entry["type"] as? String == "Project" { continue }
                result.append(Dependency(registry: .nuget, name: name, version: entry["resolved"] as? String, file: file))
            }
        }
        return result
    }
}
