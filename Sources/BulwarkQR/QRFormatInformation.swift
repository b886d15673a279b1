/// The BCH-protected format and version information (ISO/IEC 18004 §7.9 and §7.10).
enum QRFormatInformation {
    /// The 15 format bits for a level and mask: 5 data bits (level, mask), 10 BCH(15,5) bits from
    /// the generator 0x537, all XORed with 0x5412 so the result is never all zeros.
    static func formatBits(level: QRCode.ErrorCorrection, mask: Int) -> Int {
        let data = level.formatBits << 3 | mask
        var remainder = data
        for _ in 0..<10 { remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537) }
        return (data << 10 | remainder) ^ 0x5412
    }

    /// The 18 version bits (versions 7 and up): 6 version bits and 12 BCH(18,6) bits from the
    /// generator 0x1F25.
    static func versionBits(_ version: Int) -> Int {
        var remainder = version
        for _ in 0..<12 { remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25) }
        return version << 12 | remainder
    }
}
