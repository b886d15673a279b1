/// A growable sequence of bits, most significant first, for assembling the data bit stream.
struct BitBuffer {
    private(set) var bits: [Bool] = []

    var count: Int { bits.count }

    /// Appends the low `length` bits of `value`, most significant first.
    mutating func append(_ value: Int, length: Int) {
        precondition(length >= 0 && length <= 31 && value >> length == 0, "value does not fit in \(length) bits")
        for i in stride(from: length - 1, through: 0, by: -1) { bits.append((value >> i) & 1 == 1) }
    }

    /// The bits packed into bytes; the last byte is padded with zeros.
    var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: (bits.count + 7) / 8)
        for (i, bit) in bits.enumerated() where bit { out[i >> 3] |= 0x80 >> UInt8(i & 7) }
        return out
    }
}
