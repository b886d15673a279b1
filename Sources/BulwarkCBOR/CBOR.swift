/// One CBOR (RFC 8949) data item, as decoded by ``CBOR/decode(_:limits:)``.
///
/// Integers keep the wire's two major types: `.unsigned(n)` is `n` and `.negative(n)` is `-1 - n`,
/// so every value in -2^64 ... 2^64-1 is representable without loss. Maps keep their pairs in wire
/// order. Only definite-length items exist here: the decoder rejects indefinite lengths.
public indirect enum CBOR: Sendable, Hashable {
    /// Major type 0: an unsigned integer.
    case unsigned(UInt64)
    /// Major type 1: the negative integer `-1 - n`.
    case negative(UInt64)
    /// Major type 2: a byte string.
    case bytes([UInt8])
    /// Major type 3: a text string (always valid UTF-8).
    case text(String)
    /// Major type 4: an array.
    case array([CBOR])
    /// Major type 5: a map, as its key/value pairs in wire order.
    case map([Pair])
    /// Major type 6: a tag number and its content.
    case tagged(UInt64, CBOR)
    /// Major type 7, values 20 and 21.
    case bool(Bool)
    /// Major type 7, value 22.
    case null
    /// Major type 7, value 23.
    case undefined
    /// Major type 7: any other simple value (0...19 or 32...255).
    case simple(UInt8)
    /// A half-precision float, widened (exactly) to `Float`.
    case float16(Float)
    /// A single-precision float.
    case float32(Float)
    /// A double-precision float.
    case float64(Double)

    /// One entry of a ``CBOR/map(_:)``.
    public struct Pair: Sendable, Hashable {
        /// The key item.
        public var key: CBOR
        /// The value item.
        public var value: CBOR

        /// A pair of `key` and `value`.
        public init(_ key: CBOR, _ value: CBOR) {
            self.key = key
            self.value = value
        }
    }
}

extension CBOR {
    /// An integer item for `value`: `.unsigned` when it is non-negative, `.negative` otherwise.
    public static func int(_ value: Int64) -> CBOR {
        value >= 0 ? .unsigned(UInt64(value)) : .negative(UInt64(-(value + 1)))
    }

    /// The integer value if it fits in `Int`, for `.unsigned` and `.negative` items; `nil` otherwise.
    public var intValue: Int? {
        switch self {
        case .unsigned(let n):
            return n <= UInt64(Int.max) ? Int(n) : nil
        case .negative(let n):
            // -1 - n fits when n <= Int.max.
            return n <= UInt64(Int.max) ? -1 - Int(n) : nil
        default:
            return nil
        }
    }

    /// The value of an `.unsigned` item.
    public var unsignedValue: UInt64? {
        if case .unsigned(let n) = self { return n }
        return nil
    }

    /// The content of a `.bytes` item.
    public var bytesValue: [UInt8]? {
        if case .bytes(let b) = self { return b }
        return nil
    }

    /// The content of a `.text` item.
    public var textValue: String? {
        if case .text(let s) = self { return s }
        return nil
    }

    /// The elements of an `.array` item.
    public var arrayValue: [CBOR]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The pairs of a `.map` item.
    public var mapValue: [Pair]? {
        if case .map(let m) = self { return m }
        return nil
    }

    /// The value of a `.bool` item.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// For a map, the value of the first pair whose key equals `key`; `nil` for a missing key or a non-map.
    public subscript(key: CBOR) -> CBOR? {
        guard case .map(let pairs) = self else { return nil }
        return pairs.first(where: { $0.key == key })?.value
    }
}

extension CBOR: ExpressibleByIntegerLiteral {
    /// An integer item (see ``CBOR/int(_:)``).
    public init(integerLiteral value: Int64) {
        self = .int(value)
    }
}

extension CBOR: ExpressibleByStringLiteral {
    /// A text item.
    public init(stringLiteral value: String) {
        self = .text(value)
    }
}

extension CBOR: ExpressibleByBooleanLiteral {
    /// A `.bool` item.
    public init(booleanLiteral value: Bool) {
        self = .bool(value)
    }
}
