import BulwarkCore
import CZlib

/// Reads an entry's data in 64 KiB chunks, inflating deflated entries with zlib, and checks that it
/// yields exactly its declared size and CRC-32. At most `compressedSize` bytes are read and at most one
/// byte more than the declared size is produced, so no entry can make inspection loop or run away, and
/// a deflate stream must end exactly where the entry's data ends.
enum ZipEntryReader {
    static let chunkSize = 64 * 1024

    /// The entry's content, of which at most `keepAtMost` bytes are kept and returned.
    static func contents(
        of record: ZipEntryRecord, at dataOffset: UInt64, in file: ZipFile, keepingAtMost keepAtMost: Int
    ) throws(BulwarkError) -> [UInt8] {
        var sink = Sink(declared: record.uncompressedSize, keepAtMost: keepAtMost)
        if record.method == 0 {
            guard record.compressedSize == record.uncompressedSize else {
                throw .badEntry(record.name, "is stored, but its compressed and uncompressed sizes differ")
            }
            var offset = dataOffset
            while offset - dataOffset < record.compressedSize {
                let count = Int(min(record.compressedSize - (offset - dataOffset), UInt64(chunkSize)))
                let chunk = try file.read(at: offset, count: count)
                _ = chunk.withUnsafeBufferPointer { sink.accept($0) }
                offset += UInt64(count)
            }
        } else {
            try inflate(record, at: dataOffset, in: file, into: &sink)
        }
        guard sink.produced == record.uncompressedSize else {
            throw .badEntry(record.name, "inflates to less than its declared size")
        }
        guard sink.crc == record.crc32 else {
            throw .badEntry(record.name, "is corrupt: its CRC-32 does not match its content")
        }
        return sink.kept
    }

    private static func inflate(
        _ record: ZipEntryRecord, at dataOffset: UInt64, in file: ZipFile, into sink: inout Sink
    ) throws(BulwarkError) {
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .badEntry(record.name, "could not be inflated")
        }
        defer { inflateEnd(&stream) }
        var remaining = record.compressedSize
        var offset = dataOffset
        var input: [UInt8] = []
        var inputPosition = 0
        var output = [UInt8](repeating: 0, count: chunkSize)
        var finished = false
        while !finished {
            // Once the input is exhausted, inflate is still called to flush what it holds; if it can
            // make no progress the stream is truncated.
            if inputPosition == input.count, remaining > 0 {
                let count = Int(min(remaining, UInt64(chunkSize)))
                input = try file.read(at: offset, count: count)
                offset += UInt64(count)
                remaining -= UInt64(count)
                inputPosition = 0
            }
            // Room for what the entry may still produce, plus one byte to notice when it produces more.
            let left = sink.declared - sink.produced
            let room = left >= UInt64(chunkSize) ? chunkSize : Int(left) + 1
            var status = Z_BUF_ERROR
            var consumed = 0
            var produced = 0
            input.withUnsafeMutableBufferPointer { inBuffer in
                output.withUnsafeMutableBufferPointer { outBuffer in
                    guard let inBase = inBuffer.baseAddress, let outBase = outBuffer.baseAddress else { return }
                    let available = inBuffer.count - inputPosition
                    stream.next_in = inBase + inputPosition
                    stream.avail_in = uInt(available)
                    stream.next_out = outBase
                    stream.avail_out = uInt(room)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    consumed = available - Int(stream.avail_in)
                    produced = room - Int(stream.avail_out)
                    stream.next_in = nil
                    stream.next_out = nil
                }
            }
            inputPosition += consumed
            let withinSize = output.withUnsafeBufferPointer { sink.accept(UnsafeBufferPointer(rebasing: $0[0..<produced])) }
            guard withinSize else { throw .badEntry(record.name, "inflates to more than its declared size") }
            switch status {
            case Z_STREAM_END:
                finished = true
            case Z_OK where consumed > 0 || produced > 0, Z_BUF_ERROR where consumed > 0 || produced > 0:
                continue
            default:
                throw .badEntry(record.name, "is corrupt or truncated")
            }
        }
        guard finished, inputPosition == input.count, remaining == 0 else {
            throw .badEntry(record.name, "is corrupt or truncated")
        }
    }

    /// Counts, checksums and keeps the start of an entry's content.
    struct Sink {
        let declared: UInt64
        let keepAtMost: Int
        private(set) var produced: UInt64 = 0
        private(set) var crc: UInt32 = 0
        private(set) var kept: [UInt8] = []

        init(declared: UInt64, keepAtMost: Int) {
            self.declared = declared
            self.keepAtMost = max(keepAtMost, 0)
        }

        /// Takes the next bytes; false once the content is larger than declared.
        mutating func accept(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            let (total, overflow) = produced.addingReportingOverflow(UInt64(bytes.count))
            guard !overflow else { return false }
            produced = total
            crc = ZipChecksum.crc32(bytes, continuing: crc)
            if kept.count < keepAtMost { kept.append(contentsOf: bytes.prefix(keepAtMost - kept.count)) }
            return produced <= declared
        }
    }
}

/// CRC-32 as zip uses it, computed by zlib.
enum ZipChecksum {
    static func crc32(_ bytes: UnsafeBufferPointer<UInt8>, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return crc }
        var value = uLong(crc)
        var position = 0
        while position < bytes.count {
            let count = min(bytes.count - position, 1 << 30)
            value = CZlib.crc32(value, base + position, uInt(count))
            position += count
        }
        return UInt32(truncatingIfNeeded: value)
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { crc32($0) }
    }
}
