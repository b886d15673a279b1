import Foundation

/// `renv.lock`: packages whose `Source` is `Repository` (CRAN and its mirrors such as PPM).
/// GitHub, Bioconductor and local packages are left out.
struct RenvLockReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool { fileName == "renv.lock" }

    func read(_ text: String, file: String) throws -> [Dependency] {
        let root = try Parse.jsonObject(text)
        guard let packages = root["Packages"] as? [String: Any] else { throw AuditError("no \"Packages\": not a renv.lock") }
        return packages.keys.sorted().compactMap { key in
            guard let entry = packages[key] as? [String: Any], entry["Source"] as? String == "Repository" else { return nil }
            if let repository = entry["Repository"] as? String, repository.lowercased().contains("bioc") { return nil }
            return Dependency(registry: .cran, name: (entry["Package"] as? String) ?? key, version: entry["Version"] as? String, file: file)
        }
    }
}

/// An R package's `DESCRIPTION` (when there is no `renv.lock` beside it): `Depends`, `Imports`,
/// `LinkingTo` and `Suggests`. R itself, base packages and packages listed in `Remotes` are left out.
struct DescriptionReader: DependencyReader {
    static let basePackages: Set<String> = [
        "R", "base", "compiler", "datasets", "graphics", "grDevices", "grid", "methods", "parallel", "splines",
        "stats", "stats4", "tcltk", "tools", "utils",
    ]

    func handles(path: String, fileName: String) -> Bool { fileName == "DESCRIPTION" }
    var supersededBy: [String] { ["renv.lock"] }

    func read(_ text: String, file: String) throws -> [Dependency] {
        var fields: [String: String] = [:]
        var current: String?
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw)
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            if line.first?.isWhitespace == true {
                guard let current else { throw AuditError("line \(index + 1): continuation line before any field") }
                fields[current, default: ""] += " " + line.trimmingCharacters(in: .whitespaces)
            } else {
                guard let colon = line.firstIndex(of: ":") else { throw AuditError("line \(index + 1): expected \"Field: value\"") }
                current = String(line[..<colon])
                fields[current!] = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            }
        }
        guard fields["Package"] != nil else { throw AuditError("no Package field: not an R DESCRIPTION") }
        let remotes = Set((fields["Remotes"] ?? "").split(separator: ",").compactMap {
            $0.split(separator: "/").last.map { String($0).split(separator: "@").first.map(String.init) ?? "" }
        }.map { $0.trimmingCharacters(in: .whitespaces) })
        var result: [Dependency] = []
        for field in ["Depends", "Imports", "LinkingTo", "Suggests"] {
            for item in (fields[field] ?? "").split(separator: ",") {
                let entry = item.trimmingCharacters(in: .whitespaces)
                let name = String(entry.prefix { $0 != " " && $0 != "(" })
                guard !name.isEmpty else { continue }
                if Self.basePackages.contains(name) || remotes.contains(name) { continue }
                var version: String?
                // The closing parenthesis must come after the opening one: `pkg) (>= 1` is malformed.
                if let open = entry.firstIndex(of: "("), let close = entry[open...].firstIndex(of: ")") {
                    version = entry[entry.index(after: open)..<close].trimmingCharacters(in: .whitespaces)
                }
                result.append(Dependency(registry: .cran, name: name, version: version, file: file))
            }
        }
        return result
    }
}
