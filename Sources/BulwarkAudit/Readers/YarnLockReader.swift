import Foundation

/// `yarn.lock`, classic (v1) and berry (v2+, YAML).
///
/// Berry: only `@npm:` resolutions count (`workspace:`, `patch:`, `git`, `file:`, `link:`,
/// `portal:` are not registry packages). Classic: git and file specifiers are left out.
struct YarnLockReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool { fileName == "yarn.lock" }

    func read(_ text: String, file: String) throws -> [Dependency] {
        text.contains("__metadata:") ? try readBerry(text, file: file) : try readClassic(text, file: file)
    }

    private func readBerry(_ text: String, file: String) throws -> [Dependency] {
        let root = try Parse.yamlMapping(text)
        return root.keys.sorted().compactMap { key in
            guard key != "__metadata", let entry = root[key] as? [String: Any], let resolution = entry["resolution"] as? String,
                let marker = resolution.range(of: "@npm:", options: .backwards), marker.lowerBound > resolution.startIndex
            else { return nil }
            if resolution.contains("@patch:") { return nil }
            let name = String(resolution[..<marker.lowerBound])
            let version = (entry["version"] as? String) ?? String(resolution[marker.upperBound...])
            return Dependency(registry: .npm, name: name, version: version, file: file)
        }
    }

    private func readClassic(_ text: String, file: String) throws -> [Dependency] {
        var result: [Dependency] = []
        var current: (specifier: String, line: Int)?
        var version: String?
        var resolved: String?
        func finish() throws {
            guard let entry = current else { return }
            guard let version else { throw AuditError("line \(entry.line): entry \(entry.specifier) has no version") }
            let first = entry.specifier.split(separator: ",").first.map { String($0).unquoted } ?? entry.specifier
            guard let at = first.dropFirst().firstIndex(of: "@") else {
                throw AuditError("line \(entry.line): cannot read the package name in \(first)")
            }
            var name = String(first[..<at])
            var range = String(first[first.index(after: at)...])
            if range.hasPrefix("npm:") {
                // An alias: "string-width-cjs@npm:string-width@^4.2.0" installs string-width.
                let target = range.dropFirst(4)
                if let targetAt = target.dropFirst().lastIndex(of: "@") {
                    name = String(target[..<targetAt])
                    range = String(target[target.index(after: targetAt)...])
                } else {
                    name = String(target)
                    range = ""
                }
            }
            let isLocal = ["file:", "link:", "git", "github:", "http:", "https:"].contains(where: range.hasPrefix) || range.contains("/")
            let fromGit = resolved.map { $0.hasPrefix("git") || $0.contains("codeload.github.com") || $0.hasPrefix("file:") } ?? false
            if !isLocal && !fromGit { result.append(Dependency(registry: .npm, name: name, version: version, file: file)) }
        }
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if !line.hasPrefix(" ") {
                try finish()
                guard trimmed.hasSuffix(":") else { throw AuditError("line \(number + 1): expected \"specifier:\"") }
                current = (String(trimmed.dropLast()), number + 1)
                version = nil
                resolved = nil
            } else if line.hasPrefix("  ") && !line.hasPrefix("   ") {
                guard current != nil else { throw AuditError("line \(number + 1): indented line outside an entry") }
                if trimmed.hasPrefix("version ") { version = String(trimmed.dropFirst(8)).unquoted }
                if trimmed.hasPrefix("resolved ") { resolved = String(trimmed.dropFirst(9)).unquoted }
            }
        }
        try finish()
        return result
    }
}
