/// IEEE 754 half-precision conversions, done by hand so that they work wherever `Float16` does not.
enum CBORHalf {
    /// The exact `Float` value of a half-precision bit pattern (RFC 8949 Appendix D).
    static func float(fromBits bits: UInt16) -> Float {
        let negative = bits & 0x8000 != 0
        let exponent = Int((bits >> 10) & 0x1f)
        let mantissa = Float(bits & 0x3ff)
        let magnitude: Float
        switch exponent {
        case 0:
            magnitude = Float(sign: .plus, exponent: -24, significand: mantissa)
        case 31:
            magnitude = bits & 0x3ff == 0 ? .infinity : .nan
        default:
            magnitude = Float(sign: .plus, exponent: exponent - 25, significand: mantissa + 1024)
        }
        return negative ? -magnitude : magnitude
    }

    /// The half-precision bit pattern of `value` if it converts exactly (NaN becomes the canonical
    /// quiet NaN `0x7e00`); `nil` when half precision would lose range or precision.
    static func bits(exactly value: Float) -> UInt16? {
        let sign: UInt16 = value.sign == .minus ? 0x8000 : 0
        if value.isNaN { return 0x7e00 }
        if value.isInfinite { return sign | 0x7c00 }
        if value == 0 { return sign }
        let magnitude = value.magnitude
        let exponent = Int(magnitude.exponent)
        guard exponent <= 15, exponent >= -24 else { return nil }
        let candidate: UInt16
        if exponent >= -14 {
            let scaled = (magnitude.significand - 1) * 1024
            guard scaled == scaled.rounded(.towardZero) else { return nil }
            candidate = UInt16(exponent + 15) << 10 | UInt16(scaled)
        } else {
            let scaled = magnitude * 16_777_216  // 2^24: subnormals are multiples of 2^-24
            guard scaled == scaled.rounded(.towardZero), scaled < 1024 else { return nil }
            candidate = UInt16(scaled)
        }
        return sign | candidate
    }
}
