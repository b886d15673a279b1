/// The eight data mask patterns (ISO/IEC 18004 §7.8.2, Table 10). A module at row `i`, column `j`
/// of the encoding region is inverted where the pattern's condition holds.
enum QRMask {
    static let all = 0..<8

    static func inverts(_ mask: Int, row i: Int, column j: Int) -> Bool {
        switch mask {
        case 0: (i + j) % 2 == 0
        case 1: i % 2 == 0
        case 2: j % 3 == 0
        case 3: (i + j) % 3 == 0
        case 4: (i / 2 + j / 3) % 2 == 0
        case 5: (i * j) % 2 + (i * j) % 3 == 0
        case 6: ((i * j) % 2 + (i * j) % 3) % 2 == 0
        case 7: ((i + j) % 2 + (i * j) % 3) % 2 == 0
        default: preconditionFailure("mask \(mask) is not in 0...7")
        }
    }
}
