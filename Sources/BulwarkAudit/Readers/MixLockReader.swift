import Foundation

/// `mix.lock`: `"name": {:hex, :name, "version", …}` entries; `:git` and `:path` entries are left out.
struct MixLockReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool { fileName == "mix.lock" }

    func read(_ text: String, file: String) throws -> [Dependency] {
        let code = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard code.hasPrefix("%{"), code.hasSuffix("}") else { throw AuditError("expected an Elixir map %{…}") }
        let entry = try NSRegularExpression(pattern: #""[^"]+"\s*:\s*\{\s*:\w+\s*,"#)
        let hex = try NSRegularExpression(pattern: #""[^"]+"\s*:\s*\{\s*:hex\s*,\s*:"?([\w.-]+)"?\s*,\s*"([^"]+)""#)
        let body = code as NSString
        let whole = NSRange(location: 0, length: body.length)
        let entries = entry.numberOfMatches(in: code, range: whole)
        let result = hex.matches(in: code, range: whole).map { match in
            Dependency(
                registry: .hex, name: body.substring(with: match.range(at: 1)), version: body.substring(with: match.range(at: 2)), file: file
            )
        }
        let keys = code.components(separatedBy: "\": {").count - 1
        if keys != entries { throw AuditError("\(keys - entries) entries cannot be read") }
        return result
    }
}
