import BulwarkCore
import Foundation
import Testing

@Suite struct TimestampTests {
    /// The hand-written formatter against Foundation's ISO 8601 format style, on edge cases and
    /// 20 000 pseudo-random instants between 1900 and 2400.
    @Test func matchesFoundationsFormatStyle() {
        let style = Date.ISO8601FormatStyle(timeZone: .gmt)
        var instants: [TimeInterval] = [
            0, -1, 59.999, 86_399, 86_400, 951_782_400 /* 2000-02-29 */, 4_107_542_400 /* 2100-03-01 */,
            1_700_000_000.75, -2_208_988_800 /* 1900-01-01 */, 13_569_465_599 /* 2399-12-31T23:59:59 */,
        ]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            instants.append(-2_208_988_800 + Double((state >> 11) % 15_778_476_000) + Double(state % 1000) / 1000)
        }
        for t in instants {
            let date = Date(timeIntervalSince1970: t)
            #expect(Timestamp.iso8601(date) == date.formatted(style), "\(t)")
        }
    }

    @Test func roundTripsThroughParse() {
        let date = Date(timeIntervalSince1970: 1_764_720_000)
        #expect(Timestamp.iso8601(date) == "2025-12-03T00:00:00Z")
        #expect(Timestamp.parse(Timestamp.iso8601(date)) == date)
    }
}
