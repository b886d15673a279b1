// libFuzzer target: MultipartParser (publish bodies) and the boundary from Content-Type.
// The first line of the input is a Content-Type; the rest is the body, fed in chunks whose size
// comes from the first byte. The events must not depend on how the body is chunked.
// Fuzz build: scripts/fuzz.sh FuzzMultipart. Normal build: `FuzzMultipart FILE…` replays inputs.
import BulwarkCore

enum Seen: Equatable {
    case begin([String], String?)
    case data([UInt8])
    case end
    case error
}

func parse(_ body: ArraySlice<UInt8>, boundary: String, chunk: Int) -> [Seen] {
    var parser = MultipartParser(boundary: boundary, maxHeaderBytes: 512, maxParts: 8)
    var seen: [Seen] = []
    func handle(_ event: MultipartParser.Event) {
        switch event {
        case .partBegin(let headers): seen.append(.begin(headers.fields.map { "\($0.name): \($0.value)" }, headers.name))
        case .partData(let bytes):
            // Data of one part may arrive in any number of events: merge them.
            if case .data(let previous) = seen.last { seen[seen.count - 1] = .data(previous + bytes) } else { seen.append(.data(Array(bytes))) }
        case .partEnd: seen.append(.end)
        }
    }
    do {
        var offset = body.startIndex
        while offset < body.endIndex {
            let next = min(offset + chunk, body.endIndex)
            try parser.feed(body[offset..<next], handle)
            offset = next
        }
        try parser.finish()
    } catch {
        seen.append(.error)
    }
    return seen
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMultipart(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    guard let newline = bytes.firstIndex(of: 10) else {
        _ = MultipartParser.boundary(fromContentType: String(decoding: bytes, as: UTF8.self))
        return 0
    }
    let contentType = String(decoding: bytes[..<newline], as: UTF8.self)
    let boundary = MultipartParser.boundary(fromContentType: contentType) ?? "80379F53-EC49-4B4B-A21F-3C725205CC06"
    let body = bytes[(newline + 1)...]
    let chunk = Int(bytes.first ?? 1) % 17 + 1
    let whole = parse(body, boundary: boundary, chunk: max(body.count, 1))
    let pieces = parse(body, boundary: boundary, chunk: chunk)
    let bytewise = parse(body, boundary: boundary, chunk: 1)
    // An error may surface at a different point, but what came before it must agree.
    func agree(_ a: [Seen], _ b: [Seen]) -> Bool {
        if a.last == .error || b.last == .error {
            guard a.last == .error, b.last == .error else { return false }
            return true
        }
        return a == b
    }
    guard agree(whole, pieces), agree(whole, bytewise) else {
        fatalError("chunking changes the result: whole \(whole), chunks of \(chunk) \(pieces), bytes \(bytewise)")
    }
    return 0
}

#if !FUZZING
import FuzzReplay

@main struct ReplayMultipart {
    static func main() throws { try replay(CommandLine.arguments.dropFirst(), fuzzMultipart) }
}
#endif
