import Testing

@testable import BulwarkServer

/// The filter that keeps a response out of the database until its second read.
@Suite struct FirstReadsTests {
    @Test func aKeyIsNewOnItsFirstReadAndKnownAfter() {
        var filter = FirstReads(bits: 1 << 16)
        let answers = [
            filter.seenBefore("test.pkg\u{0}list/1"), filter.seenBefore("test.pkg\u{0}list/1"), filter.seenBefore("test.pkg\u{0}list/1"),
            filter.seenBefore("test.pkg\u{0}metadata/1.0.0"),
        ]
        #expect(answers == [false, true, true, false])
    }

    /// Sized as shipped for a million packages' three responses each: almost every first read is
    /// taken for one, and every second read is recognised.
    @Test func aMillionPackagesFitWithFewFalsePositives() {
        var filter = FirstReads(bits: 1 << 25)
        let keys = (0..<3_000_000).map { "seed.pkg\($0 / 3)\u{0}\($0 % 3)" }
        var falsePositives = 0
        for key in keys where filter.seenBefore(key) { falsePositives += 1 }
        #expect(Double(falsePositives) / Double(keys.count) < 0.05)
        var recognised = 0
        for key in keys where filter.seenBefore(key) { recognised += 1 }
        #expect(recognised == keys.count)
    }

    /// When half its bits are set it starts over: a fixed size, and old first reads are forgotten.
    @Test func itClearsWhenHalfFull() {
        var filter = FirstReads(bits: 1 << 10)
        let first = filter.seenBefore("first")
        #expect(!first)
        for i in 0..<2_000 { _ = filter.seenBefore("filler-\(i)") }
        // 2 000 keys set far more than 512 of 1 024 bits: it has been cleared since "first".
        var forgotten = 0
        for i in 0..<50 where !filter.seenBefore("probe-\(i)") { forgotten += 1 }
        #expect(forgotten > 25)
    }
}
