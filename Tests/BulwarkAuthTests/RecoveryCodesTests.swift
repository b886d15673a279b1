import BulwarkAuth
import Foundation
import Testing

@Suite("Recovery codes")
struct RecoveryCodesTests {
    @Test func tenDistinctCodesWithAHashEach() {
        var rng = SystemRandomNumberGenerator()
        let generated = RecoveryCodes.generate(using: &rng)
        #expect(generated.codes.count == 10)
        #expect(Set(generated.codes).count == 10)
        #expect(generated.hashes.count == 10)
        #expect(Set(generated.hashes).count == 10)
    }

    @Test func codesAreThreeGroupsOfFourUnambiguousCharacters() {
        var rng = SeededGenerator(seed: 11)
        let allowed = Set("0123456789abcdefghjkmnpqrstvwxyz")
        for code in RecoveryCodes.generate(count: 50, using: &rng).codes {
            let groups = code.split(separator: "-", omittingEmptySubsequences: false)
            #expect(groups.count == 3, "\(code)")
            #expect(groups.allSatisfy { $0.count == 4 && $0.allSatisfy(allowed.contains) }, "\(code)")
        }
    }

    @Test func alphabetHas32SymbolsWithoutLookAlikesGivingSixtyBits() {
        #expect(Set(RecoveryCodes.alphabet).count == 32)
        for confusable in "ilou" { #expect(!RecoveryCodes.alphabet.contains(confusable.asciiValue!)) }
        #expect(Double(RecoveryCodes.length) * log2(Double(RecoveryCodes.alphabet.count)) >= 60)
    }

    @Test func symbolsAreUniformlyDistributed() {
        // 6,000 symbols over 32 values: each should appear about 187 times.
        var rng = SeededGenerator(seed: 5)
        var counts: [Character: Int] = [:]
        for code in RecoveryCodes.generate(count: 500, using: &rng).codes {
            for symbol in code where symbol != "-" { counts[symbol, default: 0] += 1 }
        }
        #expect(counts.count == 32)
        #expect(counts.values.allSatisfy { (120...260).contains($0) }, "\(counts)")
    }

    @Test func eachCodeMatchesItsOwnHashOnly() {
        var rng = SeededGenerator(seed: 12)
        let generated = RecoveryCodes.generate(using: &rng)
        for (i, code) in generated.codes.enumerated() {
            for (j, hash) in generated.hashes.enumerated() {
                #expect(RecoveryCodes.matches(code, hash: hash) == (i == j))
            }
        }
    }

    @Test func hashesDoNotContainTheCode() {
        var rng = SeededGenerator(seed: 13)
        let generated = RecoveryCodes.generate(using: &rng)
        for (code, hash) in zip(generated.codes, generated.hashes) {
            #expect(hash.hasPrefix("sha256$"))
            #expect(hash.split(separator: "$").map(\.count) == [6, 32, 64])
            #expect(!hash.contains(code))
            #expect(!hash.contains(code.replacingOccurrences(of: "-", with: "")))
        }
    }

    @Test func sameCodeHashesDifferentlyEachTimeButMatchesBoth() throws {
        var rng = SeededGenerator(seed: 14)
        let code = "k7m2-9xq4-ph3w"
        let first = try #require(RecoveryCodes.hash(code, using: &rng))
        let second = try #require(RecoveryCodes.hash(code, using: &rng))
        #expect(first != second)
        #expect(RecoveryCodes.matches(code, hash: first))
        #expect(RecoveryCodes.matches(code, hash: second))
    }

    @Test(arguments: ["k7m2-9xq4-ph3w", "K7M2-9XQ4-PH3W", "k7m29xq4ph3w", " k7m2 9xq4 ph3w ", "K7M2 - 9XQ4 - PH3W", "k7m2-9xq4-ph3w\n"])
    func typedVariantsOfACodeMatch(typed: String) throws {
        var rng = SeededGenerator(seed: 15)
        let hash = try #require(RecoveryCodes.hash("k7m2-9xq4-ph3w", using: &rng))
        #expect(RecoveryCodes.matches(typed, hash: hash))
    }

    @Test func lookAlikeLettersAreReadAsDigits() throws {
        var rng = SeededGenerator(seed: 16)
        let hash = try #require(RecoveryCodes.hash("10a0-1b0c-1d0e", using: &rng))
        #expect(RecoveryCodes.matches("lOaO-ibOc-LdoE", hash: hash))
        #expect(RecoveryCodes.normalise("IoAo-1BOC-lDOE") == "10a01b0c1d0e")
    }

    @Test(arguments: ["k7m2-9xq4-ph3x", "k7m2-9xq4-ph3", "k7m2-9xq4-ph3ww", "", "k7m2-9xq4-ph3u", "k7m2-9xq4-ph3é", "k7m2_9xq4_ph3w"])
    func wrongOrMalformedCodesAreRejected(typed: String) throws {
        var rng = SeededGenerator(seed: 17)
        let hash = try #require(RecoveryCodes.hash("k7m2-9xq4-ph3w", using: &rng))
        #expect(!RecoveryCodes.matches(typed, hash: hash))
    }

    @Test(arguments: [
        "", "sha256$", "md5$00000000000000000000000000000000$" + String(repeating: "0", count: 64),
        "sha256$0000$" + String(repeating: "0", count: 64), "sha256$" + String(repeating: "0", count: 32) + "$00",
        "sha256$" + String(repeating: "G", count: 32) + "$" + String(repeating: "0", count: 64),
    ])
    func malformedStoredHashesMatchNothing(stored: String) {
        #expect(!RecoveryCodes.matches("k7m2-9xq4-ph3w", hash: stored))
    }

    @Test func hashingRefusesSomethingThatIsNotACode() {
        var rng = SeededGenerator(seed: 18)
        #expect(RecoveryCodes.hash("password", using: &rng) == nil)
    }
}
