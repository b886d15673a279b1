import Foundation

/// Normalises source-control URLs so that the forms SwiftPM sends to `/identifiers` match the
/// ones authors list in `repositoryURLs`: scheme, user, case, a `.git` suffix and a trailing `/`
/// don't matter, and `git@host:path` equals `ssh://git@host/path` equals `https://host/path`.
public enum RepositoryURL {
    /// `https://GitHub.com/Mona/LinkedList.git/` → `github.com/mona/linkedlist`. Nil for input that
    /// can't be a repository URL.
    public static func normalize(_ raw: String) -> String? {
        var s = Substring(raw.trimmingWhitespace())
        guard !s.isEmpty, s.utf8.count <= 2048, !s.contains(where: { $0 == " " || $0.isNewline }) else { return nil }
        var hadScheme = false
        if let r = s.range(of: "://") {
            let scheme = s[..<r.lowerBound]
            guard !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }) else { return nil }
            s = s[r.upperBound...]
            hadScheme = true
        }
        // Drop user info (`git@`, `user:pass@`).
        let hostEnd = s.firstIndex(where: { $0 == "/" || (!hadScheme && $0 == ":") }) ?? s.endIndex
        if let at = s[..<hostEnd].lastIndex(of: "@") { s = s[s.index(after: at)...] }
        // scp-like `host:path` (no scheme): the colon separates host and path.
        var host: Substring
        var path: Substring
        if !hadScheme, let colon = s.firstIndex(of: ":"), s.firstIndex(of: "/").map({ colon < $0 }) ?? true {
            host = s[..<colon]
            path = s[s.index(after: colon)...]
        } else if let slash = s.firstIndex(of: "/") {
            host = s[..<slash]
            path = s[s.index(after: slash)...]
        } else {
            host = s
            path = ""
        }
        // Drop a port on URLs with a scheme (`https://host:443/x`).
        if hadScheme, let colon = host.lastIndex(of: ":"), host[host.index(after: colon)...].allSatisfy(\.isNumber) {
            host = host[..<colon]
        }
        guard !host.isEmpty else { return nil }
        var p = String(path)
        while p.hasPrefix("/") { p.removeFirst() }
        while p.hasSuffix("/") { p.removeLast() }
        if p.lowercased().hasSuffix(".git") { p.removeLast(4) }
        while p.hasSuffix("/") { p.removeLast() }
        guard !p.isEmpty else { return nil }
        return (host + "/" + p).lowercased()
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        let scalars = String(self).unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(String.UnicodeScalarView(scalars[start...end]))
    }
}
