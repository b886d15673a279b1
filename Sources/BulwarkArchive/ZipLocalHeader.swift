import BulwarkCore

/// Checks each entry's local header against its central directory record and finds where its data
/// starts. Every header and its data must lie before the central directory, and no two entries may
/// overlap: entries sharing their data are how some zip bombs multiply their output, and a local
/// header that disagrees with the central directory makes readers that trust either one differ.
enum ZipLocalHeader {
    static let fixedSize = 30

    /// The offset of each record's data, in the records' order.
    static func dataOffsets(
        of records: [ZipEntryRecord], in file: ZipFile, before directoryOffset: UInt64
    ) throws(BulwarkError) -> [UInt64] {
        var offsets: [UInt64] = []
        offsets.reserveCapacity(records.count)
        var spans: [(start: UInt64, end: UInt64, index: Int)] = []
        spans.reserveCapacity(records.count)
        for (index, record) in records.enumerated() {
            let dataOffset = try dataOffset(of: record, in: file, before: directoryOffset)
            let (end, overflow) = dataOffset.addingReportingOverflow(record.compressedSize)
            guard !overflow, end <= directoryOffset else {
                throw .badEntry(record.name, "has data running past the start of the central directory")
            }
            offsets.append(dataOffset)
            spans.append((record.localHeaderOffset, end, index))
        }
        spans.sort { $0.start < $1.start }
        for (previous, next) in zip(spans, spans.dropFirst()) where previous.end > next.start {
            throw .badEntry(records[next.index].name, "overlaps the entry '\(records[previous.index].name)'")
        }
        return offsets
    }

    private static func dataOffset(
        of record: ZipEntryRecord, in file: ZipFile, before limit: UInt64
    ) throws(BulwarkError) -> UInt64 {
        let start = record.localHeaderOffset
        guard limit >= UInt64(fixedSize), start <= limit - UInt64(fixedSize) else {
            throw .badEntry(record.name, "has its local header outside the archive's data")
        }
        let header = ZipRecord(bytes: try file.read(at: start, count: fixedSize))
        guard header.u32(0) == ZipSignature.localHeader else {
            throw .badEntry(record.name, "has no local header where the central directory says it is")
        }
        let flags = header.u16(6)
        guard flags & (1 << 0 | 1 << 6 | 1 << 13) == 0 else { throw .badEntry(record.name, "is encrypted") }
        guard header.u16(8) == record.method else {
            throw .badEntry(record.name, "has a local header whose compression method differs from the central directory's")
        }
        let nameLength = Int(header.u16(26))
        let extraLength = Int(header.u16(28))
        let nameStart = start + UInt64(fixedSize)
        guard nameLength == record.rawName.count, nameStart <= limit,
              UInt64(nameLength) <= limit - nameStart,
              try file.read(at: nameStart, count: nameLength) == record.rawName
        else {
            throw .badEntry(record.name, "has a local header whose name differs from the central directory's")
        }
        if flags & 0x0008 == 0 {
            // Without a data descriptor the local header carries the CRC-32 and sizes too. A saturated
            // size defers to the local ZIP64 extra field, which nobody but the writer needs.
            func agrees(_ local: UInt32, _ central: UInt64) -> Bool { local == 0xFFFF_FFFF || UInt64(local) == central }
            guard header.u32(14) == record.crc32,
                  agrees(header.u32(18), record.compressedSize), agrees(header.u32(22), record.uncompressedSize)
            else {
                throw .badEntry(record.name, "has a local header whose CRC-32 or sizes differ from the central directory's")
            }
        }
        return nameStart + UInt64(nameLength) + UInt64(extraLength)
    }
}
