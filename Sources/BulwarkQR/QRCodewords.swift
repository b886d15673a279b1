/// The codeword sequence of a symbol: byte-mode data, padding, Reed–Solomon blocks, interleaving
/// (ISO/IEC 18004 §7.4 and §7.6).
enum QRCodewords {
    /// Byte mode's indicator.
    static let byteModeIndicator = 0b0100
    /// The pad codewords, alternated after the data (§7.4.10).
    static let padBytes: [UInt8] = [0xEC, 0x11]

    /// The data codewords for `bytes` in byte mode: mode indicator, character count, the bytes, a
    /// terminator of up to four zero bits, zero bits to the byte boundary, then pad codewords up
    /// to the symbol's data capacity. The caller has checked that `bytes` fits.
    static func dataCodewords(_ bytes: [UInt8], version: Int, level: QRCode.ErrorCorrection) -> [UInt8] {
        let capacityBits = QRVersionTable.dataCodewords(version, level) * 8
        var buffer = BitBuffer()
        buffer.append(byteModeIndicator, length: 4)
        buffer.append(bytes.count, length: QRVersionTable.byteCountBits(version))
        for byte in bytes { buffer.append(Int(byte), length: 8) }
        precondition(buffer.count <= capacityBits, "data does not fit the chosen version")
        buffer.append(0, length: min(4, capacityBits - buffer.count))
        buffer.append(0, length: (8 - buffer.count % 8) % 8)
        var codewords = buffer.bytes
        var pad = 0
        while codewords.count * 8 < capacityBits {
            codewords.append(padBytes[pad])
            pad ^= 1
        }
        return codewords
    }

    /// The final sequence: data split into blocks (the shorter blocks first), each followed by its
    /// error-correction codewords, then data codewords interleaved column by column across blocks,
    /// then error-correction codewords interleaved likewise.
    static func interleaved(_ data: [UInt8], version: Int, level: QRCode.ErrorCorrection) -> [UInt8] {
        let blockCount = QRVersionTable.blockCount[level.tableIndex][version]
        let eccLength = QRVersionTable.eccCodewordsPerBlock[level.tableIndex][version]
        let total = QRVersionTable.totalCodewords(version)
        precondition(data.count == QRVersionTable.dataCodewords(version, level))
        let longBlocks = total % blockCount
        let shortBlockLength = total / blockCount
        let shortDataLength = shortBlockLength - eccLength
        let generator = ReedSolomon.generator(degree: eccLength)

        var dataBlocks: [ArraySlice<UInt8>] = []
        var eccBlocks: [[UInt8]] = []
        var start = 0
        for i in 0..<blockCount {
            let length = shortDataLength + (i >= blockCount - longBlocks ? 1 : 0)
            let block = data[start..<start + length]
            start += length
            dataBlocks.append(block)
            eccBlocks.append(ReedSolomon.remainder(block, generator: generator))
        }

        var result: [UInt8] = []
        result.reserveCapacity(total)
        for i in 0...shortDataLength {
            for block in dataBlocks where i < block.count { result.append(block[block.startIndex + i]) }
        }
        for i in 0..<eccLength {
            for block in eccBlocks { result.append(block[i]) }
        }
        return result
    }
}
