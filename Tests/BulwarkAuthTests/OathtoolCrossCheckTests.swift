import BulwarkAuth
import Foundation
import Testing

/// Compares TOTP codes with Debian's `oathtool` (liboath), an independent implementation, for
/// random secrets at random times.
@Suite("TOTP cross-checked with oathtool")
struct OathtoolCrossCheckTests {
    @Test(
        .enabled(if: ExternalTool.shouldRun("oathtool"), "oathtool is not installed (apt-get install oathtool)"),
        arguments: OTPAlgorithm.allCases
    )
    func codesMatchOathtoolAtRandomTimes(algorithm: OTPAlgorithm) async throws {
        let oathtool = try ExternalTool.require("oathtool", package: "oathtool")
        let seed = UInt64.random(in: .min ... .max)
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<6 {
            let secret = TOTP.generateSecret(using: &rng)
            let digits = OTPDigits.allCases.randomElement(using: &rng)!
            let period = [30, 60].randomElement(using: &rng)!
            // Anywhere from 1970 to 2100.
            let unixTime = Int64.random(in: 0...4_102_444_800, using: &rng)
            let totp = TOTP(secret: secret, algorithm: algorithm, digits: digits, period: period)
            let output = try await ExternalTool.run(oathtool, [
                "--totp=\(algorithm.uriName)", "--base32", "--digits=\(digits.rawValue)",
                "--time-step-size=\(period)s", "--now=@\(unixTime)", "--window=2",
                Base32.encode(secret),
            ])
            let context = "seed \(seed), \(totp), t=\(unixTime): \(output.stderr)"
            #expect(output.status == 0, "\(context)")
            // With --window=2 oathtool prints the codes of the current step and the two after it.
            let expected = output.stdout.split(separator: "\n").map(String.init)
            let step = totp.step(at: Date(timeIntervalSince1970: TimeInterval(unixTime)))
            #expect(expected == [totp.code(forStep: step), totp.code(forStep: step + 1), totp.code(forStep: step + 2)], "\(context)")
            #expect(expected.first == totp.code(at: Date(timeIntervalSince1970: TimeInterval(unixTime))), "\(context)")
        }
    }

    @Test(.enabled(if: ExternalTool.shouldRun("oathtool"), "oathtool is not installed (apt-get install oathtool)"))
    func oathtoolAcceptsOurCodesAsValidationInput() async throws {
        // In validation mode oathtool prints the window offset at which the OTP matched.
        let oathtool = try ExternalTool.require("oathtool", package: "oathtool")
        var rng = SystemRandomNumberGenerator()
        let totp = TOTP(secret: TOTP.generateSecret(using: &rng))
        let unixTime = Int64.random(in: 1_700_000_000...2_000_000_000)
        let code = totp.code(at: Date(timeIntervalSince1970: TimeInterval(unixTime)))
        let output = try await ExternalTool.run(oathtool, ["--totp", "-b", "-N", "@\(unixTime)", Base32.encode(totp.secret), code])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout == "0\n")
    }
}
