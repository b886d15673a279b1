import Foundation

/// `Package.swift` (when there is no `Package.resolved` beside it): `.package(url:…)` and
/// `.package(id:…)` dependencies. `.package(path:)` is a path dependency and is left out.
///
/// Swift has no public registry: a URL dependency counts under `swift`, and the posture of
/// its Git host applies (a github.com package is protected by GitHub's 2FA rules).
struct SwiftManifestReader: DependencyReader {
    func handles(path: String, fileName: String) -> Bool { fileName == "Package.swift" }
    var supersededBy: [String] { ["Package.resolved"] }

    func read(_ text: String, file: String) throws -> [Dependency] {
        let code = Self.strippingComments(text)
        guard code.contains("Package(") else { throw AuditError("not a Swift package manifest: no Package(…)") }
        var result: [Dependency] = []
        var searchStart = code.startIndex
        while let start = code.range(of: ".package(", range: searchStart..<code.endIndex) {
            guard let close = Self.matchingParenthesis(in: code, from: start.upperBound) else {
                throw AuditError("unbalanced parentheses in .package(")
            }
            let arguments = String(code[start.upperBound..<close])
            searchStart = code.index(after: close)
            let version = Self.firstString(after: ["from:", "exact:", "branch:", "revision:"], in: arguments)
                ?? Self.rangeLowerBound(arguments)
            if let url = Self.firstString(after: ["url:"], in: arguments) {
                result.append(Dependency(registry: .swift, name: Self.identity(of: url), version: version, file: file, location: url))
            } else if let id = Self.firstString(after: ["id:"], in: arguments) {
                result.append(Dependency(registry: .swift, name: id.lowercased(), version: version, file: file))
            }
        }
        return result
    }

    /// The package identity SwiftPM derives from a URL: its last path component, lowercased, without `.git`.
    static func identity(of url: String) -> String {
        var last = url.split(separator: "/").last.map(String.init) ?? url
        if last.hasSuffix(".git") { last = String(last.dropLast(4)) }
        if let colon = last.lastIndex(of: ":") { last = String(last[last.index(after: colon)...]) }
        return last.lowercased()
    }

    /// The host of an https, ssh or scp-like Git URL, lowercased.
    static func host(of url: String) -> String? {
        if let components = URLComponents(string: url), let host = components.host { return host.lowercased() }
        // git@github.com:owner/repo.git
        if let at = url.firstIndex(of: "@"), let colon = url[at...].firstIndex(of: ":") {
            return url[url.index(after: at)..<colon].lowercased()
        }
        return nil
    }

    private static func firstString(after labels: [String], in arguments: String) -> String? {
        for label in labels {
            guard let range = arguments.range(of: label) else { continue }
            let rest = arguments[range.upperBound...].drop { $0.isWhitespace }
            guard rest.first == "\"" else { continue }
            let body = rest.dropFirst()
            guard let end = body.firstIndex(of: "\"") else { continue }
            return String(body[..<end])
        }
        return nil
    }

    /// `"1.2.0"..<"2.0.0"` or `"1.2.0"..."1.3.0"`: the lower bound.
    private static func rangeLowerBound(_ arguments: String) -> String? {
        guard let range = arguments.range(of: #""([^"]+)"\s*\.\.[.<]"#, options: .regularExpression) else { return nil }
        return arguments[range].split(separator: "\"").first.map(String.init)
    }

    private static func matchingParenthesis(in code: String, from start: String.Index) -> String.Index? {
        var depth = 1
        var inString = false
        var index = start
        while index < code.endIndex {
            let character = code[index]
            if inString {
                if character == "\\" { index = code.index(after: index) } else if character == "\"" { inString = false }
            } else if character == "\"" {
                inString = true
            } else if character == "(" {
                depth += 1
            } else if character == ")" {
                depth -= 1
                if depth == 0 { return index }
            }
            if index < code.endIndex { index = code.index(after: index) }
        }
        return nil
    }

    /// The source without `//` and `/* */` comments; string literals are kept intact.
    static func strippingComments(_ text: String) -> String {
        var result = ""
        let characters = Array(text)
        var index = 0
        var inString = false
        while index < characters.count {
            let character = characters[index]
            let next: Character? = index + 1 < characters.count ? characters[index + 1] : nil
            if inString {
                result.append(character)
                if character == "\\", let next {
                    result.append(next)
                    index += 2
                    continue
                }
                if character == "\"" || character == "\n" { inString = false }
                index += 1
            } else if character == "\"" {
                inString = true
                result.append(character)
                index += 1
            } else if character == "/" && next == "/" {
                while index < characters.count && characters[index] != "\n" { index += 1 }
            } else if character == "/" && next == "*" {
                var depth = 0
                repeat {
                    if characters[index] == "/" && index + 1 < characters.count && characters[index + 1] == "*" {
                        depth += 1
                        index += 2
                    } else if characters[index] == "*" && index + 1 < characters.count && characters[index + 1] == "/" {
                        depth -= 1
                        index += 2
                    } else {
                        index += 1
                    }
                } while depth > 0 && index < characters.count
                result.append(" ")
            } else {
                result.append(character)
                index += 1
            }
        }
        return result
    }
}
