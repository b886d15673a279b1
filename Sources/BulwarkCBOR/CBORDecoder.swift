/// Bounds on what ``CBOR/decode(_:limits:)`` accepts, on top of the input's own length.
public struct CBORLimits: Sendable, Equatable {
    /// The deepest nesting accepted: a top-level item is at depth 1, an element of it at depth 2, and
    /// so on (tags count as a level). Values above 256 are treated as 256, which keeps the
    /// recursive decoder far from the end of any thread's stack.
    public var maxDepth: Int
    /// The most data items (of any kind, nested ones included) in one input.
    public var maxItems: Int

    /// Limits of `maxDepth` levels and `maxItems` items.
    public init(maxDepth: Int = 16, maxItems: Int = 65_536) {
        self.maxDepth = maxDepth
        self.maxItems = maxItems
    }

    /// Depth 16 and 65,536 items: far more than any WebAuthn structure needs.
    public static let `default` = CBORLimits()
}

extension CBOR {
    /// Decodes exactly one data item that spans all of `bytes`.
    ///
    /// Strict: indefinite lengths, reserved encodings, invalid UTF-8, duplicate map keys and trailing
    /// bytes are errors. A declared length is checked against the remaining input before anything is
    /// allocated, so no input makes the decoder allocate more than a small multiple of its length or trap.
    public static func decode(_ bytes: some Collection<UInt8>, limits: CBORLimits = .default) throws(CBORError) -> CBOR {
        let input = Array(bytes)
        var reader = CBORReader(input: input, limits: limits)
        let value = try reader.readItem(depth: 1)
        guard reader.position == input.count else { throw .trailingBytes }
        return value
    }

    /// Decodes one data item at the start of `bytes` and returns it with the bytes that follow it
    /// (for formats that append data after a CBOR item, such as WebAuthn authenticator data).
    public static func decodePrefix(
        _ bytes: ArraySlice<UInt8>, limits: CBORLimits = .default
    ) throws(CBORError) -> (value: CBOR, rest: ArraySlice<UInt8>) {
        var reader = CBORReader(input: Array(bytes), limits: limits)
        let value = try reader.readItem(depth: 1)
        return (value, bytes.dropFirst(reader.position))
    }

    /// Decodes one data item at the start of `bytes` and returns it with the bytes that follow it.
    public static func decodePrefix(
        _ bytes: [UInt8], limits: CBORLimits = .default
    ) throws(CBORError) -> (value: CBOR, rest: ArraySlice<UInt8>) {
        try decodePrefix(bytes[...], limits: limits)
    }
}

/// The cursor behind ``CBOR/decode(_:limits:)``: every read is bounds-checked and every length is
/// compared with what is left before it is used.
struct CBORReader {
    let input: [UInt8]
    let limits: CBORLimits
    private(set) var position = 0
    private var items = 0

    init(input: [UInt8], limits: CBORLimits) {
        self.input = input
        self.limits = limits
    }

    private var remaining: Int { input.count - position }

    private mutating func readByte() throws(CBORError) -> UInt8 {
        guard position < input.count else { throw .truncated }
        defer { position += 1 }
        return input[position]
    }

    /// Reads a big-endian unsigned integer of `count` (1, 2, 4 or 8) bytes.
    private mutating func readUInt(_ count: Int) throws(CBORError) -> UInt64 {
        guard remaining >= count else { throw .truncated }
        var value: UInt64 = 0
        for i in 0..<count {
            value = value << 8 | UInt64(input[position + i])
        }
        position += count
        return value
    }

    /// Reads `count` bytes, after checking that they are there.
    private mutating func readBytes(_ count: UInt64) throws(CBORError) -> [UInt8] {
        guard count <= UInt64(remaining) else { throw .lengthExceedsInput }
        let n = Int(count)
        defer { position += n }
        return Array(input[position..<(position + n)])
    }

    /// The argument of a head whose additional information is `info` (0...27); 28...31 are handled by callers.
    private mutating func readArgument(_ info: UInt8) throws(CBORError) -> UInt64 {
        switch info {
        case 0..<24: return UInt64(info)
        case 24: return try readUInt(1)
        case 25: return try readUInt(2)
        case 26: return try readUInt(4)
        case 27: return try readUInt(8)
        case 28, 29, 30: throw .reservedAdditionalInformation
        default: throw .indefiniteLength
        }
    }

    mutating func readItem(depth: Int) throws(CBORError) -> CBOR {
        guard depth <= min(limits.maxDepth, 256) else { throw .tooDeep }
        guard items < limits.maxItems else { throw .tooManyItems }
        items += 1

        let initial = try readByte()
        let major = initial >> 5
        let info = initial & 0x1f
        if major == 7 { return try readSimpleOrFloat(info) }

        let argument = try readArgument(info)
        switch major {
        case 0:
            return .unsigned(argument)
        case 1:
            return .negative(argument)
        case 2:
            return .bytes(try readBytes(argument))
        case 3:
            let raw = try readBytes(argument)
            guard let text = String(validating: raw, as: UTF8.self) else { throw .invalidUTF8 }
            return .text(text)
        case 4:
            // Every element takes at least one byte.
            guard argument <= UInt64(remaining) else { throw .lengthExceedsInput }
            let count = Int(argument)
            var elements: [CBOR] = []
            elements.reserveCapacity(count)
            for _ in 0..<count {
                elements.append(try readItem(depth: depth + 1))
            }
            return .array(elements)
        case 5:
            // Every pair takes at least two bytes.
            guard argument <= UInt64(remaining / 2) else { throw .lengthExceedsInput }
            let count = Int(argument)
            var pairs: [CBOR.Pair] = []
            pairs.reserveCapacity(count)
            var keys = Set<CBOR>()
            for _ in 0..<count {
                let key = try readItem(depth: depth + 1)
                guard keys.insert(key).inserted else { throw .duplicateMapKey }
                let value = try readItem(depth: depth + 1)
                pairs.append(CBOR.Pair(key, value))
            }
            return .map(pairs)
        default:  // 6
            return .tagged(argument, try readItem(depth: depth + 1))
        }
    }

    private mutating func readSimpleOrFloat(_ info: UInt8) throws(CBORError) -> CBOR {
        switch info {
        case 20: return .bool(false)
        case 21: return .bool(true)
        case 22: return .null
        case 23: return .undefined
        case 0..<20: return .simple(info)
        case 24:
            let value = try readByte()
            guard value >= 32 else { throw .invalidSimpleValue }
            return .simple(value)
        case 25:
            return .float16(CBORHalf.float(fromBits: UInt16(try readUInt(2))))
        case 26:
            return .float32(Float(bitPattern: UInt32(try readUInt(4))))
        case 27:
            return .float64(Double(bitPattern: try readUInt(8)))
        case 28, 29, 30:
            throw .reservedAdditionalInformation
        default:
            throw .unexpectedBreak
        }
    }
}
