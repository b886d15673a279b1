import Foundation

/// `requirements*.txt` (and `.txt` files in a `requirements/` folder).
///
/// Options (`-r`, `-c`, `--index-url`, `--hash`…) are skipped; editable installs, URLs, VCS
/// and local paths are not registry packages. The version is the `==`/`===` pin when there is one.
struct RequirementsReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool {
        guard fileName.hasSuffix(".txt") else { return false }
        return fileName.hasPrefix("requirements") || path.split(separator: "/").dropLast().last == "requirements"
    }

    func read(_ text: String, file: String) throws -> [Dependency] {
        var result: [Dependency] = []
        let joined = text.replacingOccurrences(of: "\\\r\n", with: " ").replacingOccurrences(of: "\\\n", with: " ")
        for (number, line) in Parse.lines(joined) {
            if line.hasPrefix("-") || line.hasPrefix(".") || line.hasPrefix("/") || line.contains("://") || line.contains("@ file:") {
                continue
            }
            guard let dependency = try Self.requirement(line, file: file, line: number) else { continue }
            result.append(dependency)
        }
        return result
    }

    /// Parses a PEP 508 requirement (name, extras, specifiers, markers) into a PyPI dependency.
    static func requirement(_ line: String, file: String, line number: Int) throws -> Dependency? {
        let withoutMarker = line.split(separator: ";", maxSplits: 1).first.map(String.init) ?? line
        let withoutHashes = withoutMarker.components(separatedBy: " --").first ?? withoutMarker
        guard let nameRange = withoutHashes.range(of: #"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?"#, options: .regularExpression) else {
            throw AuditError("line \(number): cannot read a requirement in \"\(line)\"")
        }
        var rest = withoutHashes[nameRange.upperBound...].trimmingCharacters(in: .whitespaces)
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw AuditError("line \(number): unclosed extras in \"\(line)\"") }
            rest = rest[rest.index(after: close)...].trimmingCharacters(in: .whitespaces)
        }
        if rest.hasPrefix("@") { return nil }  // a direct URL reference
        if !rest.isEmpty, rest.range(of: #"^\(?\s*(===|==|~=|!=|<=|>=|<|>)\s*[A-Za-z0-9*.+!_-]+"#, options: .regularExpression) == nil {
            throw AuditError("line \(number): cannot read the version specifier in \"\(line)\"")
        }
        var version: String?
        if let pin = rest.range(of: #"^\(?\s*===?\s*[A-Za-z0-9.+!_-]+"#, options: .regularExpression), !rest.contains(",") {
            version = rest[pin].trimmingCharacters(in: CharacterSet(charactersIn: "(=> "))
        }
        return Dependency(registry: .pypi, name: normalize(String(withoutHashes[nameRange])), version: version, file: file)
    }

    /// PEP 503 normalisation: lowercase, runs of `-`, `_`, `.` become `-`.
    static func normalize(_ name: String) -> String {
        name.lowercased().replacingOccurrences(of: #"[-_.]+"#, with: "-", options: .regularExpression)
    }
}
