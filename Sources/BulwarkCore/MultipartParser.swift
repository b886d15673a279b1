/// An incremental `multipart/form-data` parser (RFC 7578 / RFC 2046).
///
/// Bytes go in as they arrive from the network, events come out, so a part of any size can be
/// streamed to disk without holding the upload in memory. It accepts what SwiftPM sends: parts
/// without a `filename=` parameter, a quoted boundary, no per-part length. It never interprets
/// `Content-Transfer-Encoding` (SwiftPM labels raw JSON as quoted-printable).
public struct MultipartParser: Sendable {
    public enum Event: Sendable {
        /// A new part starts; header names are lower-cased.
        case partBegin(MultipartPartHeaders)
        /// Body bytes of the current part (may be called many times per part).
        case partData(ArraySlice<UInt8>)
        case partEnd
    }

    private enum State { case preamble, afterBoundary, headers, body, done }

    private let delimiter: [UInt8]  // CRLF "--" boundary
    private let maxHeaderBytes: Int
    private let maxParts: Int
    private var state = State.preamble
    private var buffer: [UInt8]
    private var start = 0
    private var parts = 0

    /// - Parameters:
    ///   - boundary: the `boundary` parameter of the request's content type.
    ///   - maxHeaderBytes: the largest header block a part may have.
    ///   - maxParts: the most parts a body may have.
    public init(boundary: String, maxHeaderBytes: Int = 8 * 1024, maxParts: Int = 16) {
        delimiter = Array("\r\n--\(boundary)".utf8)
        self.maxHeaderBytes = maxHeaderBytes
        self.maxParts = maxParts
        // The first boundary may sit at the very start, with no CRLF before it.
        buffer = [13, 10]
    }

    /// Whether the closing boundary has been seen.
    public var isComplete: Bool { state == .done }

    /// Feeds the next bytes of the body, calling `handler` for each event they complete.
    public mutating func feed(_ bytes: some Collection<UInt8>, _ handler: (Event) throws -> Void) throws {
        if state == .done { return }  // epilogue is ignored
        buffer.append(contentsOf: bytes)
        try process(handler)
        if start > 65_536 || start == buffer.count {
            buffer.removeSubrange(0..<start)
            start = 0
        }
    }

    /// Call at the end of the body: throws if the closing boundary never came.
    public func finish() throws(BulwarkError) {
        guard state == .done else { throw .badRequest("multipart body is truncated: the closing boundary is missing") }
    }

    private mutating func process(_ handler: (Event) throws -> Void) throws {
        while true {
            switch state {
            case .done:
                return
            case .preamble:
                guard let i = find(delimiter, from: start) else {
                    // Keep only what could still be the start of a delimiter.
                    start = max(start, buffer.count - (delimiter.count - 1))
                    return
                }
                start = i + delimiter.count
                state = .afterBoundary
            case .afterBoundary:
                // Optional linear whitespace, then CRLF (another part) or "--" (the end).
                while start < buffer.count, buffer[start] == 32 || buffer[start] == 9 { start += 1 }
                guard buffer.count - start >= 2 else { return }
                if buffer[start] == 45, buffer[start + 1] == 45 {
                    state = .done
                    start = buffer.count
                    return
                }
                guard buffer[start] == 13, buffer[start + 1] == 10 else {
                    throw BulwarkError.badRequest("malformed multipart body: unexpected bytes after a boundary")
                }
                start += 2
                state = .headers
            case .headers:
                let end: Int
                let blockEnd: Int
                if buffer.count - start >= 2, buffer[start] == 13, buffer[start + 1] == 10 {
                    (end, blockEnd) = (start, start + 2)  // a part with no headers at all
                } else if let i = find([13, 10, 13, 10], from: start) {
                    (end, blockEnd) = (i, i + 4)
                } else {
                    // Up to three bytes of the CRLFCRLF terminator may already be buffered.
                    if buffer.count - start > maxHeaderBytes + 3 {
                        throw BulwarkError.badRequest("malformed multipart body: part headers exceed \(maxHeaderBytes) bytes")
                    }
                    return
                }
                guard end - start <= maxHeaderBytes else {
                    throw BulwarkError.badRequest("malformed multipart body: part headers exceed \(maxHeaderBytes) bytes")
                }
                parts += 1
                guard parts <= maxParts else { throw BulwarkError.badRequest("multipart body has more than \(maxParts) parts") }
                let headers = try MultipartPartHeaders(block: buffer[start..<end])
                start = blockEnd
                state = .body
                try handler(.partBegin(headers))
            case .body:
                if let i = find(delimiter, from: start) {
                    if i > start { try handler(.partData(buffer[start..<i])) }
                    try handler(.partEnd)
                    start = i + delimiter.count
                    state = .afterBoundary
                } else {
                    let safeEnd = buffer.count - (delimiter.count - 1)
                    if safeEnd > start {
                        try handler(.partData(buffer[start..<safeEnd]))
                        start = safeEnd
                    }
                    return
                }
            }
        }
    }

    /// The first index at or after `from` where `needle` starts in the buffer.
    private func find(_ needle: [UInt8], from: Int) -> Int? {
        let first = needle[0]
        let last = buffer.count - needle.count
        guard last >= from else { return nil }
        return buffer.withUnsafeBufferPointer { buf -> Int? in
            needle.withUnsafeBufferPointer { n -> Int? in
                var i = from
                while i <= last {
                    if buf[i] == first {
                        var j = 1
                        while j < n.count, buf[i + j] == n[j] { j += 1 }
                        if j == n.count { return i }
                    }
                    i += 1
                }
                return nil
            }
        }
    }

    /// The `boundary` parameter of a `multipart/form-data` content type, or nil if it is not one.
    public static func boundary(fromContentType contentType: String) -> String? {
        let params = contentType.split(separator: ";").map { $0.trimmingWhitespace() }
        guard let type = params.first, type.lowercased() == "multipart/form-data" else { return nil }
        for p in params.dropFirst() {
            guard let eq = p.firstIndex(of: "=") else { continue }
            guard p[..<eq].trimmingWhitespace().lowercased() == "boundary" else { continue }
            var value = p[p.index(after: eq)...].trimmingWhitespace()
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            guard (1...70).contains(value.utf8.count), value.utf8.allSatisfy({ $0 >= 32 && $0 < 127 }) else { return nil }
            return value
        }
        return nil
    }
}

/// The headers of one multipart part.
public struct MultipartPartHeaders: Sendable, Equatable {
    /// Header fields in order, names lower-cased.
    public let fields: [(name: String, value: String)]

    public static func == (l: Self, r: Self) -> Bool { l.fields.elementsEqual(r.fields, by: { $0 == $1 }) }

    init(block: ArraySlice<UInt8>) throws(BulwarkError) {
        var fields: [(String, String)] = []
        let text = String(decoding: block, as: UTF8.self)
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: ":") else {
                throw .badRequest("malformed multipart body: a part header line has no ':'")
            }
            fields.append((String(line[..<colon]).trimmingWhitespace().lowercased(), String(line[line.index(after: colon)...]).trimmingWhitespace()))
        }
        self.fields = fields
    }

    public subscript(_ name: String) -> String? {
        let n = name.lowercased()
        return fields.first(where: { $0.name == n })?.value
    }

    /// The `name` parameter of `Content-Disposition: form-data; name="…"`.
    public var name: String? {
        guard let cd = self["content-disposition"] else { return nil }
        let params = cd.split(separator: ";").map { $0.trimmingWhitespace() }
        guard params.first?.lowercased() == "form-data" else { return nil }
        for p in params.dropFirst() {
            guard let eq = p.firstIndex(of: "="), p[..<eq].trimmingWhitespace().lowercased() == "name" else { continue }
            var v = p[p.index(after: eq)...].trimmingWhitespace()
            if v.count >= 2, v.hasPrefix("\""), v.hasSuffix("\"") { v = String(v.dropFirst().dropLast()) }
            return v
        }
        return nil
    }
}
