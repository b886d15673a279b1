/// The mask-selection score of a finished symbol (ISO/IEC 18004 §7.8.3, Table 11): the lower,
/// the easier to read. Modules outside the symbol (the quiet zone) count as light.
enum QRPenalty {
    /// N1: a run of five or more same-coloured modules in a row or column scores 3 plus one per
    /// module beyond five.
    static let n1 = 3
    /// N2: every 2×2 block of one colour (overlapping blocks each count).
    static let n2 = 3
    /// N3: a dark-light-dark-dark-dark-light-dark (1:1:3:1:1) run in a row or column with four
    /// light modules before or after it, which looks like a finder pattern.
    static let n3 = 40
    /// N4: per 5 % step that the dark share strays beyond 45–55 %.
    static let n4 = 10

    static func score(_ matrix: QRMatrix) -> Int {
        let size = matrix.size
        var total = 0
        var line = [Bool](repeating: false, count: size)
        for i in 0..<size {
            for j in 0..<size { line[j] = matrix[j, i] }
            total += runScore(line) + finderLikeScore(line)
            for j in 0..<size { line[j] = matrix[i, j] }
            total += runScore(line) + finderLikeScore(line)
        }
        var darkCount = 0
        for y in 0..<size {
            for x in 0..<size {
                if matrix[x, y] { darkCount += 1 }
                if x + 1 < size, y + 1 < size {
                    let colour = matrix[x, y]
                    if matrix[x + 1, y] == colour, matrix[x, y + 1] == colour, matrix[x + 1, y + 1] == colour {
                        total += n2
                    }
                }
            }
        }
        return total + balanceScore(dark: darkCount, total: size * size)
    }

    /// Rule 1 for one row or column.
    static func runScore(_ line: [Bool]) -> Int {
        var score = 0
        var runLength = 0
        var previous: Bool? = nil
        for module in line {
            if module == previous {
                runLength += 1
            } else {
                if runLength >= 5 { score += n1 + runLength - 5 }
                runLength = 1
                previous = module
            }
        }
        if runLength >= 5 { score += n1 + runLength - 5 }
        return score
    }

    /// Rule 3 for one row or column: each 1011101 occurrence with four light modules (or the edge
    /// of the symbol) on at least one side scores once. Occurrences are counted without overlap:
    /// after a scoring one the scan resumes past its end, as segno does (two finder-like patterns
    /// sharing a dark module score once).
    static func finderLikeScore(_ line: [Bool]) -> Int {
        let pattern = [true, false, true, true, true, false, true]
        let count = line.count
        func isLight(_ i: Int) -> Bool { i < 0 || i >= count || !line[i] }
        var score = 0
        var start = 0
        while start + pattern.count <= count {
            if (0..<pattern.count).allSatisfy({ line[start + $0] == pattern[$0] }),
                (start - 4..<start).allSatisfy(isLight) || (start + 7..<start + 11).allSatisfy(isLight)
            {
                score += n3
                start += pattern.count
            } else {
                start += 1
            }
        }
        return score
    }

    /// Rule 4: 10 points for each full 5 % step of deviation beyond 5 % from an even split, that is
    /// the smallest k with (45 − 5k) % ≤ dark share ≤ (55 + 5k) %.
    static func balanceScore(dark: Int, total: Int) -> Int {
        // Symbols have an odd number of modules, so the share is never exactly 50 %.
        let k = max(0, (abs(dark * 20 - total * 10) + total - 1) / total - 1)
        return k * n4
    }
}
