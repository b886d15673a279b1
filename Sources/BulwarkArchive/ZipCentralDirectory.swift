import BulwarkCore

/// Reads every header of the central directory, header by header from disk. The headers must fill
/// the directory exactly and be as many as the end record says: an entry a reader would skip or
/// that only some readers would see makes the archive unacceptable.
enum ZipCentralDirectory {
    static func read(_ end: ZipEndRecord, from file: ZipFile) throws(BulwarkError) -> [ZipEntryRecord] {
        var records: [ZipEntryRecord] = []
        records.reserveCapacity(Int(min(end.entryCount, 1 << 16)))
        var position = end.directoryOffset
        let directoryEnd = end.directoryEnd
        while position < directoryEnd {
            guard UInt64(records.count) < end.entryCount else {
                throw .notAZip("its central directory holds more entries than the \(end.entryCount) its end record declares")
            }
            guard directoryEnd - position >= UInt64(ZipEntryRecord.fixedSize) else {
                throw .notAZip("its central directory ends in the middle of a header")
            }
            let header = ZipRecord(bytes: try file.read(at: position, count: ZipEntryRecord.fixedSize))
            guard header.u32(0) == ZipSignature.centralHeader else {
                throw .notAZip("its central directory has a malformed header after \(records.count) entries")
            }
            let variableLength = Int(header.u16(28)) + Int(header.u16(30)) + Int(header.u16(32))
            position += UInt64(ZipEntryRecord.fixedSize)
            guard directoryEnd - position >= UInt64(variableLength) else {
                throw .notAZip("its central directory ends in the middle of a header")
            }
            let tail = try file.read(at: position, count: variableLength)
            position += UInt64(variableLength)
            records.append(try ZipEntryRecord.parse(header: header, tail: tail))
        }
        guard UInt64(records.count) == end.entryCount else {
            throw .notAZip("its central directory holds \(records.count) entries, but its end record declares \(end.entryCount)")
        }
        return records
    }
}
