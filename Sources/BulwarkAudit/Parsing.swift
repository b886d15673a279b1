import Foundation
import TOMLKit

/// Shared parsing helpers: every structured format becomes plain dictionaries and arrays.
enum Parse {
    /// A JSON document whose top level is an object.
    static func jsonObject(_ text: String) throws -> [String: Any] {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        } catch {
            throw AuditError("invalid JSON: \(describe(error))")
        }
        guard let dictionary = object as? [String: Any] else { throw AuditError("invalid JSON: the top level is not an object") }
        return dictionary
    }

    /// A YAML document (`nil` when empty): mappings become `[String: Any]`, sequences `[Any]`, and
    /// every scalar stays a `String` ("1.10" must not become 1.1). See `YAMLLoader` for why this
    /// does not go through Yams's constructor.
    static func yaml(_ text: String) throws -> Any? {
        try YAMLLoader.load(text, maximumNodes: maximumYAMLNodes(forBytes: text.utf8.count))
    }

    /// How many nodes a YAML document of `bytes` bytes may have, every alias counted as the whole
    /// node it stands for. Without aliases a document has at most about 1.5 nodes per byte (`[?,?]`),
    /// so this leaves room for ordinary anchors (shared job or service settings) but not for a
    /// "billion laughs", and keeps what a reader finds proportional to the file.
    static func maximumYAMLNodes(forBytes bytes: Int) -> Int { 2 * bytes + 1_000 }

    /// A YAML document whose top level is a mapping.
    static func yamlMapping(_ text: String) throws -> [String: Any] {
        guard let mapping = try yaml(text) as? [String: Any] else {
            throw AuditError("invalid YAML: the top level is not a mapping")
        }
        return mapping
    }

    /// A TOML document, as JSON-like dictionaries.
    static func toml(_ text: String) throws -> [String: Any] {
        // TOML allows no control character but tab, LF and CR anywhere (not even in comments or
        // strings, where they must be escaped). Refusing them here also keeps toml++ from seeing a
        // document cut short at a NUL, which trips one of its internal assertions (found by
        // FuzzLockfiles).
        if let bad = text.unicodeScalars.first(where: { ($0.value < 0x20 && $0 != "\t" && $0 != "\n" && $0 != "\r") || $0.value == 0x7F }) {
            throw AuditError("invalid TOML: control character U+\(String(bad.value, radix: 16, uppercase: true)) in the document")
        }
        try TOMLPrecheck.check(text)  // malformed table headers trip toml++ assertions too
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw AuditError("invalid TOML at line \(error.source.begin.line): \(error.description)")
        } catch {
            throw AuditError("invalid TOML: \(describe(error))")
        }
        let json = table.convert(to: .json)
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw AuditError("invalid TOML: cannot convert the document")
        }
        return object
    }

    static func describe(_ error: any Error) -> String {
        let nsError = error as NSError
        if let debug = nsError.userInfo[NSDebugDescriptionErrorKey] as? String { return debug }
        return nsError.localizedDescription
    }

    static func firstLine(of text: String) -> String {
        text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
    }

    /// Lines without `#` comments (after whitespace or at the start), trimmed, non-empty, with line numbers.
    static func lines(_ text: String, comment: Character? = "#") -> [(number: Int, text: String)] {
        var result: [(Int, String)] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = String(raw)
            if let comment, let start = commentStart(in: line, marker: comment) { line = String(line[..<start]) }
            line = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if !line.isEmpty { result.append((index + 1, line)) }
        }
        return result
    }

    private static func commentStart(in line: String, marker: Character) -> String.Index? {
        var previous: Character = " "
        var index = line.startIndex
        while index < line.endIndex {
            let character = line[index]
            if character == marker && previous.isWhitespace { return index }
            previous = character
            index = line.index(after: index)
        }
        return nil
    }

    /// The string value at `key`, if it is one.
    static func string(_ object: Any?, _ key: String) -> String? {
        (object as? [String: Any])?[key] as? String
    }
}

extension String {
    /// Without surrounding double or single quotes.
    var unquoted: String {
        var value = trimmingCharacters(in: .whitespaces)
        if value.count >= 2, let first = value.first, let last = value.last, first == last, first == "\"" || first == "'" {
            value = String(value.dropFirst().dropLast())
        }
        return value
    }
}
