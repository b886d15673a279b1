/// What `XMLParser` must not be given (found by FuzzLockfiles), checked before it sees a document.
///
/// - A processing instruction without data, `<?name?>` (valid XML), makes libxml2 report a NULL
///   data pointer, on which FoundationXML calls `strlen` and crashes. A space is inserted before
///   the `?>` (`<?name ?>`: the same instruction, with empty data). Every `<?` in the text counts,
///   even inside comments, CDATA, other instructions or broken markup, because libxml2 picks the
///   parse up again after some errors (`<x<?<?y?>` crashed too); the only change this can make to
///   what the readers see is one more space in a comment or text.
/// - A document type declaration (`<!DOCTYPE`, anywhere in the text) is refused: through an
///   internal entity it can produce such a processing instruction out of character references
///   (`<!ENTITY e "&#60;?a?&#62;">`), which no rewriting of the text can catch, and no dependency
///   file (POM, MSBuild project, NuGet `packages.config`) has a reason to declare one.
enum XMLPrecheck {
    /// The document's bytes, ready for `XMLParser`; throws an `AuditError` on a document type declaration.
    static func prepare(_ text: String) throws -> [UInt8] {
        let bytes = Array(text.utf8)
        let doctype = Array("<!DOCTYPE".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 16)
        var line = 1
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\n") { line += 1 }
            if byte == UInt8(ascii: "<"), index + doctype.count <= bytes.count, bytes[index..<index + doctype.count].elementsEqual(doctype) {
                throw AuditError("invalid XML at line \(line): a document type declaration (<!DOCTYPE) is not allowed in a dependency file")
            }
            output.append(byte)
            index += 1
            guard byte == UInt8(ascii: "<"), index < bytes.count, bytes[index] == UInt8(ascii: "?") else { continue }
            // A processing instruction's target runs to the first XML blank or '?'; "?>" right
            // after it means no data.
            var end = index + 1
            while end < bytes.count, !isBlankOrQuestionMark(bytes[end]) { end += 1 }
            if end > index + 1, end + 1 < bytes.count, bytes[end] == UInt8(ascii: "?"), bytes[end + 1] == UInt8(ascii: ">") {
                output.append(contentsOf: bytes[index..<end])
                output.append(UInt8(ascii: " "))
                index = end  // the target has no '?', so no other instruction starts inside it
            }
        }
        return output
    }

    private static func isBlankOrQuestionMark(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")
            || byte == UInt8(ascii: "?")
    }
}
