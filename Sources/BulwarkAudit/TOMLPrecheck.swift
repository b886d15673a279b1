/// A strict check of the TOML structure that toml++ relies on, run before it sees a document.
///
/// toml++ (behind TOMLKit) asserts instead of reporting an error on some malformed input (found by
/// FuzzLockfiles), so these are refused here with a one-line error first:
/// - a malformed table header, `[[!# x` tripping `parse_key(): Assertion 'is_bare_key_character(*cp)
///   || is_string_delimiter(*cp)'`. Every table header — a `[` that starts a statement at the top
///   level, not one inside an array value or a string — must be exactly `[key]` or `[[key]]`, where
///   key is dotted segments (bare `A-Za-z0-9_-`, "basic" or 'literal' quoted) with optional
///   whitespace around them, followed only by whitespace and a comment;
/// - a `}` where an array expects a value, `dependencies = [ }` tripping `parse_value(): Assertion
///   '!is_value_terminator(*cp)'` (any `]` or `}` that does not close the innermost open bracket is
///   refused);
/// - the Unicode line breaks U+0085, U+2028 and U+2029 outside strings and comments, which toml++
///   counts as value terminators without consuming them as line breaks (the same assertion).
///
/// Strings (including multi-line `"""` and `'''` ones), comments and the nesting of array and
/// inline-table values are tracked so that lines inside them are never mistaken for headers.
/// Everything else is left to toml++, which reports it as a parse error.
struct TOMLPrecheck {
    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    /// The open `[` and `{` of values, innermost last.
    private var open: [UInt8] = []

    private init(_ text: String) { bytes = Array(text.utf8) }

    /// Throws an `AuditError` naming the line of the first malformed table header.
    static func check(_ text: String) throws {
        var scanner = TOMLPrecheck(text)
        try scanner.scan()
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private func peek(_ offset: Int) -> UInt8? { index + offset < bytes.count ? bytes[index + offset] : nil }

    private mutating func scan() throws {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }  // toml++ skips a byte order mark
        var statementStart = true  // only whitespace since the last line break at the top level
        while let byte = current {
            switch byte {
            case UInt8(ascii: "\n"):
                line += 1
                index += 1
                if open.isEmpty { statementStart = true }
                continue
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                index += 1
                continue
            case UInt8(ascii: "#"):
                skipComment()
                continue
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                skipString()
            case UInt8(ascii: "["):
                if open.isEmpty && statementStart {
                    try header()
                } else {
                    open.append(byte)
                    index += 1
                }
            case UInt8(ascii: "{"):
                open.append(byte)
                index += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                if let innermost = open.last {
                    guard innermost == (byte == UInt8(ascii: "]") ? UInt8(ascii: "[") : UInt8(ascii: "{")) else {
                        throw AuditError("invalid TOML at line \(line): unexpected '\(Character(Unicode.Scalar(byte)))'")
                    }
                    open.removeLast()
                }
                index += 1
            case 0xC2 where peek(1) == 0x85, 0xE2 where peek(1) == 0x80 && (peek(2) == 0xA8 || peek(2) == 0xA9):
                let scalar = byte == 0xC2 ? "0085" : peek(2) == 0xA8 ? "2028" : "2029"
                throw AuditError("invalid TOML at line \(line): U+\(scalar) outside a string or comment")
            default:
                index += 1
            }
            statementStart = false
        }
    }

    /// Up to (not including) the line break.
    private mutating func skipComment() {
        while let byte = current, byte != UInt8(ascii: "\n") { index += 1 }
    }

    private mutating func skipWhitespace() {
        while let byte = current, byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { index += 1 }
    }

    /// A basic or literal string, single- or multi-line, starting at its opening quote.
    private mutating func skipString() {
        let quote = bytes[index]
        if peek(1) == quote && peek(2) == quote {
            index += 3
            while let byte = current {
                if byte == quote {
                    // A run of three or more quotes closes the string; up to two of them may be content.
                    var run = 0
                    while current == quote { run += 1; index += 1 }
                    if run >= 3 { return }
                    continue
                }
                if byte == UInt8(ascii: "\\") && quote == UInt8(ascii: "\"") { index += 1 }  // the escaped byte is content
                if current == UInt8(ascii: "\n") { line += 1 }
                if current != nil { index += 1 }
            }
            return
        }
        index += 1
        while let byte = current, byte != UInt8(ascii: "\n") {  // an unterminated single-line string is toml++'s error
            index += 1
            if byte == quote { return }
            if byte == UInt8(ascii: "\\") && quote == UInt8(ascii: "\""), let next = current, next != UInt8(ascii: "\n") { index += 1 }
        }
    }

    private func malformed() -> AuditError { AuditError("invalid TOML at line \(line): malformed table header") }

    /// `[key]` or `[[key]]`, then only whitespace and a comment up to the end of the line.
    private mutating func header() throws {
        index += 1
        let isArray = current == UInt8(ascii: "[")
        if isArray { index += 1 }
        skipWhitespace()
        while true {
            try keySegment()
            skipWhitespace()
            guard current == UInt8(ascii: ".") else { break }
            index += 1
            skipWhitespace()
        }
        guard current == UInt8(ascii: "]") else { throw malformed() }
        index += 1
        if isArray {
            guard current == UInt8(ascii: "]") else { throw malformed() }
            index += 1
        }
        skipWhitespace()
        if current == UInt8(ascii: "\r") && peek(1) == UInt8(ascii: "\n") { index += 1 }
        switch current {
        case nil, UInt8(ascii: "\n"): break
        case UInt8(ascii: "#"): skipComment()
        default: throw malformed()
        }
    }

    /// One bare or single-line quoted key segment.
    private mutating func keySegment() throws {
        guard let first = current else { throw malformed() }
        if first == UInt8(ascii: "\"") || first == UInt8(ascii: "'") {
            if peek(1) == first && peek(2) == first { throw malformed() }  // no multi-line strings in keys
            index += 1
            while let byte = current {
                index += 1
                if byte == first { return }
                if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { break }
                if byte == UInt8(ascii: "\\") && first == UInt8(ascii: "\"") {
                    guard let next = current, next != UInt8(ascii: "\n"), next != UInt8(ascii: "\r") else { break }
                    index += 1
                }
            }
            throw malformed()  // unterminated
        }
        guard Self.isBareKeyByte(first) else { throw malformed() }
        while let byte = current, Self.isBareKeyByte(byte) { index += 1 }
    }

    private static func isBareKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}
