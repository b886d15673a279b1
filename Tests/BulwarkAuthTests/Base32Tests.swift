import BulwarkAuth
import Foundation
import Testing

@Suite("Base32 (RFC 4648)")
struct Base32Tests {
    /// RFC 4648 §10, with the padding this encoder leaves out.
    static let rfcVectors: [(plain: String, padded: String)] = [
        ("", ""),
        ("f", "MY======"),
        ("fo", "MZXQ===="),
        ("foo", "MZXW6==="),
        ("foob", "MZXW6YQ="),
        ("fooba", "MZXW6YTB"),
        ("foobar", "MZXW6YTBOI======"),
    ]

    @Test(arguments: rfcVectors)
    func encodesRFC4648VectorsWithoutPadding(plain: String, padded: String) {
        #expect(Base32.encode(Array(plain.utf8)) == padded.replacingOccurrences(of: "=", with: ""))
    }

    @Test(arguments: rfcVectors)
    func decodesRFC4648VectorsWithAndWithoutPadding(plain: String, padded: String) throws {
        #expect(try Base32.decode(padded) == Array(plain.utf8))
        #expect(try Base32.decode(padded.replacingOccurrences(of: "=", with: "")) == Array(plain.utf8))
    }

    @Test func decodingIgnoresCaseAndSpaces() throws {
        let expected = Array("12345678901234567890".utf8)
        #expect(try Base32.decode("gezdgnbvgy3tqojqgezdgnbvgy3tqojq") == expected)
        #expect(try Base32.decode("GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ") == expected)
        #expect(try Base32.decode(" gEzD gnbv gy3tqojqgezdgnbvgy3tqojq ") == expected)
        #expect(try Base32.decode("MZXW 6=== ") == Array("foo".utf8))
    }

    @Test(arguments: 0...48)
    func roundTripsRandomBytesOfEveryLength(length: Int) throws {
        var rng = SeededGenerator(seed: UInt64(length))
        let bytes = (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        let encoded = Base32.encode(bytes)
        #expect(encoded.count == (length * 8 + 4) / 5)
        #expect(encoded.allSatisfy { Base32.alphabet.contains($0.asciiValue ?? 0) })
        #expect(try Base32.decode(encoded) == bytes)
        #expect(try Base32.decode(encoded.lowercased()) == bytes)
    }

    @Test func encodesAllByteValues() throws {
        let bytes = (0...255).map { UInt8($0) }
        #expect(try Base32.decode(Base32.encode(bytes)) == bytes)
        #expect(Base32.encode([0xFF, 0xFF, 0xFF, 0xFF, 0xFF]) == "77777777")
        #expect(Base32.encode([0, 0, 0, 0, 0]) == "AAAAAAAA")
    }

    @Test(arguments: [
        ("MZXW6YT1", Base32.DecodingError.invalidCharacter(offset: 7)),
        ("MZXW0===", .invalidCharacter(offset: 4)),
        ("MZ-XW6", .invalidCharacter(offset: 2)),
        ("MZXW6\nYQ", .invalidCharacter(offset: 5)),
        ("MZXé", .invalidCharacter(offset: 3)),
        ("MZ=XW6", .misplacedPadding(offset: 3)),
        ("=MZXW6", .misplacedPadding(offset: 1)),
        ("M", .invalidLength),
        ("MZX", .invalidLength),
        ("MZXW6Y", .invalidLength),
        ("MY=", .invalidLength),
        ("MZXW6YQ==", .invalidLength),
        ("MZXW6YTB========", .invalidLength),
        ("========", .invalidLength),
    ])
    func invalidInputIsRejected(input: String, error: Base32.DecodingError) {
        #expect(throws: error) { try Base32.decode(input) }
    }
}
