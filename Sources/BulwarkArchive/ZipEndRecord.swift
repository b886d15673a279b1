import BulwarkCore

/// Where the central directory lies and how many entries it lists, from the end of central
/// directory record and, when the archive has one, its ZIP64 counterpart. Archives split over several
/// disks are refused, and the central directory must lie within the file, before the end records.
struct ZipEndRecord: Equatable {
    let entryCount: UInt64
    let directoryOffset: UInt64
    let directorySize: UInt64

    /// Offset of the first byte after the central directory; no overflow, checked when located.
    var directoryEnd: UInt64 { directoryOffset + directorySize }

    private static let fixedSize = 22
    private static let locatorSize = 20
    private static let zip64FixedSize = 56

    static func locate(in file: ZipFile) throws(BulwarkError) -> ZipEndRecord {
        guard file.size >= UInt64(fixedSize) else { throw .notAZip("it has no end of central directory record") }
        // The record is the last thing in the file: 22 bytes and a comment of at most 65 535 bytes.
        let tailLength = min(file.size, UInt64(fixedSize + 65_535))
        let tailStart = file.size - tailLength
        let tail = try file.read(at: tailStart, count: Int(tailLength))
        var candidate = tail.count - fixedSize
        while candidate >= 0 {
            if tail.u32(at: candidate) == ZipSignature.endOfCentralDirectory,
               let commentLength = tail.u16(at: candidate + 20), candidate + fixedSize + Int(commentLength) == tail.count {
                break
            }
            candidate -= 1
        }
        guard candidate >= 0 else { throw .notAZip("it has no end of central directory record") }
        let end = ZipRecord(bytes: Array(tail[candidate..<candidate + fixedSize]))
        let endOffset = tailStart + UInt64(candidate)

        let result: ZipEndRecord
        let recordsStart: UInt64
        if let (zip64, zip64Offset) = try zip64Record(before: endOffset, in: file) {
            // Fields too small for their value are saturated; the others must agree with the ZIP64 record.
            func agrees(_ value: UInt64, _ saturated: UInt64, _ expected: UInt64) -> Bool {
                value == saturated || value == expected
            }
            guard agrees(UInt64(end.u16(4)), 0xFFFF, 0), agrees(UInt64(end.u16(6)), 0xFFFF, 0),
                  agrees(UInt64(end.u16(8)), 0xFFFF, zip64.entryCount), agrees(UInt64(end.u16(10)), 0xFFFF, zip64.entryCount),
                  agrees(UInt64(end.u32(12)), 0xFFFF_FFFF, zip64.directorySize),
                  agrees(UInt64(end.u32(16)), 0xFFFF_FFFF, zip64.directoryOffset)
            else {
                throw .notAZip("its end of central directory record disagrees with its ZIP64 end record")
            }
            result = zip64
            recordsStart = zip64Offset
        } else {
            guard end.u16(4) == 0, end.u16(6) == 0, end.u16(8) == end.u16(10) else {
                throw .notAZip("it spans several disks")
            }
            result = ZipEndRecord(
                entryCount: UInt64(end.u16(10)), directoryOffset: UInt64(end.u32(16)), directorySize: UInt64(end.u32(12))
            )
            recordsStart = endOffset
        }
        let (directoryEnd, overflow) = result.directoryOffset.addingReportingOverflow(result.directorySize)
        guard !overflow, directoryEnd <= recordsStart else {
            throw .notAZip("its central directory lies outside the file")
        }
        return result
    }

    /// The ZIP64 end record and its offset, if a ZIP64 locator directly precedes the end record at `endOffset`.
    private static func zip64Record(before endOffset: UInt64, in file: ZipFile) throws(BulwarkError) -> (ZipEndRecord, UInt64)? {
        guard endOffset >= UInt64(locatorSize) else { return nil }
        let locatorOffset = endOffset - UInt64(locatorSize)
        let locator = ZipRecord(bytes: try file.read(at: locatorOffset, count: locatorSize))
        guard locator.u32(0) == ZipSignature.zip64Locator else { return nil }
        guard locator.u32(4) == 0, locator.u32(16) <= 1 else { throw .notAZip("it spans several disks") }
        let offset = locator.u64(8)
        let (recordEnd, overflow) = offset.addingReportingOverflow(UInt64(zip64FixedSize))
        guard !overflow, recordEnd <= locatorOffset else {
            throw .notAZip("its ZIP64 end of central directory record lies outside the file")
        }
        let record = ZipRecord(bytes: try file.read(at: offset, count: zip64FixedSize))
        guard record.u32(0) == ZipSignature.zip64EndOfCentralDirectory, record.u64(4) >= UInt64(zip64FixedSize - 12) else {
            throw .notAZip("its ZIP64 end of central directory record is malformed")
        }
        guard record.u32(16) == 0, record.u32(20) == 0, record.u64(24) == record.u64(32) else {
            throw .notAZip("it spans several disks")
        }
        let zip64 = ZipEndRecord(entryCount: record.u64(32), directoryOffset: record.u64(48), directorySize: record.u64(40))
        return (zip64, offset)
    }
}
