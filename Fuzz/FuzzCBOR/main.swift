// libFuzzer target: the CBOR decoder (WebAuthn attestation objects, COSE keys).
// Fuzz build: scripts/fuzz.sh FuzzCBOR. Normal build: `FuzzCBOR FILE…` replays inputs.
import BulwarkCBOR

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCBOR(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    for limits in [CBORLimits.default, CBORLimits(maxDepth: 4, maxItems: 64)] {
        if let value = try? CBOR.decode(bytes, limits: limits) {
            // Whatever the decoder accepts, the encoder writes back as something it accepts again,
            // and that is a fixed point.
            let encoded = value.encoded()
            guard let again = try? CBOR.decode(encoded, limits: CBORLimits(maxDepth: 256, maxItems: Int.max)) else {
                fatalError("decoded \(value), but its encoding \(encoded) does not decode")
            }
            guard again.encoded() == encoded else { fatalError("encoding of \(value) is not stable") }
        }
        if let (_, rest) = try? CBOR.decodePrefix(bytes, limits: limits) {
            guard rest.count <= bytes.count, rest.endIndex == bytes.endIndex else { fatalError("decodePrefix returned a bad rest") }
        }
    }
    return 0
}

#if !FUZZING
import FuzzReplay

@main struct ReplayCBOR {
    static func main() throws { try replay(CommandLine.arguments.dropFirst(), fuzzCBOR) }
}
#endif
