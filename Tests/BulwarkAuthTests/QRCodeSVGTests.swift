import BulwarkQR
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

@Suite("QR Code SVG rendering")
struct QRCodeSVGTests {
    let qr: QRCode

    init() throws {
        qr = try QRCode(text: "otpauth://totp/Bulwark:alice?secret=JBSWY3DPEHPK3PXP&issuer=Bulwark")
    }

    @Test func svgIsOneWhiteRectAndOneBlackPathSizedWithTheQuietZone() {
        let svg = qr.svg(moduleSize: 5, quietZone: 4)
        let side = qr.size + 8
        #expect(svg.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.contains("width=\"\(side * 5)\" height=\"\(side * 5)\""))
        #expect(svg.contains("viewBox=\"0 0 \(side) \(side)\""))
        #expect(svg.components(separatedBy: "<rect").count == 2)
        #expect(svg.contains("<rect width=\"\(side)\" height=\"\(side)\" fill=\"#ffffff\"/>"))
        #expect(svg.components(separatedBy: "<path").count == 2)
        #expect(svg.contains("<path fill=\"#000000\" d=\"M"))
        #expect(svg.hasSuffix("</svg>\n"))
    }

    @Test func svgIsWellFormedXML() throws {
        let document = try XMLDocument(xmlString: qr.svg(), options: [])
        #expect(document.rootElement()?.name == "svg")
        #expect(document.rootElement()?.children?.count == 2)
    }

    @Test(arguments: [0, 2, 4])
    func pathDrawsExactlyTheDarkModules(quietZone: Int) throws {
        let svg = qr.svg(moduleSize: 3, quietZone: quietZone)
        let start = try #require(svg.range(of: " d=\""))
        let end = try #require(svg[start.upperBound...].firstIndex(of: "\""))
        let path = svg[start.upperBound..<end]
        var drawn = [[Bool]](repeating: [Bool](repeating: false, count: qr.size), count: qr.size)
        // Each rectangle is "M{x} {y}h{w}v1h-{w}z", one row high.
        for rectangle in path.split(separator: "z") {
            let numbers = rectangle.split(whereSeparator: { "Mhv -".contains($0) }).compactMap { Int($0) }
            #expect(numbers.count == 5 && numbers[3] == 1 && numbers[2] == numbers[4], "\(rectangle)")
            let (x, y, width) = (numbers[0] - quietZone, numbers[1] - quietZone, numbers[2])
            for dx in 0..<width {
                #expect(!drawn[y][x + dx], "module drawn twice")
                drawn[y][x + dx] = true
            }
        }
        #expect(drawn == qr.modules)
    }
}
