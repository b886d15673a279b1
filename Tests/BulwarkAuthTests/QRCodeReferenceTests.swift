@testable import BulwarkQR
import Testing

/// Module-for-module comparison with matrices produced by an independent encoder (PyPI's
/// python-qrcode 8.2, `Fixtures/qr_reference.json`), with the mask forced so that only the encoding
/// is compared: mask selection legitimately differs between encoders (python-qrcode and segno
/// themselves disagree on it for most of these inputs).
///
/// Penalty scores are compared with segno's implementation of the four rules (`mask_scores`),
/// applied to python-qrcode's finished symbol under each mask.
///
/// segno 1.6.6 was checked too: it matches wherever the data fills the symbol, and elsewhere
/// writes a stray 0x00 codeword ahead of the 0xEC/0x11 pad codewords (its bit-padding step adds
/// eight zero bits to a stream that is already byte-aligned), so its matrices are not used.
@Suite("QR Code matrices equal python-qrcode's")
struct QRCodeReferenceTests {
    struct Reference: Decodable, Sendable, CustomTestStringConvertible {
        let text: String
        let level: String
        let mask: Int
        let version: Int
        let rows: [String]
        let segnoAgrees: Bool
        let segnoPenaltyByMask: [Int]

        var testDescription: String { "version \(version)-\(level), mask \(mask), \(text.utf8.count) bytes" }

        var errorCorrection: QRCode.ErrorCorrection {
            switch level {
            case "L": .low
            case "Q": .quartile
            case "H": .high
            default: .medium
            }
        }

        var modules: [[Bool]] { rows.map { $0.map { $0 == "1" } } }
    }

    struct File: Decodable {
        let generator: String
        let cases: [Reference]
    }

    static func references() throws -> [Reference] {
        try Fixtures.decode(File.self, from: "qr_reference.json").cases
    }

    @Test func referencesCoverEveryLevelAndMaskAndVersionsUpTo40() throws {
        let references = try Self.references()
        #expect(references.count == 12)
        #expect(Set(references.map(\.level)) == ["L", "M", "Q", "H"])
        #expect(Set(references.map(\.mask)) == Set(0..<8))
        #expect(references.contains { $0.version >= 7 && $0.version <= 10 })
        #expect(references.contains { $0.version == 40 })
    }

    @Test(arguments: try references())
    func matrixEqualsPythonQRCodeWithTheSameMask(reference: Reference) throws {
        let qr = try QRCode(text: reference.text, errorCorrection: reference.errorCorrection, mask: reference.mask)
        #expect(qr.version == reference.version)
        #expect(qr.mask == reference.mask)
        let expected = reference.modules
        #expect(qr.size == expected.count)
        let differing = zip(qr.modules, expected).enumerated().flatMap { y, rows in
            zip(rows.0, rows.1).enumerated().compactMap { x, pair in pair.0 == pair.1 ? nil : "(\(x),\(y))" }
        }
        #expect(differing.isEmpty, "modules differ at \(differing.prefix(20).joined(separator: " "))")
    }

    @Test(arguments: try references())
    func penaltyOfEveryMaskEqualsSegnosScoring(reference: Reference) throws {
        let bytes = Array(reference.text.utf8)
        let unmasked = QRCode.unmaskedMatrix(bytes, version: reference.version, level: reference.errorCorrection)
        let scores = QRCode.penalties(for: unmasked, level: reference.errorCorrection)
        #expect(scores == reference.segnoPenaltyByMask)
        let chosen = try QRCode(bytes: bytes, errorCorrection: reference.errorCorrection).mask
        #expect(reference.segnoPenaltyByMask[chosen] == reference.segnoPenaltyByMask.min())
    }
}
