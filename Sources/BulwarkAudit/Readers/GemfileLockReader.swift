import Foundation

/// `Gemfile.lock`: the specs of `GEM` sections (rubygems.org or another gem server).
/// `GIT` and `PATH` sections are left out; nested lines (a gem's own dependencies) are not counted twice.
struct GemfileLockReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool { fileName == "Gemfile.lock" || fileName == "gems.locked" }

    func read(_ text: String, file: String) throws -> [Dependency] {
        var result: [Dependency] = []
        var section = ""
        var sawSection = false
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw).replacingOccurrences(of: "\r", with: "")
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            if !line.hasPrefix(" ") {
                section = line.trimmingCharacters(in: .whitespaces)
                sawSection = true
                continue
            }
            guard section == "GEM", line.hasPrefix("    "), !line.hasPrefix("     ") else { continue }
            let spec = line.trimmingCharacters(in: .whitespaces)
            guard let open = spec.firstIndex(of: "("), spec.hasSuffix(")") else {
                throw AuditError("line \(number + 1): expected \"name (version)\" in GEM specs")
            }
            let name = spec[..<open].trimmingCharacters(in: .whitespaces)
            let version = String(spec[spec.index(after: open)..<spec.index(before: spec.endIndex)])
            result.append(Dependency(registry: .rubygems, name: name, version: version, file: file))
        }
        guard sawSection else { throw AuditError("no GEM, GIT or PATH section: not a Gemfile.lock") }
        return result
    }
}
