import Foundation

/// Timestamps in the one format every SwiftPM client decodes: `yyyy-MM-ddTHH:mm:ssZ`, no fractions.
public enum Timestamp {
    public static func iso8601(_ date: Date) -> String {
        let f = Date.ISO8601FormatStyle(timeZone: .gmt)
        return date.formatted(f)
    }

    public static func parse(_ string: String) -> Date? {
        try? Date.ISO8601FormatStyle(timeZone: .gmt).parse(string)
    }
}
