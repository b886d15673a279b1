import Foundation

/// A small EDN reader (enough for `deps.edn` and Leiningen's `project.clj`).
///
/// Maps become ``EDN/map`` with their pairs in order, vectors, lists and sets become
/// ``EDN/list``, everything else is an ``EDN/atom`` (symbols, keywords, numbers) or a
/// ``EDN/string``. `;` comments, `#_` discards and reader tags are handled.
indirect enum EDN {
    case map([(EDN, EDN)])
    case list([EDN])
    case string(String)
    case atom(String)

    var text: String? {
        switch self {
        case .string(let value), .atom(let value): value
        default: nil
        }
    }

    /// The value at a keyword in a map.
    subscript(key: String) -> EDN? {
        guard case .map(let pairs) = self else { return nil }
        return pairs.first { $0.0.text == key }?.1
    }

    static func parse(_ text: String) throws -> [EDN] {
        var parser = Parser(characters: Array(text))
        var forms: [EDN] = []
        while let form = try parser.next() { forms.append(form) }
        return forms
    }

    struct Parser {
        /// Deepest nesting accepted: deeper input is an error rather than a stack overflow.
        static let maximumDepth = 256

        let characters: [Character]
        var index = 0
        var depth = 0

        mutating func skipSpace() {
            while index < characters.count {
                let character = characters[index]
                if character.isWhitespace || character == "," {
                    index += 1
                } else if character == ";" {
                    while index < characters.count && characters[index] != "\n" { index += 1 }
                } else {
                    return
                }
            }
        }

        /// The next form, or `nil` at the end of input.
        mutating func next() throws -> EDN? {
            skipSpace()
            guard index < characters.count else { return nil }
            return try form()
        }

        mutating func form() throws -> EDN {
            skipSpace()
            guard index < characters.count else { throw AuditError("unexpected end of input") }
            let character = characters[index]
            switch character {
            case "(", "[", "{":
                depth += 1
                defer { depth -= 1 }
                guard depth <= Self.maximumDepth else { throw AuditError("nested more than \(Self.maximumDepth) levels deep") }
                index += 1
                let close: Character = character == "(" ? ")" : character == "[" ? "]" : "}"
                var items: [EDN] = []
                while true {
                    skipSpace()
                    guard index < characters.count else { throw AuditError("unclosed \"\(character)\"") }
                    if characters[index] == close { index += 1; break }
                    if let item = try element() { items.append(item) }
                }
                if character == "{" {
                    guard items.count % 2 == 0 else { throw AuditError("a map with an odd number of forms") }
                    return .map(stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) })
                }
                return .list(items)
            case ")", "]", "}":
                throw AuditError("unexpected \"\(character)\"")
            case "\"":
                index += 1
                var value = ""
                while true {
                    guard index < characters.count else { throw AuditError("unterminated string") }
                    let current = characters[index]
                    index += 1
                    if current == "\"" { break }
                    if current == "\\", index < characters.count {
                        value.append(characters[index])
                        index += 1
                    } else {
                        value.append(current)
                    }
                }
                return .string(value)
            case "#", "'", "@", "`", "~", "^":
                // #{set}, #"regex", #_discard, #tag value, 'quote, @deref, ^meta. Each prefix nests
                // like a collection: 4 000 of them overflowed the stack (found by FuzzLockfiles).
                depth += 1
                defer { depth -= 1 }
                guard depth <= Self.maximumDepth else { throw AuditError("nested more than \(Self.maximumDepth) levels deep") }
                index += 1
                if character == "#", index < characters.count, characters[index] == "_" {
                    index += 1
                    _ = try form()
                    return try form()
                }
                if character == "^" { _ = try form() }
                if character == "#", index < characters.count, characters[index].isLetter { _ = try atom() }
                return try form()
            default:
                return try atom()
            }
        }

        /// A form inside a collection; `#_` discards yield `nil`.
        mutating func element() throws -> EDN? {
            if index + 1 < characters.count, characters[index] == "#", characters[index + 1] == "_" {
                index += 2
                _ = try form()
                return nil
            }
            return try form()
        }

        mutating func atom() throws -> EDN {
            var value = ""
            while index < characters.count {
                let character = characters[index]
                if character.isWhitespace || ",()[]{}\";".contains(character) { break }
                value.append(character)
                index += 1
            }
            guard !value.isEmpty else {
                throw AuditError(index < characters.count ? "unexpected \"\(characters[index])\"" : "unexpected end of input")
            }
            return .atom(value)
        }
    }
}
