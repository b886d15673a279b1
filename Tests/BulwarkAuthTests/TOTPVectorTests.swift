import BulwarkAuth
import Foundation
import Testing

/// One row of RFC 6238 Appendix B, as stored in `Fixtures/totp_vectors.json`.
struct TOTPVector: Decodable, Sendable, CustomTestStringConvertible {
    let alg: String
    let secretBase32: String
    let unixTime: Int64
    let digits: Int
    let period: Int
    let counter: UInt64
    let expected: String

    enum CodingKeys: String, CodingKey {
        case alg, digits, period, counter, expected
        case secretBase32 = "secret_base32"
        case unixTime = "unix_time"
    }

    var testDescription: String { "\(alg) \(digits) digits at \(unixTime)" }

    static func all() throws -> [TOTPVector] {
        try Fixtures.decode([TOTPVector].self, from: "totp_vectors.json")
    }

    func totp() throws -> TOTP {
        let algorithm = try #require(OTPAlgorithm(rawValue: alg.uppercased()))
        let digits = try #require(OTPDigits(rawValue: digits))
        return TOTP(secret: try Base32.decode(secretBase32), algorithm: algorithm, digits: digits, period: period)
    }
}

@Suite("TOTP and HOTP reference vectors")
struct TOTPVectorTests {
    @Test func fixtureHoldsAllEighteenRFC6238VectorsAndTheirSixDigitForms() throws {
        let vectors = try TOTPVector.all()
        let eightDigit = vectors.filter { $0.digits == 8 }
        #expect(eightDigit.count == 18)
        #expect(Set(eightDigit.map(\.alg)) == ["sha1", "sha256", "sha512"])
        #expect(Set(eightDigit.map(\.unixTime)) == [59, 1_111_111_109, 1_111_111_111, 1_234_567_890, 2_000_000_000, 20_000_000_000])
    }

    @Test(arguments: try TOTPVector.all())
    func codeMatchesRFC6238AppendixB(_ vector: TOTPVector) throws {
        let totp = try vector.totp()
        let date = Date(timeIntervalSince1970: TimeInterval(vector.unixTime))
        #expect(totp.step(at: date) == vector.counter)
        #expect(totp.code(at: date) == vector.expected)
        #expect(totp.code(forStep: vector.counter) == vector.expected)
    }

    @Test func rfcSeedsAreTheASCIIDigitsRepeatedToTheHashLength() throws {
        let vectors = try TOTPVector.all()
        let expectedSeeds = [
            "sha1": "12345678901234567890",
            "sha256": "12345678901234567890123456789012",
            "sha512": "1234567890123456789012345678901234567890123456789012345678901234",
        ]
        for vector in vectors {
            #expect(try Base32.decode(vector.secretBase32) == Array(expectedSeeds[vector.alg]!.utf8))
        }
    }

    /// RFC 4226 Appendix D: HOTP values for counters 0–9 under the secret "12345678901234567890".
    @Test(arguments: zip(0..<10, ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]))
    func hotpMatchesRFC4226AppendixD(counter: Int, expected: String) {
        #expect(HOTP.code(secret: Array("12345678901234567890".utf8), counter: UInt64(counter)) == expected)
    }

    @Test func defaultsAreSHA1SixDigitsThirtySeconds() {
        let totp = TOTP(secret: Array("12345678901234567890".utf8))
        #expect(totp.algorithm == .sha1)
        #expect(totp.digits == .six)
        #expect(totp.period == 30)
        #expect(totp.code(at: Date(timeIntervalSince1970: 59)) == "287082")
    }

    @Test func codeIsConstantWithinAStepAndChangesAtTheBoundary() {
        let totp = TOTP(secret: Array("12345678901234567890".utf8))
        let codes = (30..<60).map { totp.code(at: Date(timeIntervalSince1970: TimeInterval($0) + 0.999)) }
        #expect(Set(codes) == ["287082"])
        #expect(totp.code(at: Date(timeIntervalSince1970: 60)) == "359152")
        #expect(totp.step(at: Date(timeIntervalSince1970: 29.999)) == 0)
    }

    @Test func datesBeforeTheEpochUseStepZero() {
        let totp = TOTP(secret: Array("12345678901234567890".utf8))
        #expect(totp.step(at: Date(timeIntervalSince1970: -1_000)) == 0)
        #expect(totp.code(at: Date(timeIntervalSince1970: -1_000)) == "755224")
    }

    @Test func codesKeepLeadingZeros() throws {
        // RFC 6238 at 1234567890 with SHA1: 89005924 → six digits "005924".
        let totp = TOTP(secret: Array("12345678901234567890".utf8))
        #expect(totp.code(at: Date(timeIntervalSince1970: 1_234_567_890)) == "005924")
    }

    @Test func generatedSecretIsTwentyBytesFromTheGivenGenerator() {
        var a = SeededGenerator(seed: 1)
        var b = SeededGenerator(seed: 1)
        var c = SeededGenerator(seed: 2)
        let secretA = TOTP.generateSecret(using: &a)
        #expect(secretA.count == 20)
        #expect(secretA == TOTP.generateSecret(using: &b))
        #expect(secretA != TOTP.generateSecret(using: &c))
        var system = SystemRandomNumberGenerator()
        #expect(TOTP.generateSecret(using: &system) != TOTP.generateSecret(using: &system))
    }

    @Test func descriptionsDoNotRevealTheSecret() {
        let secret = Array("SUPERSECRETSEEDBYTES".utf8)
        let totp = TOTP(secret: secret, algorithm: .sha256, digits: .eight, period: 60)
        for text in [String(describing: totp), String(reflecting: totp), "\(totp)"] {
            #expect(!text.contains("SUPERSECRET"))
            #expect(!text.contains(Base32.encode(secret)))
            #expect(!text.contains("83, 85, 80"))
        }
        #expect(String(describing: totp) == "TOTP(SHA256, 8 digits, 60 s)")
    }
}
