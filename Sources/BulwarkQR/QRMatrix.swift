/// A symbol under construction: module colours plus which modules belong to function patterns
/// (and so are never data or masked). Coordinates are `x` (column) and `y` (row) from the top left.
struct QRMatrix {
    let version: Int
    let size: Int
    /// Dark modules, row-major.
    private(set) var dark: [Bool]
    /// Function-pattern modules, row-major.
    private(set) var isFunction: [Bool]

    /// A symbol of `version` with every function pattern drawn and the format and version areas
    /// reserved.
    init(version: Int) {
        self.version = version
        size = QRVersionTable.size(version)
        dark = [Bool](repeating: false, count: size * size)
        isFunction = [Bool](repeating: false, count: size * size)
        drawFunctionPatterns()
    }

    subscript(x: Int, y: Int) -> Bool { dark[y * size + x] }

    /// Rows of booleans, `true` for dark.
    var rows: [[Bool]] { (0..<size).map { Array(dark[$0 * size..<($0 + 1) * size]) } }

    private mutating func setFunction(_ x: Int, _ y: Int, _ isDark: Bool) {
        dark[y * size + x] = isDark
        isFunction[y * size + x] = true
    }

    // MARK: Function patterns (§6.3)

    private mutating func drawFunctionPatterns() {
        // Timing patterns: row 6 and column 6 alternate, starting dark.
        for i in 0..<size {
            setFunction(6, i, i % 2 == 0)
            setFunction(i, 6, i % 2 == 0)
        }
        // Finder patterns with their separators, in three corners.
        drawFinderPattern(centreX: 3, centreY: 3)
        drawFinderPattern(centreX: size - 4, centreY: 3)
        drawFinderPattern(centreX: 3, centreY: size - 4)
        // Alignment patterns, except where they would overlap a finder pattern.
        let positions = QRVersionTable.alignmentPositions(version)
        let last = positions.count - 1
        for (i, x) in positions.enumerated() {
            for (j, y) in positions.enumerated() {
                if (i == 0 && j == 0) || (i == 0 && j == last) || (i == last && j == 0) { continue }
                drawAlignmentPattern(centreX: x, centreY: y)
            }
        }
        // Reserve the format areas (the real bits depend on the mask) and draw the version bits.
        drawFormatBits(0)
        drawVersionBits()
    }

    /// A 7×7 finder pattern and the light separator ring around it (clipped at the edges).
    private mutating func drawFinderPattern(centreX: Int, centreY: Int) {
        for dy in -4...4 {
            for dx in -4...4 {
                let x = centreX + dx
                let y = centreY + dy
                guard x >= 0, x < size, y >= 0, y < size else { continue }
                let ring = max(abs(dx), abs(dy))
                setFunction(x, y, ring != 2 && ring != 4)
            }
        }
    }

    /// A 5×5 alignment pattern: dark centre, light ring, dark ring.
    private mutating func drawAlignmentPattern(centreX: Int, centreY: Int) {
        for dy in -2...2 {
            for dx in -2...2 {
                setFunction(centreX + dx, centreY + dy, max(abs(dx), abs(dy)) != 1)
            }
        }
    }

    /// The two copies of the 15 format bits (§7.9.1, Figure 25) and the dark module at (8, size − 8).
    /// Bit 0 is the least significant.
    mutating func drawFormatBits(_ bits: Int) {
        func bit(_ i: Int) -> Bool { (bits >> i) & 1 == 1 }
        // Around the top-left finder: down column 8, then left along row 8.
        for i in 0...5 { setFunction(8, i, bit(i)) }
        setFunction(8, 7, bit(6))
        setFunction(8, 8, bit(7))
        setFunction(7, 8, bit(8))
        for i in 9..<15 { setFunction(14 - i, 8, bit(i)) }
        // Split between the other two finders: row 8 at the right, column 8 at the bottom.
        for i in 0..<8 { setFunction(size - 1 - i, 8, bit(i)) }
        for i in 8..<15 { setFunction(8, size - 15 + i, bit(i)) }
        setFunction(8, size - 8, true)
    }

    /// The two 6×3 copies of the 18 version bits (§7.10), for versions 7 and up.
    private mutating func drawVersionBits() {
        guard version >= 7 else { return }
        let bits = QRFormatInformation.versionBits(version)
        for i in 0..<18 {
            let isDark = (bits >> i) & 1 == 1
            let a = size - 11 + i % 3
            let b = i / 3
            setFunction(a, b, isDark)  // above-left of the top-right finder
            setFunction(b, a, isDark)  // above-right of the bottom-left finder
        }
    }

    // MARK: Data (§7.7.3) and masking (§7.8)

    /// Places codewords, most significant bit first, in two-module-wide columns from the right
    /// edge, zig-zagging up then down and skipping the vertical timing column. Remainder modules
    /// stay light.
    mutating func placeCodewords(_ codewords: [UInt8]) {
        let bitCount = codewords.count * 8
        var index = 0
        var right = size - 1
        while right >= 1 {
            if right == 6 { right = 5 }
            let upward = ((right + 1) & 2) == 0
            for vertical in 0..<size {
                let y = upward ? size - 1 - vertical : vertical
                for column in 0..<2 {
                    let x = right - column
                    guard !isFunction[y * size + x], index < bitCount else { continue }
                    dark[y * size + x] = (codewords[index >> 3] >> UInt8(7 - (index & 7))) & 1 == 1
                    index += 1
                }
            }
            right -= 2
        }
        precondition(index == bitCount, "codewords do not fill the symbol")
    }

    /// Inverts the non-function modules selected by `mask`; applying the same mask again undoes it.
    mutating func applyMask(_ mask: Int) {
        for y in 0..<size {
            for x in 0..<size where !isFunction[y * size + x] && QRMask.inverts(mask, row: y, column: x) {
                dark[y * size + x].toggle()
            }
        }
    }
}
