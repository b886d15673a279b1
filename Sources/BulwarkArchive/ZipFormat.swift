import BulwarkCore

/// Record signatures and little-endian field access shared by the zip reader.
enum ZipSignature {
    static let localHeader: UInt32 = 0x0403_4B50
    static let centralHeader: UInt32 = 0x0201_4B50
    static let endOfCentralDirectory: UInt32 = 0x0605_4B50
    static let zip64EndOfCentralDirectory: UInt32 = 0x0606_4B50
    static let zip64Locator: UInt32 = 0x0706_4B50
}

extension [UInt8] {
    /// The little-endian integer of `width` bytes at `offset`, or nil if they are not all present.
    private func littleEndian(at offset: Int, width: Int) -> UInt64? {
        guard offset >= 0, width <= count, offset <= count - width else { return nil }
        var value: UInt64 = 0
        for index in (offset..<offset + width).reversed() {
            value = value << 8 | UInt64(self[index])
        }
        return value
    }

    func u16(at offset: Int) -> UInt16? { littleEndian(at: offset, width: 2).map { UInt16(truncatingIfNeeded: $0) } }
    func u32(at offset: Int) -> UInt32? { littleEndian(at: offset, width: 4).map { UInt32(truncatingIfNeeded: $0) } }
    func u64(at offset: Int) -> UInt64? { littleEndian(at: offset, width: 8) }
}

/// A fixed-size record read whole, whose fields can therefore be read without failing.
struct ZipRecord {
    let bytes: [UInt8]

    func u16(_ offset: Int) -> UInt16 { bytes.u16(at: offset) ?? 0 }
    func u32(_ offset: Int) -> UInt32 { bytes.u32(at: offset) ?? 0 }
    func u64(_ offset: Int) -> UInt64 { bytes.u64(at: offset) ?? 0 }
}

extension BulwarkError {
    /// The archive as a whole is malformed.
    static func notAZip(_ reason: String) -> Self {
        .unprocessable("the source archive is not a valid zip file: \(reason)")
    }

    /// One entry is malformed or unacceptable; the message names it.
    static func badEntry(_ name: String, _ problem: String) -> Self {
        .unprocessable("the entry '\(name)' \(problem)")
    }
}
