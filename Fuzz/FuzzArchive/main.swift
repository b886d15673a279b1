// libFuzzer target: ArchiveInspector and its zip reader, on bytes written to a temporary file
// (the inspector reads uploads from disk). Fuzz build: scripts/fuzz.sh FuzzArchive.
// Normal build: `FuzzArchive FILE…` replays inputs.
import BulwarkArchive
import BulwarkCore
import Foundation

let scratch = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("bulwark-fuzz-archive-\(getpid()).zip")
// Small limits keep each execution fast; the checks are the same as with the defaults.
let limits = ArchiveLimits(maxEntries: 256, maxUncompressedBytes: 4 * 1024 * 1024, maxCompressionRatio: 200, maxManifestBytes: 64 * 1024)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArchive(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Data(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    guard (try? bytes.write(to: scratch)) != nil else { fatalError("cannot write \(scratch.path)") }
    if let summary = try? ArchiveInspector.inspect(fileAt: scratch, limits: limits) {
        // An accepted archive has a root manifest, each within the limit.
        guard summary.manifests.contains(where: { $0.filename == "Package.swift" }) else { fatalError("accepted without Package.swift") }
        for manifest in summary.manifests where manifest.bytes.count > limits.maxManifestBytes { fatalError("manifest over the limit") }
    }
    return 0
}

#if !FUZZING
import FuzzReplay

@main struct ReplayArchive {
    static func main() throws {
        defer { try? FileManager.default.removeItem(at: scratch) }
        try replay(CommandLine.arguments.dropFirst(), fuzzArchive)
    }
}
#endif
