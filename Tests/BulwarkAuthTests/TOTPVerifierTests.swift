import BulwarkAuth
import Foundation
import Testing

@Suite("TOTP verification: drift window, replay protection, input handling")
struct TOTPVerifierTests {
    let totp = TOTP(secret: Array("12345678901234567890".utf8))
    /// 2026-01-01T00:00:10Z, 10 s into step 59_179_680.
    let now = Date(timeIntervalSince1970: 1_767_225_610)
    var currentStep: UInt64 { totp.step(at: now) }

    func code(_ offset: Int) -> String {
        totp.code(forStep: UInt64(Int(currentStep) + offset))
    }

    @Test func currentCodeIsAcceptedAndItsStepReturned() {
        let verifier = TOTPVerifier(totp: totp)
        #expect(verifier.check(code(0), at: now, lastAcceptedStep: nil) == .accepted(step: currentStep))
        #expect(verifier.verify(code(0), at: now, lastAcceptedStep: nil) == currentStep)
    }

    @Test(arguments: [-1, 1])
    func codeOneStepAwayIsAccepted(offset: Int) {
        let verifier = TOTPVerifier(totp: totp)
        #expect(verifier.verify(code(offset), at: now, lastAcceptedStep: nil) == UInt64(Int(currentStep) + offset))
    }

    @Test(arguments: [-3, -2, 2, 3])
    func codeTwoOrMoreStepsAwayIsRejected(offset: Int) {
        let verifier = TOTPVerifier(totp: totp)
        #expect(verifier.check(code(offset), at: now, lastAcceptedStep: nil) == .invalid)
    }

    @Test func sameCodeTwiceIsRejectedAsReplay() throws {
        let verifier = TOTPVerifier(totp: totp)
        let step = try #require(verifier.verify(code(0), at: now, lastAcceptedStep: nil))
        #expect(verifier.check(code(0), at: now, lastAcceptedStep: step) == .replayed)
        #expect(verifier.verify(code(0), at: now.addingTimeInterval(5), lastAcceptedStep: step) == nil)
    }

    @Test func olderStepAfterNewerOneIsRejectedEvenInsideTheWindow() throws {
        let verifier = TOTPVerifier(totp: totp)
        let newer = try #require(verifier.verify(code(1), at: now, lastAcceptedStep: nil))
        #expect(verifier.check(code(0), at: now, lastAcceptedStep: newer) == .replayed)
        #expect(verifier.check(code(-1), at: now, lastAcceptedStep: newer) == .replayed)
    }

    @Test func laterStepAfterAnAcceptedOneIsAccepted() throws {
        let verifier = TOTPVerifier(totp: totp)
        let first = try #require(verifier.verify(code(-1), at: now, lastAcceptedStep: nil))
        #expect(verifier.verify(code(0), at: now, lastAcceptedStep: first) == currentStep)
        // The next period's code, 30 s later, after the current one.
        let later = now.addingTimeInterval(30)
        #expect(verifier.verify(totp.code(at: later), at: later, lastAcceptedStep: currentStep) == currentStep + 1)
    }

    @Test func wrongCodeIsRejected() {
        let verifier = TOTPVerifier(totp: totp)
        let valid = Set((-1...1).map(code))
        let wrong = (0..<1_000_000).lazy.map { String(format: "%06d", $0) }.first { !valid.contains($0) }!
        #expect(verifier.check(wrong, at: now, lastAcceptedStep: nil) == .invalid)
    }

    @Test func windowIsConfigurable() {
        let strict = TOTPVerifier(totp: totp, window: 0)
        #expect(strict.verify(code(0), at: now, lastAcceptedStep: nil) == currentStep)
        #expect(strict.verify(code(1), at: now, lastAcceptedStep: nil) == nil)
        #expect(strict.verify(code(-1), at: now, lastAcceptedStep: nil) == nil)
        let lenient = TOTPVerifier(totp: totp, window: 2)
        #expect(lenient.verify(code(-2), at: now, lastAcceptedStep: nil) == currentStep - 2)
        #expect(lenient.verify(code(2), at: now, lastAcceptedStep: nil) == currentStep + 2)
        #expect(lenient.verify(code(3), at: now, lastAcceptedStep: nil) == nil)
    }

    @Test(arguments: [" 287 082 ", "287082", "287\t082", "287082\n"])
    func spacesAreIgnored(input: String) {
        // Step 1 is the code at t = 59 s; window 1 around step 1 reaches step 0, no underflow.
        let verifier = TOTPVerifier(totp: totp)
        #expect(verifier.verify(input, at: Date(timeIntervalSince1970: 59), lastAcceptedStep: nil) == 1)
    }

    @Test(arguments: ["", "28708", "2870820", "28708a", "287-082", "+87082", "２８７０８２", "287082 1", "٢٨٧٠٨٢"])
    func nonDigitsAndWrongLengthsAreMalformed(input: String) {
        let verifier = TOTPVerifier(totp: totp)
        #expect(verifier.check(input, at: Date(timeIntervalSince1970: 59), lastAcceptedStep: nil) == .malformed)
    }

    @Test func eightDigitVerifierWantsEightDigits() {
        let verifier = TOTPVerifier(totp: TOTP(secret: Array("12345678901234567890".utf8), digits: .eight))
        let at59 = Date(timeIntervalSince1970: 59)
        #expect(verifier.verify("94287082", at: at59, lastAcceptedStep: nil) == 1)
        #expect(verifier.check("287082", at: at59, lastAcceptedStep: nil) == .malformed)
    }

    @Test func windowAtTheEpochDoesNotUnderflow() {
        let verifier = TOTPVerifier(totp: totp, window: 3)
        let epoch = Date(timeIntervalSince1970: 0)
        #expect(verifier.verify("755224", at: epoch, lastAcceptedStep: nil) == 0)
        #expect(verifier.verify("755224", at: epoch, lastAcceptedStep: 0) == nil)
    }
}
