import BulwarkAuth
import BulwarkQR
import Foundation
import Testing

/// Reads generated symbols back the way a phone would, with independent tools: librsvg renders the
/// SVG to a PNG and ZBar decodes it.
@Suite("QR Codes decode with zbarimg")
struct QRCodeDecodingTests {
    struct Sample: Sendable, CustomTestStringConvertible {
        let text: String
        let level: QRCode.ErrorCorrection
        var testDescription: String { "\(text.utf8.count) bytes at \(level)" }
    }

    static let otpauthURI = TOTP(secret: Array("Bulwark-enrolment!!!".utf8))
        .otpauthURI(issuer: "Bulwark Registry", account: "alice@example.com")

    static let samples: [Sample] = [
        Sample(text: "Bulwark", level: .medium),
        Sample(text: otpauthURI, level: .medium),
        Sample(text: otpauthURI, level: .low),
        Sample(text: otpauthURI, level: .quartile),
        Sample(text: otpauthURI, level: .high),
        Sample(text: "https://bulwark.example/packages/acme/swift-nio?version=2.0.0", level: .medium),
        Sample(text: String(repeating: "swift-registry ", count: 14), level: .medium),
        Sample(text: (0..<300).map { String(UnicodeScalar(UInt8(33 + ($0 * 7) % 94))) }.joined(), level: .medium),
        Sample(text: String(repeating: "0123456789abcdef", count: 40), level: .low),
        Sample(text: "Bulwark ✓ café — zoë, 日本語", level: .medium),
    ]

    @Test func samplesSpanManyVersions() throws {
        let versions = try Set(Self.samples.map { try QRCode(text: $0.text, errorCorrection: $0.level).version })
        #expect(versions.count >= 6)
        #expect(versions.contains(1))
        #expect(versions.contains { $0 >= 7 })
        #expect(versions.contains { $0 > 10 })
    }

    @Test(
        .enabled(
            if: ExternalTool.shouldRun("rsvg-convert", "zbarimg"),
            "rsvg-convert or zbarimg is not installed (apt-get install librsvg2-bin zbar-tools)"),
        arguments: samples
    )
    func zbarimgReadsBackExactlyTheEncodedText(sample: Sample) async throws {
        let rsvg = try ExternalTool.require("rsvg-convert", package: "librsvg2-bin")
        let zbarimg = try ExternalTool.require("zbarimg", package: "zbar-tools")
        let qr = try QRCode(text: sample.text, errorCorrection: sample.level)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-qr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let svgURL = directory.appendingPathComponent("qr.svg")
        let pngURL = directory.appendingPathComponent("qr.png")
        try Data(qr.svg(moduleSize: 4).utf8).write(to: svgURL)

        // At least 4 pixels a module, and never under the 400 px a phone screenshot would give.
        let width = max(400, (qr.size + 8) * 4)
        let render = try await ExternalTool.run(rsvg, ["-w", "\(width)", "-b", "white", svgURL.path, "-o", pngURL.path])
        try #require(render.status == 0, "rsvg-convert failed: \(render.stderr)")

        let decoded = try await ExternalTool.run(zbarimg, ["--raw", "-q", pngURL.path])
        #expect(decoded.status == 0, "zbarimg found no symbol in version \(qr.version): \(decoded.stderr)")
        #expect(decoded.stdout == sample.text + "\n", "version \(qr.version)-\(sample.level), mask \(qr.mask)")
    }

    @Test(
        .enabled(
            if: ExternalTool.shouldRun("rsvg-convert", "zbarimg"),
            "rsvg-convert or zbarimg is not installed (apt-get install librsvg2-bin zbar-tools)"),
        arguments: 0..<8
    )
    func everyMaskDecodes(mask: Int) async throws {
        let rsvg = try ExternalTool.require("rsvg-convert", package: "librsvg2-bin")
        let zbarimg = try ExternalTool.require("zbarimg", package: "zbar-tools")
        let text = Self.otpauthURI
        let qr = try QRCode(text: text, mask: mask)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-qr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let svgURL = directory.appendingPathComponent("qr.svg")
        let pngURL = directory.appendingPathComponent("qr.png")
        try Data(qr.svg().utf8).write(to: svgURL)
        let render = try await ExternalTool.run(rsvg, ["-w", "400", "-b", "white", svgURL.path, "-o", pngURL.path])
        try #require(render.status == 0, "rsvg-convert failed: \(render.stderr)")
        let decoded = try await ExternalTool.run(zbarimg, ["--raw", "-q", pngURL.path])
        #expect(decoded.stdout == text + "\n", "mask \(mask): \(decoded.stderr)")
    }
}
