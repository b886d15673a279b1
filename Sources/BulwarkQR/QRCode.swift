/// A QR Code symbol (ISO/IEC 18004), encoded in byte mode, for showing TOTP enrolment URIs.
///
/// The encoder picks the smallest version (1–40) whose capacity at the requested error-correction
/// level holds the data, adds Reed–Solomon error correction per block, interleaves the blocks,
/// places them around the finder, timing and alignment patterns, and applies whichever of the
/// eight masks scores the lowest penalty (ties go to the lower mask number). Text is encoded as
/// its UTF-8 bytes without an ECI header; readers treat ASCII, such as an `otpauth://` URI,
/// identically either way.
///
/// ```swift
/// let qr = try QRCode(text: uri)
/// let svg = qr.svg(moduleSize: 6)
/// ```
public struct QRCode: Sendable, Equatable {
    /// Why data could not be encoded.
    public enum EncodingError: Error, Equatable, Sendable {
        /// The data is longer than the largest allowed version holds at this level.
        case dataTooLong(byteCount: Int, maximum: Int)
        /// A version outside 1–40, or a minimum above the maximum.
        case invalidVersionRange
        /// A mask outside 0–7.
        case invalidMask(Int)
    }

    /// The version, 1–40; the symbol is 17 + 4 × version modules wide.
    public let version: Int
    /// The error-correction level.
    public let errorCorrection: ErrorCorrection
    /// The data mask applied, 0–7.
    public let mask: Int
    /// The modules, row by row from the top, each row from the left: `true` is dark. The quiet
    /// zone is not included.
    public let modules: [[Bool]]

    /// Modules per side, without the quiet zone.
    public var size: Int { modules.count }

    /// Whether the module in column `x`, row `y` is dark.
    public subscript(x: Int, y: Int) -> Bool { modules[y][x] }

    /// Encodes `text` as UTF-8 bytes; see ``init(bytes:errorCorrection:minimumVersion:maximumVersion:mask:)``.
    public init(
        text: String,
        errorCorrection: ErrorCorrection = .medium,
        minimumVersion: Int = 1,
        maximumVersion: Int = 40,
        mask: Int? = nil
    ) throws(EncodingError) {
        try self.init(
            bytes: Array(text.utf8), errorCorrection: errorCorrection,
            minimumVersion: minimumVersion, maximumVersion: maximumVersion, mask: mask
        )
    }

    /// Encodes `bytes` in byte mode in the smallest version from `minimumVersion` to
    /// `maximumVersion` that holds them. `mask` forces a data mask instead of choosing the one
    /// with the lowest penalty (for comparing with other encoders).
    public init(
        bytes: [UInt8],
        errorCorrection: ErrorCorrection = .medium,
        minimumVersion: Int = 1,
        maximumVersion: Int = 40,
        mask: Int? = nil
    ) throws(EncodingError) {
        guard QRVersionTable.versions.contains(minimumVersion), QRVersionTable.versions.contains(maximumVersion),
            minimumVersion <= maximumVersion
        else { throw .invalidVersionRange }
        if let mask, !QRMask.all.contains(mask) { throw .invalidMask(mask) }
        guard
            let version = (minimumVersion...maximumVersion).first(where: {
                QRVersionTable.byteCapacity($0, errorCorrection) >= bytes.count
            })
        else {
            throw .dataTooLong(
                byteCount: bytes.count, maximum: QRVersionTable.byteCapacity(maximumVersion, errorCorrection))
        }

        var matrix = Self.unmaskedMatrix(bytes, version: version, level: errorCorrection)
        let chosen = mask ?? Self.bestMask(for: matrix, level: errorCorrection)
        matrix.applyMask(chosen)
        matrix.drawFormatBits(QRFormatInformation.formatBits(level: errorCorrection, mask: chosen))

        self.version = version
        self.errorCorrection = errorCorrection
        self.mask = chosen
        self.modules = matrix.rows
    }

    /// The mask whose finished symbol, format bits included, has the lowest penalty score; ties go
    /// to the lower mask number.
    static func bestMask(for unmasked: QRMatrix, level: ErrorCorrection) -> Int {
        let scores = penalties(for: unmasked, level: level)
        return scores.firstIndex(of: scores.min()!)!
    }

    /// The penalty score of the finished symbol under each of the eight masks.
    static func penalties(for unmasked: QRMatrix, level: ErrorCorrection) -> [Int] {
        QRMask.all.map { mask in
            var candidate = unmasked
            candidate.applyMask(mask)
            candidate.drawFormatBits(QRFormatInformation.formatBits(level: level, mask: mask))
            return QRPenalty.score(candidate)
        }
    }

    /// The symbol before masking: function patterns drawn and codewords placed.
    static func unmaskedMatrix(_ bytes: [UInt8], version: Int, level: ErrorCorrection) -> QRMatrix {
        let data = QRCodewords.dataCodewords(bytes, version: version, level: level)
        var matrix = QRMatrix(version: version)
        matrix.placeCodewords(QRCodewords.interleaved(data, version: version, level: level))
        return matrix
    }

    /// The most bytes a symbol of `version` holds in byte mode at `errorCorrection`.
    public static func byteCapacity(version: Int, errorCorrection: ErrorCorrection) -> Int {
        precondition(QRVersionTable.versions.contains(version), "QR versions are 1...40")
        return QRVersionTable.byteCapacity(version, errorCorrection)
    }
}
