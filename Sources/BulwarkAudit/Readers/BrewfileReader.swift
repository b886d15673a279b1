import Foundation

/// `Brewfile`: `brew "name"` and `cask "name"` lines. `tap`, `mas`, `vscode`, `whalebrew`
/// and other entries are not Homebrew packages.
struct BrewfileReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool { fileName == "Brewfile" }

    func read(_ text: String, file: String) throws -> [Dependency] {
        try Parse.lines(text).compactMap { number, line in
            let keyword = String(line.prefix { $0.isLetter || $0 == "_" })
            guard keyword == "brew" || keyword == "cask" else { return nil }
            let rest = line.dropFirst(keyword.count).trimmingCharacters(in: .whitespaces)
            guard let quote = rest.first, quote == "\"" || quote == "'", let end = rest.dropFirst().firstIndex(of: quote) else {
                throw AuditError("line \(number): expected \(keyword) \"name\"")
            }
            let name = String(rest[rest.index(after: rest.startIndex)..<end])
            return Dependency(registry: .homebrew, name: keyword == "cask" ? "cask/\(name)" : name, file: file)
        }
    }
}
