import BulwarkCore

/// One entry as the central directory describes it, with the checks that need nothing else: no
/// encryption, a supported compression method, ZIP64 fields resolved, a file type we understand, and
/// no second name in a Unicode path extra field that extractors would use instead.
struct ZipEntryRecord {
    enum Kind: Equatable { case file, directory, symlink }

    /// The name as UTF-8; bytes that are not (names without the UTF-8 flag) are decoded lossily.
    let name: String
    let rawName: [UInt8]
    let kind: Kind
    /// 0 (stored) or 8 (deflated).
    let method: UInt16
    let crc32: UInt32
    let compressedSize: UInt64
    let uncompressedSize: UInt64
    let localHeaderOffset: UInt64

    static let fixedSize = 46
    /// `PATH_MAX` on Linux: longer names can't be extracted, and this bounds what 10 000 names can take.
    static let maxNameBytes = 4096

    /// Parses a central directory header: `header` holds its 46 fixed bytes, `tail` the variable part
    /// (name, extra field, comment) whose lengths the header gives.
    static func parse(header: ZipRecord, tail: [UInt8]) throws(BulwarkError) -> ZipEntryRecord {
        let nameLength = Int(header.u16(28))
        let rawName = Array(tail.prefix(nameLength))
        let extra = Array(tail.dropFirst(nameLength).prefix(Int(header.u16(30))))
        let flags = header.u16(8)
        var name = String(decoding: rawName, as: UTF8.self)
        guard rawName.count <= maxNameBytes else {
            throw .badEntry(String(name.prefix(100)) + "…", "has a name longer than \(maxNameBytes) bytes")
        }
        if flags & 0x0800 != 0, String(validating: rawName, as: UTF8.self) == nil {
            throw .badEntry(name, "is flagged as having a UTF-8 name, but its name is not valid UTF-8")
        }
        guard flags & (1 << 0 | 1 << 6 | 1 << 13) == 0 else { throw .badEntry(name, "is encrypted") }
        let method = header.u16(10)
        guard method == 0 || method == 8 else {
            throw .badEntry(name, "uses compression method \(method); only stored (0) and deflated (8) entries are supported")
        }

        var uncompressed = UInt64(header.u32(24))
        var compressed = UInt64(header.u32(20))
        var offset = UInt64(header.u32(42))
        var disk = UInt64(header.u16(34))
        if uncompressed == 0xFFFF_FFFF || compressed == 0xFFFF_FFFF || offset == 0xFFFF_FFFF || disk == 0xFFFF {
            // The ZIP64 extra field holds, in this order, exactly the values saturated in the header.
            guard let field = extraField(0x0001, in: extra) else {
                throw .badEntry(name, "lacks the ZIP64 extra field its header calls for")
            }
            var position = 0
            func resolve(_ value: inout UInt64, saturated: UInt64, width: Int) -> Bool {
                guard value == saturated else { return true }
                let wide = width == 8 ? field.u64(at: position) : field.u32(at: position).map(UInt64.init)
                guard let wide else { return false }
                value = wide
                position += width
                return true
            }
            guard resolve(&uncompressed, saturated: 0xFFFF_FFFF, width: 8),
                  resolve(&compressed, saturated: 0xFFFF_FFFF, width: 8),
                  resolve(&offset, saturated: 0xFFFF_FFFF, width: 8),
                  resolve(&disk, saturated: 0xFFFF, width: 4)
            else {
                throw .badEntry(name, "has a ZIP64 extra field too short for the values its header defers to it")
            }
        }
        guard disk == 0 else { throw .notAZip("the entry '\(name)' lies on another disk") }

        if let unicode = extraField(0x7075, in: extra), unicode.count >= 5, unicode[0] == 1,
           unicode.u32(at: 1) == ZipChecksum.crc32(rawName) {
            // Info-ZIP's unzip extracts under this name instead of the header's; it must be the same.
            let alternate = Array(unicode.dropFirst(5))
            guard let decoded = String(validating: alternate, as: UTF8.self), decoded == name else {
                throw .badEntry(name, "has a second, different name in its Unicode path extra field")
            }
            name = decoded
        }

        let kind = try kind(mode: header.u32(38) >> 16, isDirectoryName: rawName.last == UInt8(ascii: "/"), name: name)
        return ZipEntryRecord(
            name: name, rawName: rawName, kind: kind, method: method, crc32: header.u32(16),
            compressedSize: compressed, uncompressedSize: uncompressed, localHeaderOffset: offset
        )
    }

    /// The entry's type from its Unix mode (upper half of the external attributes) and its name.
    private static func kind(mode: UInt32, isDirectoryName: Bool, name: String) throws(BulwarkError) -> Kind {
        switch mode & 0o170000 {
        case 0o120000:
            guard !isDirectoryName else { throw .badEntry(name, "is both a directory and a symbolic link") }
            return .symlink
        case 0o040000:
            return .directory
        case 0, 0o100000:
            return isDirectoryName ? .directory : .file
        default:
            throw .badEntry(name, "is neither a regular file, a directory nor a symbolic link")
        }
    }

    /// The data of the first extra block with `id`, if the extra field has one.
    static func extraField(_ id: UInt16, in extra: [UInt8]) -> [UInt8]? {
        var position = 0
        while let blockID = extra.u16(at: position), let length = extra.u16(at: position + 2) {
            let start = position + 4
            guard Int(length) <= extra.count - start else { return nil }
            if blockID == id { return Array(extra[start..<start + Int(length)]) }
            position = start + Int(length)
        }
        return nil
    }
}
