import Foundation

/// Timestamps in the one format every SwiftPM client decodes: `yyyy-MM-ddTHH:mm:ssZ`, no fractions.
public enum Timestamp {
    /// Written by hand (days to civil date, H. Hinnant's algorithm): it is on the read path of every
    /// release metadata response, where a format style cost several microseconds. Whole seconds,
    /// rounded down, like the format style.
    public static func iso8601(_ date: Date) -> String {
        let c = CivilTime(date)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(20)
        func append(_ value: Int64, width: Int) {
            var digits = [UInt8](repeating: UInt8(ascii: "0"), count: width)
            var v = value
            for i in stride(from: width - 1, through: 0, by: -1) {
                digits[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
            bytes.append(contentsOf: digits)
        }
        append(c.year, width: 4)
        bytes.append(UInt8(ascii: "-"))
        append(c.month, width: 2)
        bytes.append(UInt8(ascii: "-"))
        append(c.day, width: 2)
        bytes.append(UInt8(ascii: "T"))
        append(c.secondOfDay / 3_600, width: 2)
        bytes.append(UInt8(ascii: ":"))
        append(c.secondOfDay / 60 % 60, width: 2)
        bytes.append(UInt8(ascii: ":"))
        append(c.secondOfDay % 60, width: 2)
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func parse(_ string: String) -> Date? {
        try? Date.ISO8601FormatStyle(timeZone: .gmt).parse(string)
    }
}

/// A UTC instant as calendar fields, whole seconds rounded down (days to civil date: Howard
/// Hinnant's algorithm), without a formatter or calendar.
public struct CivilTime: Sendable, Equatable {
    public let year: Int64
    public let month: Int64
    public let day: Int64
    public let secondOfDay: Int64

    public init(_ date: Date) {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        var days = seconds / 86_400
        var rest = seconds % 86_400
        if rest < 0 { rest += 86_400; days -= 1 }
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        secondOfDay = rest
    }
}
