// libFuzzer target: the audit's dependency-file readers (lockfiles and manifests of 20
// ecosystems, YAML/TOML/JSON/XML/EDN and line formats). The first byte picks the reader; every
// input must end in dependencies or a thrown error, never a trap or a hang.
// Fuzz build: scripts/fuzz.sh FuzzLockfiles. Normal build: `FuzzLockfiles FILE…` replays inputs.
import BulwarkAudit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLockfiles(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    guard let selector = bytes.first else { return 0 }
    let reader = Audit.readers[Int(selector) % Audit.readers.count]
    let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
    if let dependencies = try? reader.read(text, file: "fuzz") {
        // A reader reports what is in the file: never more dependencies than the file has bytes.
        guard dependencies.count <= bytes.count else { fatalError("\(type(of: reader)) found \(dependencies.count) dependencies in \(bytes.count) bytes") }
    }
    return 0
}

#if !FUZZING
import FuzzReplay

@main struct ReplayLockfiles {
    static func main() throws { try replay(CommandLine.arguments.dropFirst(), fuzzLockfiles) }
}
#endif
