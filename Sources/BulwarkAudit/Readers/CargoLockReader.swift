import Foundation

/// `Cargo.lock`: packages from crates.io (`registry+…crates.io-index` or `sparse+https://index.crates.io/`).
/// Workspace members (no source), git and other registries are left out.
struct CargoLockReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool { fileName == "Cargo.lock" }

    func read(_ text: String, file: String) throws -> [Dependency] {
        let root = try Parse.toml(text)
        guard let packages = root["package"] as? [[String: Any]] else { throw AuditError("no [[package]] entries") }
        return try packages.compactMap { package in
            guard let name = package["name"] as? String else { throw AuditError("a [[package]] has no name") }
            guard let source = package["source"] as? String,
                source.contains("github.com/rust-lang/crates.io-index") || source.contains("index.crates.io")
            else { return nil }
            return Dependency(registry: .crates, name: name, version: package["version"] as? String, file: file)
        }
    }
}
