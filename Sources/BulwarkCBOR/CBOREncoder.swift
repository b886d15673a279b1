extension CBOR {
    /// The item's encoding with the shortest heads (RFC 8949 §4.2.1 "preferred serialization" of
    /// integers and lengths), map pairs in their stored order and floats in their stored width
    /// (a `.float16` that half precision can't hold exactly is written as a single). Meant for tests
    /// and small structures; the decoder does not need it.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        encode(into: &out)
        return out
    }

    private func encode(into out: inout [UInt8]) {
        switch self {
        case .unsigned(let n):
            Self.head(0, n, into: &out)
        case .negative(let n):
            Self.head(1, n, into: &out)
        case .bytes(let b):
            Self.head(2, UInt64(b.count), into: &out)
            out += b
        case .text(let s):
            let utf8 = Array(s.utf8)
            Self.head(3, UInt64(utf8.count), into: &out)
            out += utf8
        case .array(let elements):
            Self.head(4, UInt64(elements.count), into: &out)
            for element in elements { element.encode(into: &out) }
        case .map(let pairs):
            Self.head(5, UInt64(pairs.count), into: &out)
            for pair in pairs {
                pair.key.encode(into: &out)
                pair.value.encode(into: &out)
            }
        case .tagged(let tag, let content):
            Self.head(6, tag, into: &out)
            content.encode(into: &out)
        case .bool(let b):
            out.append(b ? 0xf5 : 0xf4)
        case .null:
            out.append(0xf6)
        case .undefined:
            out.append(0xf7)
        case .simple(let v):
            if v < 24 { out.append(0xe0 | v) } else { out += [0xf8, v] }
        case .float16(let f):
            if let bits = CBORHalf.bits(exactly: f) {
                out.append(0xf9)
                Self.bigEndian(UInt64(bits), count: 2, into: &out)
            } else {
                CBOR.float32(f).encode(into: &out)
            }
        case .float32(let f):
            out.append(0xfa)
            Self.bigEndian(UInt64(f.bitPattern), count: 4, into: &out)
        case .float64(let d):
            out.append(0xfb)
            Self.bigEndian(d.bitPattern, count: 8, into: &out)
        }
    }

    private static func head(_ major: UInt8, _ argument: UInt64, into out: inout [UInt8]) {
        let m = major << 5
        switch argument {
        case 0..<24:
            out.append(m | UInt8(argument))
        case 24...0xff:
            out.append(m | 24)
            bigEndian(argument, count: 1, into: &out)
        case 0x100...0xffff:
            out.append(m | 25)
            bigEndian(argument, count: 2, into: &out)
        case 0x1_0000...0xffff_ffff:
            out.append(m | 26)
            bigEndian(argument, count: 4, into: &out)
        default:
            out.append(m | 27)
            bigEndian(argument, count: 8, into: &out)
        }
    }

    private static func bigEndian(_ value: UInt64, count: Int, into out: inout [UInt8]) {
        for i in stride(from: count - 1, through: 0, by: -1) {
            out.append(UInt8(truncatingIfNeeded: value >> (UInt64(i) * 8)))
        }
    }
}
