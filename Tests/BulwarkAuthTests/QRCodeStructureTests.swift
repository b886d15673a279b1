@testable import BulwarkQR
import Testing

@Suite("QR Code encoder: tables, codewords and symbol structure")
struct QRCodeStructureTests {
    // MARK: Reed–Solomon and codewords

    /// ISO/IEC 18004 Annex I: "01234567" as version 1-M has these 16 data codewords and 10
    /// error-correction codewords.
    @Test func reedSolomonMatchesTheStandardsWorkedExample() {
        let data: [UInt8] = [0x10, 0x20, 0x0C, 0x56, 0x61, 0x80, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11]
        let ecc = ReedSolomon.remainder(data[...], generator: ReedSolomon.generator(degree: 10))
        #expect(ecc == [0xA5, 0x24, 0xD4, 0xC1, 0xED, 0x36, 0xC7, 0x87, 0x2C, 0x55])
    }

    @Test func galoisFieldGeneratorCyclesThroughEveryNonZeroElement() {
        #expect(Set(GaloisField.exp[0..<255]).count == 255)
        #expect(GaloisField.exp[8] == 0x1D)  // α⁸ = x⁴ + x³ + x² + 1
        for a in 1...255 {
            #expect(GaloisField.multiply(UInt8(a), GaloisField.exp[255 - GaloisField.log[a]]) == 1)
        }
    }

    @Test func byteModeDataIsModeCountBytesTerminatorAndAlternatingPad() {
        let codewords = QRCodewords.dataCodewords(Array("AB".utf8), version: 1, level: .high)
        // 0100 00000010 01000001 01000010 0000, then EC 11 EC … to 9 codewords.
        #expect(codewords == [0x40, 0x24, 0x14, 0x20, 0xEC, 0x11, 0xEC, 0x11, 0xEC])
    }

    @Test func blocksAreInterleavedShortBlocksFirst() {
        // Version 5-Q: 2 blocks of 15 and 2 of 16 data codewords, 18 ECC codewords each.
        let data = (0..<62).map { UInt8($0) }
        let result = QRCodewords.interleaved(data, version: 5, level: .quartile)
        #expect(result.count == 134)
        #expect(Array(result[0..<8]) == [0, 15, 30, 46, 1, 16, 31, 47])
        // The sixteenth column exists only in the two long blocks.
        #expect(Array(result[56..<62]) == [14, 29, 44, 60, 45, 61])
    }

    // MARK: Capacity and version choice

    /// Byte-mode capacities from ISO/IEC 18004 Table 7.
    @Test(arguments: [
        (1, QRCode.ErrorCorrection.medium, 14), (2, .medium, 26), (3, .medium, 42), (4, .medium, 62), (5, .medium, 84),
        (6, .medium, 106), (7, .medium, 122), (8, .medium, 152), (9, .medium, 180), (10, .medium, 213),
        (1, .low, 17), (1, .quartile, 11), (1, .high, 7), (10, .low, 271), (10, .quartile, 151), (10, .high, 119),
        (40, .low, 2953), (40, .medium, 2331), (40, .quartile, 1663), (40, .high, 1273),
    ])
    func byteCapacityMatchesTheStandard(version: Int, level: QRCode.ErrorCorrection, capacity: Int) {
        #expect(QRCode.byteCapacity(version: version, errorCorrection: level) == capacity)
    }

    @Test func everyVersionsCodewordsFillItsDataModules() {
        for version in 1...40 {
            let modules = QRVersionTable.rawDataModules(version)
            #expect([0, 3, 4, 7].contains(modules % 8), "version \(version)")
            for level in QRCode.ErrorCorrection.allCases {
                let blocks = QRVersionTable.blockCount[level.tableIndex][version]
                #expect(QRVersionTable.totalCodewords(version) / blocks > QRVersionTable.eccCodewordsPerBlock[level.tableIndex][version])
            }
        }
    }

    @Test func smallestVersionThatFitsIsChosen() throws {
        #expect(try QRCode(text: String(repeating: "a", count: 14)).version == 1)
        #expect(try QRCode(text: String(repeating: "a", count: 15)).version == 2)
        #expect(try QRCode(text: String(repeating: "a", count: 213)).version == 10)
        #expect(try QRCode(text: String(repeating: "a", count: 214)).version == 11)
        #expect(try QRCode(text: "", errorCorrection: .high).version == 1)
        #expect(try QRCode(text: "x", minimumVersion: 5).version == 5)
    }

    @Test func otpauthURIOfAbout120CharactersFits() throws {
        let uri = "otpauth://totp/Bulwark:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Bulwark&algorithm=SHA1&digits=6&period=30"
        let qr = try QRCode(text: uri)
        #expect(qr.version <= 10)
        #expect(qr.size == 17 + 4 * qr.version)
    }

    @Test func tooMuchDataIsAnError() {
        #expect(throws: QRCode.EncodingError.dataTooLong(byteCount: 2332, maximum: 2331)) {
            try QRCode(text: String(repeating: "a", count: 2332))
        }
        #expect(throws: QRCode.EncodingError.dataTooLong(byteCount: 214, maximum: 213)) {
            try QRCode(text: String(repeating: "a", count: 214), maximumVersion: 10)
        }
        #expect(throws: QRCode.EncodingError.invalidMask(8)) { try QRCode(text: "a", mask: 8) }
        #expect(throws: QRCode.EncodingError.invalidVersionRange) { try QRCode(text: "a", minimumVersion: 0) }
        #expect(throws: QRCode.EncodingError.invalidVersionRange) { try QRCode(text: "a", minimumVersion: 5, maximumVersion: 4) }
    }

    // MARK: Format and version information

    /// ISO/IEC 18004 Annex C, Table C.1, indexed by (level bits << 3 | mask): M, L, H, Q.
    static let formatTable: [Int] = [
        0x5412, 0x5125, 0x5E7C, 0x5B4B, 0x45F9, 0x40CE, 0x4F97, 0x4AA0,
        0x77C4, 0x72F3, 0x7DAA, 0x789D, 0x662F, 0x6318, 0x6C41, 0x6976,
        0x1689, 0x13BE, 0x1CE7, 0x19D0, 0x0762, 0x0255, 0x0D0C, 0x083B,
        0x355F, 0x3068, 0x3F31, 0x3A06, 0x24B4, 0x2183, 0x2EDA, 0x2BED,
    ]

    @Test func formatBitsMatchAnnexC() {
        for level in QRCode.ErrorCorrection.allCases {
            for mask in 0..<8 {
                #expect(QRFormatInformation.formatBits(level: level, mask: mask) == Self.formatTable[level.formatBits << 3 | mask])
            }
        }
    }

    /// ISO/IEC 18004 Annex D, Table D.1, versions 7–40.
    @Test func versionBitsMatchAnnexD() {
        let table = [
            0x07C94, 0x085BC, 0x09A99, 0x0A4D3, 0x0BBF6, 0x0C762, 0x0D847, 0x0E60D, 0x0F928, 0x10B78, 0x1145D, 0x12A17,
            0x13532, 0x149A6, 0x15683, 0x168C9, 0x177EC, 0x18EC4, 0x191E1, 0x1AFAB, 0x1B08E, 0x1CC1A, 0x1D33F, 0x1ED75,
            0x1F250, 0x209D5, 0x216F0, 0x228BA, 0x2379F, 0x24B0B, 0x2542E, 0x26A64, 0x27541, 0x28C69,
        ]
        #expect((7...40).map(QRFormatInformation.versionBits) == table)
    }

    @Test(arguments: [(1, [Int]()), (2, [6, 18]), (7, [6, 22, 38]), (10, [6, 28, 50]), (14, [6, 26, 46, 66]),
                      (32, [6, 34, 60, 86, 112, 138]), (36, [6, 24, 50, 76, 102, 128, 154]), (40, [6, 30, 58, 86, 114, 142, 170])])
    func alignmentPositionsMatchAnnexE(version: Int, positions: [Int]) {
        #expect(QRVersionTable.alignmentPositions(version) == positions)
    }

    // MARK: The finished symbol

    @Test(arguments: QRCode.ErrorCorrection.allCases)
    func symbolCarriesFinderTimingDarkModuleAndBothFormatCopies(level: QRCode.ErrorCorrection) throws {
        let qr = try QRCode(text: String(repeating: "bulwark ", count: 20), errorCorrection: level)
        let size = qr.size
        for (cx, cy) in [(3, 3), (size - 4, 3), (3, size - 4)] {
            for dy in -3...3 {
                for dx in -3...3 {
                    let ring = max(abs(dx), abs(dy))
                    #expect(qr[cx + dx, cy + dy] == (ring != 2), "finder at \(cx),\(cy)")
                }
            }
        }
        for i in 8..<(size - 8) {
            #expect(qr[i, 6] == (i % 2 == 0))
            #expect(qr[6, i] == (i % 2 == 0))
        }
        #expect(qr[8, size - 8])

        var first = 0
        var second = 0
        let firstCopy = (0...5).map { (8, $0) } + [(8, 7), (8, 8), (7, 8)] + (9..<15).map { (14 - $0, 8) }
        let secondCopy = (0..<8).map { (size - 1 - $0, 8) } + (8..<15).map { (8, size - 15 + $0) }
        for (i, (x, y)) in firstCopy.enumerated() where qr[x, y] { first |= 1 << i }
        for (i, (x, y)) in secondCopy.enumerated() where qr[x, y] { second |= 1 << i }
        #expect(first == second)
        #expect(first == Self.formatTable[level.formatBits << 3 | qr.mask])
    }

    @Test func versionSevenAndUpCarryBothVersionBlocks() throws {
        let qr = try QRCode(text: String(repeating: "v", count: 150))
        #expect(qr.version == 8)
        var topRight = 0
        var bottomLeft = 0
        for i in 0..<18 {
            if qr[qr.size - 11 + i % 3, i / 3] { topRight |= 1 << i }
            if qr[i / 3, qr.size - 11 + i % 3] { bottomLeft |= 1 << i }
        }
        #expect(topRight == 0x085BC)
        #expect(bottomLeft == 0x085BC)
    }

    @Test(arguments: ["Bulwark", String(repeating: "0123456789", count: 12), String(repeating: "x", count: 400)])
    func chosenMaskHasTheLowestPenalty(text: String) throws {
        let qr = try QRCode(text: text)
        let unmasked = QRCode.unmaskedMatrix(Array(text.utf8), version: qr.version, level: qr.errorCorrection)
        let scores = QRCode.penalties(for: unmasked, level: qr.errorCorrection)
        #expect(scores[qr.mask] == scores.min())
        #expect(scores.firstIndex(of: scores.min()!) == qr.mask)
        #expect(Set(scores).count > 1)
        #expect(try QRCode(text: text, mask: qr.mask) == qr)
    }

    @Test func penaltyRulesScoreAsTheStandardDescribes() {
        // Rule 1: runs of 5 score 3, runs of 7 score 5; shorter runs nothing.
        #expect(QRPenalty.runScore([true, true, true, true, false, false, false, false, false]) == 3)
        #expect(QRPenalty.runScore([Bool](repeating: false, count: 7)) == 5)
        #expect(QRPenalty.runScore([true, false, true, false]) == 0)
        // Rule 3: 1011101 with four light modules on one side, or at the edge of the symbol.
        let finderLike: [Bool] = [false, false, false, false, true, false, true, true, true, false, true, true, true]
        #expect(QRPenalty.finderLikeScore(finderLike) == 40)
        #expect(QRPenalty.finderLikeScore([true, false, true, true, true, false, true, true]) == 40)
        #expect(QRPenalty.finderLikeScore([true, true, false, true, true, true, false, true, true]) == 0)
        // Two patterns sharing a module, light before the first and after the second, score once.
        let overlapping = [false, false, false, false] + [true, false, true, true, true, false]
            + [true, false, true, true, true, false, true] + [false, false, false, false]
        #expect(QRPenalty.finderLikeScore(overlapping) == 40)
        // Rule 4: 45–55 % scores nothing; 59 % scores 10 (k = 1), 60.1 % 20; 100 % scores 90.
        #expect(QRPenalty.balanceScore(dark: 221, total: 441) == 0)
        #expect(QRPenalty.balanceScore(dark: 240, total: 441) == 0)
        #expect(QRPenalty.balanceScore(dark: 260, total: 441) == 10)
        #expect(QRPenalty.balanceScore(dark: 265, total: 441) == 20)
        #expect(QRPenalty.balanceScore(dark: 441, total: 441) == 90)
    }

    @Test func sameInputGivesTheSameSymbol() throws {
        #expect(try QRCode(text: "same") == QRCode(text: "same"))
        #expect(try QRCode(text: "same") != QRCode(text: "Same"))
    }
}
