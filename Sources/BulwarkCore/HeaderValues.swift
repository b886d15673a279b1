/// HTTP header values the registry protocol reads or writes, kept here (no I/O, no dependencies)
/// so they can be fuzzed cheaply.

/// One `Link` header entry: `<url>; rel="…"; key="value"…` (RFC 8288, as SE-0292 uses it).
public struct LinkValue: Equatable, Sendable {
    public var url: String
    public var rel: String
    /// Further parameters in order, e.g. `filename` and `swift-tools-version` for manifest alternates.
    public var parameters: [(name: String, value: String)]

    public init(url: String, rel: String, parameters: [(name: String, value: String)] = []) {
        self.url = url
        self.rel = rel
        self.parameters = parameters
    }

    public static func == (a: LinkValue, b: LinkValue) -> Bool {
        a.url == b.url && a.rel == b.rel && a.parameters.map(\.name) == b.parameters.map(\.name) && a.parameters.map(\.value) == b.parameters.map(\.value)
    }

    /// Whether this value can be written without ambiguity: the URL has no `<`, `>`, space or
    /// control character and no parameter value has a quote, backslash or control character.
    public var isWritable: Bool {
        func clean(_ s: String, forbidding: Set<Character>) -> Bool {
            s.unicodeScalars.allSatisfy { $0.value >= 0x21 && $0.value != 0x7F && !forbidding.contains(Character($0)) }
        }
        let tokenChars = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        func isToken(_ s: String) -> Bool { !s.isEmpty && s.allSatisfy { tokenChars.contains($0) } }
        return !url.isEmpty && clean(url, forbidding: ["<", ">", ","]) && clean(rel, forbidding: ["\"", "\\"]) && !rel.isEmpty
            && parameters.allSatisfy { isToken($0.name) && ($0.value.isEmpty || clean($0.value, forbidding: ["\"", "\\"])) }
    }

    /// The header field value for these links, in order.
    public static func format(_ links: [LinkValue]) -> String {
        links.map { link in
            var out = "<\(link.url)>; rel=\"\(link.rel)\""
            for parameter in link.parameters { out += "; \(parameter.name)=\"\(parameter.value)\"" }
            return out
        }.joined(separator: ", ")
    }

    /// Parses a `Link` field value strictly: nil if any entry is malformed or has no `rel`.
    /// Parameter values may be quoted strings (with `\` escapes) or tokens.
    public static func parse(_ field: String) -> [LinkValue]? {
        var scanner = Array(field.unicodeScalars)[...]
        var links: [LinkValue] = []
        func skipSpace() { while let c = scanner.first, c == " " || c == "\t" { scanner.removeFirst() } }
        while true {
            skipSpace()
            guard scanner.first == "<" else { return nil }
            scanner.removeFirst()
            guard let close = scanner.firstIndex(of: ">") else { return nil }
            let url = String(String.UnicodeScalarView(scanner[..<close]))
            scanner = scanner[(close + 1)...]
            var rel: String?
            var parameters: [(name: String, value: String)] = []
            while true {
                skipSpace()
                guard scanner.first == ";" else { break }
                scanner.removeFirst()
                skipSpace()
                var name = ""
                while let c = scanner.first, c != "=", c != ";", c != ",", c != " " { name.unicodeScalars.append(c); scanner.removeFirst() }
                guard !name.isEmpty, scanner.first == "=" else { return nil }
                scanner.removeFirst()
                var value = ""
                if scanner.first == "\"" {
                    scanner.removeFirst()
                    var closed = false
                    while let c = scanner.first {
                        scanner.removeFirst()
                        if c == "\\" {
                            guard let escaped = scanner.first else { return nil }
                            value.unicodeScalars.append(escaped)
                            scanner.removeFirst()
                        } else if c == "\"" {
                            closed = true
                            break
                        } else {
                            value.unicodeScalars.append(c)
                        }
                    }
                    guard closed else { return nil }
                } else {
                    while let c = scanner.first, c != ";", c != ",", c != " " { value.unicodeScalars.append(c); scanner.removeFirst() }
                    guard !value.isEmpty else { return nil }
                }
                if name.lowercased() == "rel" {
                    guard rel == nil else { return nil }
                    rel = value
                } else {
                    parameters.append((name, value))
                }
            }
            guard let rel else { return nil }
            links.append(LinkValue(url: url, rel: rel, parameters: parameters))
            skipSpace()
            if scanner.isEmpty { return links }
            guard scanner.first == "," else { return nil }
            scanner.removeFirst()
        }
    }
}

/// The registry API version a request's `Accept` header asks for.
public enum RegistryAccept: Equatable, Sendable {
    /// No `application/vnd.swift.registry.v…` media type: any representation will do.
    case unspecified
    /// `application/vnd.swift.registry.vN[+json|+zip|+swift]`: the digits N, as written.
    case version(String)

    /// Reads the first registry media type in an `Accept` field value (case-insensitive).
    public static func parse(_ accept: String) -> RegistryAccept {
        let field = Array(accept.lowercased().utf8)
        let needle = Array("application/vnd.swift.registry.v".utf8)
        guard field.count >= needle.count else { return .unspecified }
        for start in 0...(field.count - needle.count) where field[start..<(start + needle.count)].elementsEqual(needle) {
            let digits = field[(start + needle.count)...].prefix(while: { $0 >= 0x30 && $0 <= 0x39 })
            return .version(String(decoding: digits, as: UTF8.self))
        }
        return .unspecified
    }

    /// Whether this server (API version 1) can answer.
    public var isSupported: Bool {
        switch self {
        case .unspecified: true
        case .version(let digits): digits == "1"
        }
    }
}
