/// Arithmetic in GF(2⁸) with the QR Code's primitive polynomial x⁸ + x⁴ + x³ + x² + 1 (0x11D),
/// where α = 2 generates every non-zero element.
enum GaloisField {
    /// exp[i] = αⁱ for i in 0..<255, repeated once so that exp[a + b] needs no reduction.
    static let exp: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 512)
        var value = 1
        for i in 0..<255 {
            table[i] = UInt8(value)
            value <<= 1
            if value & 0x100 != 0 { value ^= 0x11D }
        }
        for i in 255..<512 { table[i] = table[i - 255] }
        return table
    }()

    /// log[x] = i such that αⁱ = x, for x ≠ 0 (log[0] is unused).
    static let log: [Int] = {
        var table = [Int](repeating: 0, count: 256)
        for i in 0..<255 { table[Int(exp[i])] = i }
        return table
    }()

    /// The product of two field elements.
    static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        guard a != 0, b != 0 else { return 0 }
        return exp[log[Int(a)] + log[Int(b)]]
    }
}
