import Foundation

/// Normalises source-control URLs so that the forms SwiftPM sends to `/identifiers` match the
/// ones authors list in `repositoryURLs`: scheme, user, case, a `.git` suffix and a trailing `/`
/// don't matter, and `git@host:path` equals `ssh://git@host/path` equals `https://host/path`.
public enum RepositoryURL {
    /// `https://GitHub.com/Mona/LinkedList.git/` → `github.com/mona/linkedlist`. Nil for input that
    /// can't be a repository URL.
    public static func normalize(_ raw: String) -> String? {
        var s = Substring(raw.trimmingWhitespace())
        guard !s.isEmpty, s.utf8.count <= 2048, !s.contains(where: { $0.isWhitespace || $0.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } }) else { return nil }
        var hadScheme = false
        if let r = s.range(of: "://") {
            let scheme = s[..<r.lowerBound]
            guard !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }) else { return nil }
            s = s[r.upperBound...]
            hadScheme = true
            // A second `://` would make the normalised form look like it has a scheme (fuzzing).
            guard s.range(of: "://") == nil else { return nil }
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
        // Any other colon in an authority (`https://host:8a/x`) is not a URL, and would normalise to
        // `host:8a/x`, which reads as scp-like `host:path` the next time (found by fuzzing).
        if hadScheme, host.contains(":") { return nil }
        guard !host.isEmpty else { return nil }
        var p = String(path)
        while p.hasPrefix("/") { p.removeFirst() }
        // Every trailing `.git` and `/`, so that the result normalises to itself (`x.git.git`).
        while true {
            while p.hasSuffix("/") { p.removeLast() }
            guard p.lowercased().hasSuffix(".git") else { break }
            p.removeLast(4)
        }
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
