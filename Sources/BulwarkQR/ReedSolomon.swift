/// Reed–Solomon error-correction codewords over GF(2⁸) (ISO/IEC 18004 §7.5.2).
enum ReedSolomon {
    /// Coefficients of the generator polynomial (x − α⁰)(x − α¹)…(x − α^(degree−1)), highest
    /// power first, without the leading 1.
    static func generator(degree: Int) -> [UInt8] {
        precondition(degree >= 1 && degree <= 255)
        var coefficients = [UInt8](repeating: 0, count: degree)
        coefficients[degree - 1] = 1  // start from the polynomial 1
        var root: UInt8 = 1
        for _ in 0..<degree {
            // Multiply by (x − root); subtraction is XOR in GF(2⁸).
            for j in 0..<degree {
                coefficients[j] = GaloisField.multiply(coefficients[j], root)
                if j + 1 < degree { coefficients[j] ^= coefficients[j + 1] }
            }
            root = GaloisField.multiply(root, 2)
        }
        return coefficients
    }

    /// The remainder of data(x) · x^degree divided by the generator: the error-correction codewords.
    static func remainder(_ data: ArraySlice<UInt8>, generator: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: generator.count)
        for byte in data {
            let factor = byte ^ result.removeFirst()
            result.append(0)
            for i in result.indices { result[i] ^= GaloisField.multiply(generator[i], factor) }
        }
        return result
    }
}
