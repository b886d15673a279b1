extension QRCode {
    /// How much of the symbol is Reed–Solomon redundancy (ISO/IEC 18004 §5.3.8): the share of
    /// damaged codewords a reader can still recover.
    public enum ErrorCorrection: Sendable, CaseIterable {
        /// Level L, about 7 % recovery.
        case low
        /// Level M, about 15 % recovery: the usual choice for screens.
        case medium
        /// Level Q, about 25 % recovery.
        case quartile
        /// Level H, about 30 % recovery.
        case high

        /// The two error-correction bits of the format information (L = 01, M = 00, Q = 11, H = 10).
        var formatBits: Int {
            switch self {
            case .low: 1
            case .medium: 0
            case .quartile: 3
            case .high: 2
            }
        }

        /// Row index in the capacity tables.
        var tableIndex: Int {
            switch self {
            case .low: 0
            case .medium: 1
            case .quartile: 2
            case .high: 3
            }
        }
    }
}
