/// Why some bytes are not an acceptable CBOR data item. Messages are safe to show: they never echo
/// the input.
public enum CBORError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input ended inside a data item.
    case truncated
    /// A declared length or element count exceeds what the remaining input could possibly hold.
    case lengthExceedsInput
    /// An indefinite-length item (additional information 31); only definite lengths are accepted.
    case indefiniteLength
    /// A "break" stop code outside an indefinite-length item.
    case unexpectedBreak
    /// Additional information 28, 29 or 30, which RFC 8949 reserves.
    case reservedAdditionalInformation
    /// A two-byte simple value below 32, which RFC 8949 says is not well-formed.
    case invalidSimpleValue
    /// A text string that is not valid UTF-8.
    case invalidUTF8
    /// A map with two equal keys.
    case duplicateMapKey
    /// Containers and tags nested deeper than the limit.
    case tooDeep
    /// More data items than the limit.
    case tooManyItems
    /// Bytes left over after a complete data item.
    case trailingBytes

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .truncated: "CBOR data ends in the middle of an item"
        case .lengthExceedsInput: "CBOR item declares a length larger than the data"
        case .indefiniteLength: "CBOR indefinite-length items are not accepted"
        case .unexpectedBreak: "CBOR break code outside an indefinite-length item"
        case .reservedAdditionalInformation: "CBOR item uses reserved additional information (28-30)"
        case .invalidSimpleValue: "CBOR simple value below 32 encoded in two bytes"
        case .invalidUTF8: "CBOR text string is not valid UTF-8"
        case .duplicateMapKey: "CBOR map has a duplicate key"
        case .tooDeep: "CBOR items are nested too deeply"
        case .tooManyItems: "CBOR data has too many items"
        case .trailingBytes: "CBOR data has bytes after the item"
        }
    }
}
