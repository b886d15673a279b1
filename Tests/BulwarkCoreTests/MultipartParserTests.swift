import BulwarkCore
import Testing

/// One part as the parser reported it.
struct ParsedPart: Equatable, CustomStringConvertible {
    var headers: MultipartPartHeaders
    var body: [UInt8]
    var ended = false

    var description: String { "\(headers.name ?? "-"): \(body.count) bytes\(ended ? "" : " (open)")" }
}

/// Feeds `body` to a parser in chunks of the given sizes (the last one repeats), collecting the parts
/// and checking the event grammar: `partBegin (partData)* partEnd`, data never empty.
func parseMultipart(
    _ body: [UInt8], boundary: String, chunkSizes: [Int] = [Int.max],
    maxHeaderBytes: Int = 8 * 1024, maxParts: Int = 16, callFinish: Bool = true
) throws -> [ParsedPart] {
    var parser = MultipartParser(boundary: boundary, maxHeaderBytes: maxHeaderBytes, maxParts: maxParts)
    var parts: [ParsedPart] = []
    var index = 0
    var chunk = 0
    while index < body.count {
        let size = min(chunkSizes[min(chunk, chunkSizes.count - 1)], body.count - index)
        try parser.feed(body[index..<index + size]) { event in
            switch event {
            case .partBegin(let headers):
                #expect(parts.last?.ended ?? true, "a part began before the previous one ended")
                parts.append(ParsedPart(headers: headers, body: []))
            case .partData(let bytes):
                #expect(!bytes.isEmpty, "empty partData event")
                #expect(parts.last?.ended == false, "data outside a part")
                parts[parts.count - 1].body.append(contentsOf: bytes)
            case .partEnd:
                #expect(parts.last?.ended == false, "partEnd outside a part")
                parts[parts.count - 1].ended = true
            }
        }
        index += size
        chunk += 1
    }
    if callFinish { try parser.finish() }
    return parts
}

/// Builds a multipart body part by part.
struct MultipartBody {
    let boundary: String
    var bytes: [UInt8] = []

    init(boundary: String, preamble: String? = nil) {
        self.boundary = boundary
        if let preamble { bytes += Array(preamble.utf8) + [13, 10] }
    }

    mutating func part(_ headers: [String], _ body: [UInt8]) {
        bytes += Array(((bytes.isEmpty ? "" : "\r\n") + "--\(boundary)\r\n").utf8)
        for header in headers { bytes += Array("\(header)\r\n".utf8) }
        bytes += [13, 10] + body
    }

    mutating func close(epilogue: String = "\r\n") {
        bytes += Array("\r\n--\(boundary)--\(epilogue)".utf8)
    }
}

/// The body `swift package-registry publish` sends for a signed release with metadata
/// (swiftpm-client.md §4.6), with data chosen to stress the boundary search.
enum SwiftPMPublishBody {
    static let boundary = "80379F53-EC49-4B4B-A21F-3C725205CC06"
    static let contentType = #"multipart/form-data;boundary="80379F53-EC49-4B4B-A21F-3C725205CC06""#

    /// Zip-like bytes containing CR LF, `--`, a CR LF `--` followed by all but the last character of the
    /// boundary, and every byte value.
    static let archive: [UInt8] = {
        var bytes: [UInt8] = [0x50, 0x4B, 0x03, 0x04, 13, 10, 45, 45, 13, 10, 13, 10]
        bytes += Array("\r\n--80379F53-EC49-4B4B-A21F-3C725205CC0".utf8)  // one character short
        bytes += Array("X\r\n-\r\n--\r\n--8\r--\n".utf8)
        bytes += Array(0...255)
        bytes += Array("--80379F53-EC49-4B4B-A21F-3C725205CC06".utf8)  // the boundary without CR LF before it
        bytes += Array("\n--80379F53-EC49-4B4B-A21F-3C725205CC06".utf8)  // ... or with only LF
        var generator = SplitMix64(seed: 42)
        for _ in 0..<3000 { bytes.append(UInt8.random(in: 0...255, using: &generator)) }
        bytes += [0x50, 0x4B, 0x05, 0x06, 13, 10, 13]  // ends with CR LF CR, right before the delimiter's CR LF
        return bytes
    }()

    static let archiveSignature: [UInt8] = [0x30, 0x82, 0x01, 0x0A, 0x06, 0x09, 13, 10, 45, 45, 0x00, 0xFF]

    /// The raw JSON file, with `=3D` and a soft-line-break look-alike that must not be QP-decoded.
    static let metadata: [UInt8] = Array(
        #"{"author":{"name":"J. Appleseed =3D"},"description":"a=3Db =\n soft=20break","licenseURL":"https://x.test/?a=1&b=2"}"#
            .utf8
    ) + [10]

    static let metadataSignature: [UInt8] = [0x30, 0x80, 0x02, 0x01, 0x01, 13, 10]

    static let body: [UInt8] = {
        var body = MultipartBody(boundary: boundary)
        body.part([
            #"Content-Disposition: form-data; name="source-archive""#,
            "Content-Type: application/zip",
            "Content-Transfer-Encoding: binary",
        ], archive)
        body.part([
            #"Content-Disposition: form-data; name="source-archive-signature""#,
            "Content-Type: application/octet-stream",
            "Content-Transfer-Encoding: binary",
        ], archiveSignature)
        body.part([
            #"Content-Disposition: form-data; name="metadata""#,
            "Content-Type: application/json",
            "Content-Transfer-Encoding: quoted-printable",
        ], metadata)
        body.part([
            #"Content-Disposition: form-data; name="metadata-signature""#,
            "Content-Type: application/octet-stream",
            "Content-Transfer-Encoding: binary",
        ], metadataSignature)
        body.close()
        return body.bytes
    }()

    static func checkParts(_ parts: [ParsedPart]) {
        #expect(parts.map(\.headers.name) == ["source-archive", "source-archive-signature", "metadata", "metadata-signature"])
        #expect(parts.allSatisfy { $0.ended })
        guard parts.count == 4 else { return }
        #expect(parts[0].body == archive)
        #expect(parts[1].body == archiveSignature)
        #expect(parts[2].body == metadata)
        #expect(parts[3].body == metadataSignature)
    }
}

@Suite("MultipartParser")
struct MultipartParserTests {
    // MARK: The SwiftPM publish body

    @Test func theSwiftPMPublishBodyParsesIntoItsFourParts() throws {
        let boundary = try #require(MultipartParser.boundary(fromContentType: SwiftPMPublishBody.contentType))

        let parts = try parseMultipart(SwiftPMPublishBody.body, boundary: boundary)

        SwiftPMPublishBody.checkParts(parts)
    }

    @Test func partHeadersAreReportedInOrderWithLowerCasedNames() throws {
        let parts = try parseMultipart(SwiftPMPublishBody.body, boundary: SwiftPMPublishBody.boundary)
        let metadata = try #require(parts.dropFirst(2).first)

        #expect(metadata.headers.fields.map(\.name) == ["content-disposition", "content-type", "content-transfer-encoding"])
        #expect(metadata.headers.fields.map(\.value) == [#"form-data; name="metadata""#, "application/json", "quoted-printable"])
        #expect(metadata.headers["Content-Type"] == "application/json")
        #expect(metadata.headers["CONTENT-TRANSFER-ENCODING"] == "quoted-printable")
        #expect(metadata.headers["content-length"] == nil)
    }

    @Test func quotedPrintableMetadataComesOutByteForByte() throws {
        let parts = try parseMultipart(SwiftPMPublishBody.body, boundary: SwiftPMPublishBody.boundary)
        let metadata = try #require(parts.first { $0.headers.name == "metadata" })

        #expect(metadata.body == SwiftPMPublishBody.metadata)
        #expect(String(decoding: metadata.body, as: UTF8.self).contains("=3D"))
    }

    @Test(arguments: 1...64)
    func everyFixedChunkSizeGivesTheSameParts(_ chunkSize: Int) throws {
        let parts = try parseMultipart(SwiftPMPublishBody.body, boundary: SwiftPMPublishBody.boundary, chunkSizes: [chunkSize])

        SwiftPMPublishBody.checkParts(parts)
    }

    @Test(arguments: 0..<32)
    func randomChunkingsGiveTheSameParts(_ seed: UInt64) throws {
        var generator = SplitMix64(seed: seed)
        let maxChunk = [2, 8, 64, 700, 5000][Int(seed % 5)]
        let sizes = (0..<SwiftPMPublishBody.body.count).map { _ in Int.random(in: 1...maxChunk, using: &generator) }

        let parts = try parseMultipart(SwiftPMPublishBody.body, boundary: SwiftPMPublishBody.boundary, chunkSizes: sizes)

        SwiftPMPublishBody.checkParts(parts)
    }

    @Test func chunksSplitAtEveryPositionAroundEachDelimiterGiveTheSameParts() throws {
        let body = SwiftPMPublishBody.body
        let delimiter = Array("\r\n--\(SwiftPMPublishBody.boundary)".utf8)
        var splits: [Int] = []
        var i = 0
        while i + delimiter.count <= body.count {
            if Array(body[i..<i + delimiter.count]) == delimiter { splits += Array(i - 2...i + delimiter.count + 2) }
            i += 1
        }
        #expect(splits.count == 4 * (delimiter.count + 5))

        for split in splits {
            let parts = try parseMultipart(body, boundary: SwiftPMPublishBody.boundary, chunkSizes: [split, Int.max])
            SwiftPMPublishBody.checkParts(parts)
        }
    }

    @Test func aLargePartIsStreamedInPieces() throws {
        let big = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var body = MultipartBody(boundary: "b")
        body.part([#"Content-Disposition: form-data; name="source-archive""#], big)
        body.close()
        var parser = MultipartParser(boundary: "b")
        var dataEvents = 0
        var received: [UInt8] = []

        var index = 0
        while index < body.bytes.count {
            let end = min(index + 4096, body.bytes.count)
            try parser.feed(body.bytes[index..<end]) { event in
                if case .partData(let bytes) = event {
                    dataEvents += 1
                    received += bytes
                }
            }
            index = end
        }
        try parser.finish()

        #expect(received == big)
        #expect(dataEvents > 50)
    }

    // MARK: Content type

    @Test(arguments: [
        (#"multipart/form-data;boundary="80379F53-EC49-4B4B-A21F-3C725205CC06""#, "80379F53-EC49-4B4B-A21F-3C725205CC06"),
        (#"multipart/form-data;boundary="X""#, "X"),
        ("multipart/form-data; boundary=X", "X"),
        ("multipart/form-data;boundary=X", "X"),
        ("Multipart/Form-Data; BOUNDARY=abc", "abc"),
        ("multipart/form-data; charset=utf-8; boundary=abc", "abc"),
        ("multipart/form-data ; boundary = abc ", "abc"),
        (#"multipart/form-data; boundary="has space""#, "has space"),
        ("multipart/form-data; boundary=" + String(repeating: "b", count: 70), String(repeating: "b", count: 70)),
    ])
    func theBoundaryIsReadFromAMultipartFormDataContentType(_ contentType: String, _ expected: String) {
        #expect(MultipartParser.boundary(fromContentType: contentType) == expected)
    }

    @Test(arguments: [
        "", "application/json", "application/zip; boundary=abc", "multipart/mixed; boundary=abc",
        "text/plain; boundary=abc", "multipart/form-data", "multipart/form-data;", "multipart/form-data; boundary=",
        #"multipart/form-data; boundary="""#, "multipart/form-data; charset=utf-8",
        "multipart/form-data; boundary=" + String(repeating: "b", count: 71), "multipart/form-data; boundary=bö",
        "multipart/form-data; boundary=a\u{7F}b",
    ])
    func otherContentTypesHaveNoBoundary(_ contentType: String) {
        #expect(MultipartParser.boundary(fromContentType: contentType) == nil)
    }

    // MARK: Framing

    @Test(arguments: [1, 3, 1000])
    func aTruncatedBodyFailsToFinish(_ chunkSize: Int) throws {
        let truncated = Array(SwiftPMPublishBody.body.dropLast(SwiftPMPublishBody.boundary.count + 8))
        var parser = MultipartParser(boundary: SwiftPMPublishBody.boundary)

        var index = 0
        while index < truncated.count {
            let end = min(index + chunkSize, truncated.count)
            try parser.feed(truncated[index..<end]) { _ in }
            index = end
        }

        #expect(!parser.isComplete)
        let error = #expect(throws: BulwarkError.self) { try parser.finish() }
        #expect(error?.kind == .badRequest)
        #expect(error?.detail.contains("truncated") == true)
    }

    @Test func aBodyWithoutAnyBoundaryFailsToFinish() throws {
        #expect(throws: BulwarkError.self) {
            try parseMultipart(Array("just some bytes\r\n".utf8), boundary: "b")
        }
        #expect(throws: BulwarkError.self) { try parseMultipart([], boundary: "b") }
    }

    @Test func aCompleteBodyFinishes() throws {
        var parser = MultipartParser(boundary: SwiftPMPublishBody.boundary)

        try parser.feed(SwiftPMPublishBody.body) { _ in }

        #expect(parser.isComplete)
        try parser.finish()
    }

    @Test(arguments: [1, 7, 10_000])
    func anOversizedPartHeaderBlockIsRejected(_ chunkSize: Int) {
        var body = MultipartBody(boundary: "b")
        body.part([#"Content-Disposition: form-data; name="x""#, "X-Padding: " + String(repeating: "p", count: 200)], [1, 2])
        body.close()

        let error = #expect(throws: BulwarkError.self) {
            try parseMultipart(body.bytes, boundary: "b", chunkSizes: [chunkSize], maxHeaderBytes: 128)
        }
        #expect(error?.kind == .badRequest)
        #expect(error?.detail.contains("128") == true)
    }

    @Test func aHeaderBlockThatNeverEndsIsRejectedWithoutWaitingForTheEnd() throws {
        var parser = MultipartParser(boundary: "b", maxHeaderBytes: 1024)
        try parser.feed(Array("--b\r\nX: ".utf8)) { _ in }

        #expect(throws: BulwarkError.self) {
            try parser.feed([UInt8](repeating: UInt8(ascii: "a"), count: 2000)) { _ in }
        }
    }

    @Test func aHeaderBlockAtTheLimitIsAcceptedWhenItArrivesAtOnce() throws {
        let (body, limit) = Self.bodyWithHeaderBlock(ofExactly: 256)

        let parts = try parseMultipart(body, boundary: "b", maxHeaderBytes: limit)

        #expect(parts.count == 1)
    }

    /// Whether a body is accepted must not depend on how the network splits it.
    @Test(arguments: [1, 2, 3])
    func aHeaderBlockAtTheLimitIsAcceptedWhateverTheChunking(_ chunkSize: Int) throws {
        let (body, limit) = Self.bodyWithHeaderBlock(ofExactly: 256)

        let parts = try parseMultipart(body, boundary: "b", chunkSizes: [chunkSize], maxHeaderBytes: limit)
        #expect(parts.count == 1)
    }

    /// A body whose only part has a header block (the bytes before CR LF CR LF) of exactly `size` bytes.
    static func bodyWithHeaderBlock(ofExactly size: Int) -> ([UInt8], Int) {
        let prefix = #"Content-Disposition: form-data; name="x""# + "\r\nX-Padding: "
        let header = prefix + String(repeating: "p", count: size - prefix.utf8.count)
        var body = MultipartBody(boundary: "b")
        body.part([header], Array("data".utf8))
        body.close()
        precondition(header.utf8.count == size)
        return (body.bytes, size)
    }

    @Test func moreThanTheAllowedNumberOfPartsIsRejected() throws {
        var body = MultipartBody(boundary: "b")
        for i in 0..<3 { body.part([#"Content-Disposition: form-data; name="p\#(i)""#], [UInt8(i)]) }
        body.close()

        #expect(try parseMultipart(body.bytes, boundary: "b", maxParts: 3).count == 3)
        let error = #expect(throws: BulwarkError.self) { try parseMultipart(body.bytes, boundary: "b", maxParts: 2) }
        #expect(error?.detail.contains("more than 2 parts") == true)
    }

    @Test func aPreambleAndAnEpilogueAreIgnored() throws {
        var body = MultipartBody(boundary: "b", preamble: "This is the preamble. --b is mentioned, not delimited.")
        body.part([#"Content-Disposition: form-data; name="a""#], Array("alpha".utf8))
        body.part([#"Content-Disposition: form-data; name="b""#], Array("beta".utf8))
        body.close(epilogue: "\r\nThis is the epilogue.\r\n--b\r\nContent-Disposition: form-data; name=\"c\"\r\n\r\nx\r\n--b--\r\n")

        for chunk in [1, 5, Int.max] {
            let parts = try parseMultipart(body.bytes, boundary: "b", chunkSizes: [chunk])
            #expect(parts.map(\.headers.name) == ["a", "b"])
            #expect(parts.map(\.body) == [Array("alpha".utf8), Array("beta".utf8)])
        }
    }

    @Test func bytesFedAfterTheClosingBoundaryAreIgnored() throws {
        var parser = MultipartParser(boundary: "b")
        var events = 0
        try parser.feed(Array("--b\r\n\r\nx\r\n--b--".utf8)) { _ in events += 1 }
        let before = events

        try parser.feed(Array("\r\n--b\r\n\r\nmore\r\n--b--".utf8)) { _ in events += 1 }

        #expect(events == before)
        #expect(parser.isComplete)
    }

    @Test func aBodyMayStartWithALineBreakBeforeTheFirstBoundary() throws {
        let body = Array("\r\n--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nalpha\r\n--b--\r\n".utf8)

        let parts = try parseMultipart(body, boundary: "b")

        #expect(parts.map(\.body) == [Array("alpha".utf8)])
    }

    @Test func aPartWithNoHeadersHasAnEmptyHeaderList() throws {
        let body = Array("--b\r\n\r\nbare body\r\n--b\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\nnamed\r\n--b--\r\n".utf8)

        for chunk in [1, 2, Int.max] {
            let parts = try parseMultipart(body, boundary: "b", chunkSizes: [chunk])
            #expect(parts.count == 2)
            #expect(parts.first?.headers.fields.isEmpty == true)
            #expect(parts.first?.headers.name == nil)
            #expect(parts.first?.body == Array("bare body".utf8))
            #expect(parts.last?.headers.name == "n")
        }
    }

    @Test func anEmptyPartBodyProducesBeginAndEndOnly() throws {
        let body = Array("--b\r\nContent-Disposition: form-data; name=\"e\"\r\n\r\n\r\n--b--".utf8)

        let parts = try parseMultipart(body, boundary: "b", chunkSizes: [1])

        #expect(parts.count == 1)
        #expect(parts.first?.body == [])
        #expect(parts.first?.ended == true)
    }

    @Test func theBoundaryTextInsideDataIsNotADelimiterWithoutCRLFDashDash() throws {
        let data = Array("b--b\r--b\n--b\r\n-b\r\n b --b-- bb\r\n--".utf8) + Array("--b".utf8)
        var body = MultipartBody(boundary: "b")
        body.part([#"Content-Disposition: form-data; name="d""#], data)
        body.close()

        for chunk in [1, 2, 3, 4, Int.max] {
            let parts = try parseMultipart(body.bytes, boundary: "b", chunkSizes: [chunk])
            #expect(parts.count == 1)
            #expect(parts.first?.body == data)
        }
    }

    @Test func whitespaceAfterABoundaryIsAllowed() throws {
        let body = Array("--b \t\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nalpha\r\n--b\t \r\n\r\nz\r\n--b--  \r\n".utf8)

        let parts = try parseMultipart(body, boundary: "b", chunkSizes: [1])

        #expect(parts.map(\.body) == [Array("alpha".utf8), Array("z".utf8)])
    }

    @Test(arguments: [
        "--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--bX\r\n\r\ny\r\n--b--",
        "--bogus\r\n\r\nx\r\n--b--",
        "--b-\r\n\r\nx\r\n--b--",
    ])
    func unexpectedBytesAfterABoundaryAreRejected(_ text: String) {
        let error = #expect(throws: BulwarkError.self) { try parseMultipart(Array(text.utf8), boundary: "b") }

        #expect(error?.kind == .badRequest)
    }

    @Test func aHeaderLineWithoutAColonIsRejected() {
        let body = Array("--b\r\nContent-Disposition form-data\r\n\r\nx\r\n--b--".utf8)

        let error = #expect(throws: BulwarkError.self) { try parseMultipart(body, boundary: "b") }

        #expect(error?.detail.contains("':'") == true)
    }

    // MARK: Part headers

    @Test(arguments: [
        (#"form-data; name="source-archive""#, "source-archive"),
        ("form-data; name=metadata", "metadata"),
        (#"Form-Data; NAME="x"; filename="a.zip""#, "x"),
        (#"form-data; filename="a.zip"; name="y""#, "y"),
        (#"form-data;name="z""#, "z"),
        (#"form-data; name="""#, ""),
    ])
    func theNameComesFromTheContentDisposition(_ disposition: String, _ expected: String) throws {
        let body = Array("--b\r\nContent-Disposition: \(disposition)\r\n\r\nx\r\n--b--".utf8)

        let parts = try parseMultipart(body, boundary: "b")

        #expect(parts.first?.headers.name == expected)
    }

    @Test(arguments: [#"attachment; name="x""#, "form-data", #"form-data; filename="a.zip""#])
    func aPartWithoutAFormDataNameHasNoName(_ disposition: String) throws {
        let body = Array("--b\r\nContent-Disposition: \(disposition)\r\n\r\nx\r\n--b--".utf8)

        let parts = try parseMultipart(body, boundary: "b")

        #expect(parts.count == 1)
        #expect(parts.first?.headers.name == nil)
    }

    @Test func headerValuesKeepColonsAndLoseSurroundingWhitespace() throws {
        let body = Array("--b\r\nX-Url:   https://example.test:8443/a  \r\n\r\nx\r\n--b--".utf8)

        let parts = try parseMultipart(body, boundary: "b")

        #expect(parts.first?.headers["x-url"] == "https://example.test:8443/a")
    }
}
