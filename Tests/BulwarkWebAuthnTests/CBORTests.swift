import BulwarkCBOR
import Testing

@Suite struct CBORTests {
    /// RFC 8949 Appendix A: every definite-length example, decoded to the documented value.
    static let appendixA: [(String, CBOR)] = [
        ("00", 0), ("01", 1), ("0a", 10), ("17", 23), ("1818", 24), ("1819", 25), ("1864", 100),
        ("1903e8", 1000), ("1a000f4240", 1_000_000), ("1b000000e8d4a51000", 1_000_000_000_000),
        ("1bffffffffffffffff", .unsigned(UInt64.max)),
        ("c249010000000000000000", .tagged(2, .bytes([1, 0, 0, 0, 0, 0, 0, 0, 0]))),
        ("3bffffffffffffffff", .negative(UInt64.max)),
        ("c349010000000000000000", .tagged(3, .bytes([1, 0, 0, 0, 0, 0, 0, 0, 0]))),
        ("20", -1), ("29", -10), ("3863", -100), ("3903e7", -1000),
        ("f90000", .float16(0.0)), ("f98000", .float16(-0.0)), ("f93c00", .float16(1.0)),
        ("fb3ff199999999999a", .float64(1.1)), ("f93e00", .float16(1.5)), ("f97bff", .float16(65504.0)),
        ("fa47c35000", .float32(100000.0)), ("fa7f7fffff", .float32(3.4028234663852886e+38)),
        ("fb7e37e43c8800759c", .float64(1.0e+300)), ("f90001", .float16(5.960464477539063e-8)),
        ("f90400", .float16(0.00006103515625)), ("f9c400", .float16(-4.0)), ("fbc010666666666666", .float64(-4.1)),
        ("f97c00", .float16(.infinity)), ("f9fc00", .float16(-.infinity)),
        ("fa7f800000", .float32(.infinity)), ("faff800000", .float32(-.infinity)),
        ("fb7ff0000000000000", .float64(.infinity)), ("fbfff0000000000000", .float64(-.infinity)),
        ("f4", false), ("f5", true), ("f6", .null), ("f7", .undefined), ("f0", .simple(16)), ("f8ff", .simple(255)),
        ("c074323031332d30332d32315432303a30343a30305a", .tagged(0, "2013-03-21T20:04:00Z")),
        ("c11a514b67b0", .tagged(1, 1_363_896_240)), ("c1fb41d452d9ec200000", .tagged(1, .float64(1363896240.5))),
        ("d74401020304", .tagged(23, .bytes([1, 2, 3, 4]))), ("d818456449455446", .tagged(24, .bytes([0x64, 0x49, 0x45, 0x54, 0x46]))),
        ("d82076687474703a2f2f7777772e6578616d706c652e636f6d", .tagged(32, "http://www.example.com")),
        ("40", .bytes([])), ("4401020304", .bytes([1, 2, 3, 4])),
        ("60", ""), ("6161", "a"), ("6449455446", "IETF"), ("62225c", "\"\\"), ("62c3bc", "\u{00fc}"),
        ("63e6b0b4", "\u{6c34}"), ("64f0908591", "\u{10151}"),
        ("80", .array([])), ("83010203", .array([1, 2, 3])), ("8301820203820405", .array([1, .array([2, 3]), .array([4, 5])])),
        ("98190102030405060708090a0b0c0d0e0f101112131415161718181819", .array((1...25).map { CBOR.int(Int64($0)) })),
        ("a0", .map([])), ("a201020304", .map([.init(1, 2), .init(3, 4)])),
        ("a26161016162820203", .map([.init("a", 1), .init("b", .array([2, 3]))])),
        ("826161a161626163", .array(["a", .map([.init("b", "c")])])),
        ("a56161614161626142616361436164614461656145",
         .map([.init("a", "A"), .init("b", "B"), .init("c", "C"), .init("d", "D"), .init("e", "E")])),
    ]

    @Test func appendixAExamples() throws {
        for (text, expected) in Self.appendixA {
            let bytes = hex(text)
            let decoded = try CBOR.decode(bytes)
            #expect(decoded == expected, "\(text)")
            // Every example uses preferred serialization, which the encoder reproduces.
            #expect(decoded.encoded() == bytes, "\(text)")
        }
    }

    @Test func appendixANaNs() throws {
        for text in ["f97e00", "fa7fc00000", "fb7ff8000000000000"] {
            let decoded = try CBOR.decode(hex(text))
            switch decoded {
            case .float16(let f), .float32(let f): #expect(f.isNaN)
            case .float64(let d): #expect(d.isNaN)
            default: Issue.record("\(text) decoded to \(decoded)")
            }
            #expect(decoded.encoded() == hex(text))
        }
    }

    @Test func accessors() throws {
        let map = try CBOR.decode(hex("a3016161206162636d6170a16178f5"))  // {1: "a", -1: "b", "map": {"x": true}}
        #expect(map[1]?.textValue == "a")
        #expect(map[-1]?.textValue == "b")
        #expect(map["map"]?["x"]?.boolValue == true)
        #expect(map[2] == nil)
        #expect(CBOR.int(Int64.min).intValue == Int(Int64.min))
        #expect(CBOR.negative(UInt64.max).intValue == nil)
        #expect(CBOR.unsigned(UInt64.max).intValue == nil)
        #expect(CBOR.unsigned(5).unsignedValue == 5)
        #expect(CBOR.text("x").bytesValue == nil)
    }

    /// RFC 8949 Appendix A's indefinite-length examples: refused, since WebAuthn uses definite lengths only.
    @Test(arguments: [
        "5f42010243030405ff", "7f657374726561646d696e67ff", "9fff", "9f018202039f0405ffff", "9f01820203820405ff",
        "83018202039f0405ff", "83019f0203ff820405", "9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff",
        "bf61610161629f0203ffff", "826161bf61626163ff", "bf6346756ef563416d7421ff",
        "1f", "3f", "df00",
    ])
    func indefiniteLengthsAreRefused(_ text: String) {
        #expect(throws: CBORError.indefiniteLength) { try CBOR.decode(hex(text)) }
    }

    /// Malformed items (many from RFC 8949 Appendix F) and the error each must give.
    @Test func malformedInputs() {
        let cases: [(String, CBORError)] = [
            ("", .truncated), ("18", .truncated), ("1901", .truncated), ("1a010203", .truncated),
            ("1b01020304050607", .truncated), ("38", .truncated), ("f9", .truncated), ("fa0000", .truncated),
            ("fb000000", .truncated), ("f8", .truncated), ("c0", .truncated), ("d8", .truncated), ("c1c1", .truncated),
            ("81", .lengthExceedsInput), ("818181818181818181", .lengthExceedsInput), ("8200", .lengthExceedsInput),
            ("a1", .lengthExceedsInput), ("a20102", .lengthExceedsInput), ("a100", .lengthExceedsInput),
            ("41", .lengthExceedsInput), ("61", .lengthExceedsInput), ("5affffffff00", .lengthExceedsInput),
            ("5bffffffffffffffff010203", .lengthExceedsInput), ("7b7fffffffffffffff010203", .lengthExceedsInput),
            ("9bffffffffffffffff00", .lengthExceedsInput), ("9a7fffffff00", .lengthExceedsInput),
            ("bbffffffffffffffff0000", .lengthExceedsInput), ("a2000000", .lengthExceedsInput),
            ("1c", .reservedAdditionalInformation), ("3d", .reservedAdditionalInformation),
            ("5e", .reservedAdditionalInformation), ("7c", .reservedAdditionalInformation),
            ("9d", .reservedAdditionalInformation), ("be", .reservedAdditionalInformation),
            ("dc", .reservedAdditionalInformation), ("fc", .reservedAdditionalInformation),
            ("f800", .invalidSimpleValue), ("f818", .invalidSimpleValue), ("f81f", .invalidSimpleValue),
            ("ff", .unexpectedBreak), ("81ff", .unexpectedBreak), ("a1ff00", .unexpectedBreak),
            ("61ff", .invalidUTF8), ("62c328", .invalidUTF8), ("62c0af", .invalidUTF8), ("63eda080", .invalidUTF8),
            ("64f4908080", .invalidUTF8), ("6180", .invalidUTF8), ("a16261ff00", .invalidUTF8),
            ("a201020103", .duplicateMapKey), ("a2616101616102", .duplicateMapKey),
            ("0000", .trailingBytes), ("8001", .trailingBytes),
        ]
        for (text, error) in cases {
            #expect(throws: error, "\(text)") { try CBOR.decode(hex(text)) }
        }
    }

    @Test func limits() throws {
        let sixteen = Array(repeating: UInt8(0x81), count: 15) + [0x00]
        #expect((try? CBOR.decode(sixteen)) != nil)
        #expect(throws: CBORError.tooDeep) { try CBOR.decode(Array(repeating: 0x81, count: 16) + [0x00]) }
        #expect(throws: CBORError.tooDeep) { try CBOR.decode(Array(repeating: 0xc1, count: 100_000) + [0x00]) }
        #expect(throws: CBORError.tooDeep) { try CBOR.decode(Array(repeating: 0x81, count: 1_000_000)) }
        #expect(throws: CBORError.tooDeep) {
            try CBOR.decode(Array(repeating: 0x81, count: 300) + [0x00], limits: CBORLimits(maxDepth: 10_000))
        }
        #expect(throws: CBORError.tooDeep) { try CBOR.decode(hex("8100"), limits: CBORLimits(maxDepth: 1)) }
        #expect(throws: CBORError.tooManyItems) { try CBOR.decode(hex("83010203"), limits: CBORLimits(maxItems: 3)) }
        #expect((try? CBOR.decode(hex("83010203"), limits: CBORLimits(maxItems: 4))) != nil)
        // A huge flat array of tiny items stays within the default item limit only up to 65,536 items.
        let many = [0x9a, 0x00, 0x01, 0x00, 0x00] + Array(repeating: UInt8(0), count: 65_536)
        #expect(throws: CBORError.tooManyItems) { try CBOR.decode(many) }
    }

    @Test func nonMinimalIntegersAreAccepted() throws {
        #expect(try CBOR.decode(hex("1800")) == 0)
        #expect(try CBOR.decode(hex("1b0000000000000001")) == 1)
        #expect(try CBOR.decode(hex("5800")) == .bytes([]))
        #expect(try CBOR.decode(hex("3900ff")) == -256)
    }

    @Test func decodePrefixReturnsTheRest() throws {
        let bytes = hex("a201020304") + [0xde, 0xad]
        let (value, rest) = try CBOR.decodePrefix(bytes)
        #expect(value == .map([.init(1, 2), .init(3, 4)]))
        #expect(Array(rest) == [0xde, 0xad])
        let slice = bytes[2...]  // a slice whose indices don't start at 0
        let (v2, rest2) = try CBOR.decodePrefix(slice)
        #expect(v2 == 2)
        #expect(Array(rest2) == hex("0304") + [0xde, 0xad])
        #expect(rest2.startIndex == 3)
        #expect(throws: CBORError.truncated) { try CBOR.decodePrefix([UInt8]()) }
    }

    @Test func encoderRoundTrips() throws {
        let value: CBOR = .map([
            .init(1, .unsigned(UInt64.max)), .init(-1, .negative(UInt64.max)), .init("bytes", .bytes(Array(0...255))),
            .init("text", .text(String(repeating: "é", count: 300))), .init(.tagged(5, 1), .array([.null, .undefined, .simple(99)])),
            .init("floats", .array([.float16(-65504), .float16(1e-7), .float32(0.1), .float64(.pi)])),
        ])
        let decoded = try CBOR.decode(value.encoded())
        // 1e-7 is not exact in half precision, so the encoder writes a single.
        guard case .map(let pairs) = decoded, let floats = pairs.last?.value.arrayValue else {
            Issue.record("not a map")
            return
        }
        #expect(floats[0] == .float16(-65504))
        #expect(floats[1] == .float32(1e-7))
        #expect(Array(pairs.dropLast()) == Array(value.mapValue!.dropLast()))
    }

    /// Random and mutated inputs: the decoder returns or throws, never traps, and what it returns re-encodes
    /// to something it decodes again to the same value.
    @Test func randomInputsNeverTrap() {
        var rng = SeededGenerator(state: 0xC0FFEE)
        let seeds = Self.appendixA.map { hex($0.0) } + [
            hex("a301020326200121582000000000000000000000000000000000000000000000000000000000000000002258200000000000000000000000000000000000000000000000000000000000000000")
        ]
        var decoded = 0
        for round in 0..<40_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int.random(in: 0..<48, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                bytes = seeds[Int.random(in: 0..<seeds.count, using: &rng)]
                for _ in 0..<Int.random(in: 1...3, using: &rng) where !bytes.isEmpty {
                    let i = Int.random(in: 0..<bytes.count, using: &rng)
                    switch Int.random(in: 0..<4, using: &rng) {
                    case 0: bytes[i] = UInt8.random(in: 0...255, using: &rng)
                    case 1: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: i)
                    case 2: bytes.remove(at: i)
                    default: bytes[i] = [0x1b, 0x5b, 0x7b, 0x9b, 0xbb, 0xdb, 0xfb, 0x9f, 0xff][Int.random(in: 0..<9, using: &rng)]
                    }
                }
            }
            if let value = try? CBOR.decode(bytes) {
                decoded += 1
                let again = try? CBOR.decode(value.encoded())
                if !containsNaN(value) { #expect(again == value) }
            }
            _ = try? CBOR.decodePrefix(bytes)
        }
        #expect(decoded > 100)
    }
}

private func containsNaN(_ value: CBOR) -> Bool {
    switch value {
    case .float16(let f), .float32(let f): f.isNaN
    case .float64(let d): d.isNaN
    case .array(let a): a.contains(where: containsNaN)
    case .map(let m): m.contains { containsNaN($0.key) || containsNaN($0.value) }
    case .tagged(_, let v): containsNaN(v)
    default: false
    }
}
