import Foundation

/// `go.mod`: `require` lines (single and blocks). Modules replaced by a local path are left out.
struct GoModReader: DependencyReader {
    static let directives: Set<String> = ["require", "replace", "exclude", "retract", "module", "go", "toolchain", "godebug", "tool", "ignore"]

    func handles(path: String, fileName: String) -> Bool { fileName == "go.mod" }

    func read(_ text: String, file: String) throws -> [Dependency] {
        var requires: [(String, String)] = []
        var localReplacements = Set<String>()
        var block: String?
        var sawModule = false
        for (number, line) in Parse.lines(text, comment: nil) {
            let code = line.components(separatedBy: "//").first!.trimmingCharacters(in: .whitespaces)
            if code.isEmpty { continue }
            if let current = block {
                if code == ")" { block = nil; continue }
                try handle(directive: current, code, line: number, requires: &requires, local: &localReplacements)
                continue
            }
            let parts = code.split(separator: " ", maxSplits: 1).map(String.init)
            let keyword = parts[0]
            if keyword == "module" { sawModule = true }
            guard Self.directives.contains(keyword) else {
                throw AuditError("line \(number): unknown directive \"\(keyword)\"")
            }
            guard parts.count == 2 else { throw AuditError("line \(number): \(keyword) without arguments") }
            if parts[1] == "(" { block = keyword; continue }
            try handle(directive: keyword, parts[1], line: number, requires: &requires, local: &localReplacements)
        }
        guard sawModule else { throw AuditError("no module directive") }
        if block != nil { throw AuditError("unterminated \"(\" block") }
        return requires.filter { !localReplacements.contains($0.0) }.map {
            Dependency(registry: .go, name: $0.0, version: $0.1, file: file, location: Self.location(of: $0.0))
        }
    }

    /// Where a module's code lives: its path as an https URL (`github.com/gin-gonic/gin`), so
    /// that the code host's posture applies. The proxy only caches what the host serves.
    static func location(of module: String) -> String { "https://" + module }

    private func handle(
        directive: String, _ arguments: String, line: Int, requires: inout [(String, String)], local: inout Set<String>
    ) throws {
        let fields = arguments.split(whereSeparator: \.isWhitespace).map { String($0).unquoted }
        switch directive {
        case "require":
            guard fields.count == 2 else { throw AuditError("line \(line): expected \"module version\"") }
            requires.append((fields[0], fields[1]))
        case "replace":
            guard let arrow = fields.firstIndex(of: "=>"), arrow + 1 < fields.count else {
                throw AuditError("line \(line): replace without =>")
            }
            let target = fields[arrow + 1]
            if target.hasPrefix(".") || target.hasPrefix("/") { local.insert(fields[0]) }
        default:
            break
        }
    }
}

/// `go.sum` (only when there is no `go.mod` beside it): one dependency per module version;
/// `/go.mod`-only hashes are left out.
struct GoSumReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool { fileName == "go.sum" }
    var supersededBy: [String] { ["go.mod"] }

    func read(_ text: String, file: String) throws -> [Dependency] {
        try Parse.lines(text, comment: nil).compactMap { number, line in
            let fields = line.split(separator: " ")
            guard fields.count == 3, fields[2].hasPrefix("h1:") else {
                throw AuditError("line \(number): expected \"module version h1:hash\"")
            }
            if fields[1].hasSuffix("/go.mod") { return nil }
            let module = String(fields[0])
            return Dependency(registry: .go, name: module, version: String(fields[1]), file: file, location: GoModReader.location(of: module))
        }
    }
}
