import Foundation

/// A byte-level zip writer for hostile archives that no zip tool makes: any names, symlinks,
/// duplicate entries, lying sizes (zip64), and hand-made deflate streams.
enum CraftedZip {
    struct Entry {
        var name: String
        var data: [UInt8] = []
        /// 0 stored, 8 deflated (`data` is then the raw deflate stream).
        var method: UInt16 = 0
        var uncompressedSize: UInt64? = nil
        var crc: UInt32? = nil
        var symlink = false
        var directory = false

        static func file(_ name: String, _ text: String) -> Entry { Entry(name: name, data: Array(text.utf8)) }
        static func dir(_ name: String) -> Entry { Entry(name: name.hasSuffix("/") ? name : name + "/", directory: true) }
        static func link(_ name: String, to target: String) -> Entry { Entry(name: name, data: Array(target.utf8), symlink: true) }
    }

    static let manifest = "// swift-tools-version:5.9\nimport PackageDescription\nlet package = Package(name: \"Pkg\")\n"

    /// The entries of a valid package rooted at `root`.
    static func base(_ root: String = "test.pkg") -> [Entry] {
        [.dir(root), .file("\(root)/Package.swift", manifest)]
    }

    static func build(_ entries: [Entry]) -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        for entry in entries {
            let name = Array(entry.name.utf8)
            let size = entry.uncompressedSize ?? UInt64(entry.data.count)
            let crc = entry.crc ?? crc32(entry.method == 0 ? entry.data : [])
            let zip64 = size >= 0xFFFF_FFFF
            var extra: [UInt8] = []
            if zip64 {
                extra += le16(0x0001) + le16(16) + le64(size) + le64(UInt64(entry.data.count))
            }
            let offset = UInt32(out.count)
            out += le32(0x0403_4B50) + le16(zip64 ? 45 : 20) + le16(0x0800) + le16(entry.method) + le16(0) + le16(0x21)
            out += le32(crc) + le32(zip64 ? 0xFFFF_FFFF : UInt32(entry.data.count)) + le32(zip64 ? 0xFFFF_FFFF : UInt32(size))
            out += le16(UInt16(name.count)) + le16(UInt16(extra.count)) + name + extra + entry.data
            let mode: UInt32 = entry.symlink ? 0o120777 : entry.directory ? 0o040755 : 0o100644
            central += le32(0x0201_4B50) + le16(0x031E) + le16(zip64 ? 45 : 20) + le16(0x0800) + le16(entry.method) + le16(0) + le16(0x21)
            central += le32(crc) + le32(zip64 ? 0xFFFF_FFFF : UInt32(entry.data.count)) + le32(zip64 ? 0xFFFF_FFFF : UInt32(size))
            central += le16(UInt16(name.count)) + le16(UInt16(extra.count)) + le16(0) + le16(0) + le16(0)
            central += le32((mode << 16) | (entry.directory ? 0x10 : 0)) + le32(offset) + name + extra
        }
        let centralOffset = UInt32(out.count)
        out += central
        let count = UInt16(min(entries.count, 0xFFFF))
        out += le32(0x0605_4B50) + le16(0) + le16(0) + le16(count) + le16(count) + le32(UInt32(central.count)) + le32(centralOffset) + le16(0)
        return out
    }

    /// A raw deflate stream (one fixed-Huffman block): a zero byte, then `matches` copies of
    /// "repeat the previous 258 bytes at distance 1" — 13 bits for each 258 bytes it inflates to.
    static func zeroBomb(matches: Int) -> [UInt8] {
        var writer = BitWriter()
        writer.write(1, bits: 1)  // BFINAL
        writer.write(1, bits: 2)  // BTYPE = fixed Huffman
        writer.writeHuffman(0b0011_0000, length: 8)  // literal 0
        for _ in 0..<matches {
            writer.writeHuffman(0b1100_0101, length: 8)  // length code 285: 258
            writer.writeHuffman(0, length: 5)  // distance code 0: 1
        }
        writer.writeHuffman(0, length: 7)  // end of block
        return writer.bytes
    }

    struct BitWriter {
        var bytes: [UInt8] = []
        var bitCount = 0

        mutating func write(_ value: UInt32, bits: Int) {
            for i in 0..<bits { put((value >> UInt32(i)) & 1) }
        }

        /// Huffman codes go most significant bit first.
        mutating func writeHuffman(_ code: UInt32, length: Int) {
            for i in stride(from: length - 1, through: 0, by: -1) { put((code >> UInt32(i)) & 1) }
        }

        private mutating func put(_ bit: UInt32) {
            if bitCount % 8 == 0 { bytes.append(0) }
            bytes[bytes.count - 1] |= UInt8(bit) << UInt8(bitCount % 8)
            bitCount += 1
        }
    }

    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * UInt32($0))) & 0xFF) } }
    static func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8((v >> (8 * UInt64($0))) & 0xFF) } }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 1 ? 0xEDB8_8320 : 0) }
        }
        return ~crc
    }
}
