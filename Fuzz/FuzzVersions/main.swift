// libFuzzer target: the small parsers that see request paths and metadata: SemanticVersion,
// PackageIdentifier, PackagePattern, ToolsVersion, RepositoryURL.normalize, Timestamp.parse.
// Fuzz build: scripts/fuzz.sh FuzzVersions. Normal build: `FuzzVersions FILE…` replays inputs.
import BulwarkCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVersions(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: bytes, as: UTF8.self)

    if let version = try? SemanticVersion(text) {
        // The printed form parses back to the same version; precedence is a strict order.
        guard let again = try? SemanticVersion(version.description) else { fatalError("'\(version)' does not parse back") }
        guard again == version, again.description == version.description else { fatalError("'\(text)' round-trips to '\(again)'") }
        guard !(version < version) else { fatalError("'\(version)' < itself") }
        _ = version.precedenceKey
    }
    // Two versions from the two halves: the order is antisymmetric and agrees with ==.
    let halves = text.split(separator: "\n", maxSplits: 1).map(String.init)
    if halves.count == 2, let a = try? SemanticVersion(halves[0]), let b = try? SemanticVersion(halves[1]) {
        let lt = a < b, gt = b < a
        guard !(lt && gt) else { fatalError("'\(a)' < '\(b)' and '\(b)' < '\(a)'") }
        guard (a == b) == (!lt && !gt) else { fatalError("'\(a)' and '\(b)': == disagrees with <") }
        guard (a == b) == (a.precedenceKey == b.precedenceKey) else { fatalError("precedence keys disagree") }
    }

    if let id = try? PackageIdentifier(text) {
        guard let again = try? PackageIdentifier(id.description) else { fatalError("'\(id)' does not parse back") }
        guard again == id else { fatalError("'\(text)' round-trips to '\(again)'") }
        _ = id.canonicalKey
    }
    if let pattern = try? PackagePattern(text) {
        guard let again = try? PackagePattern(pattern.description), again == pattern else { fatalError("pattern '\(pattern)' does not round-trip") }
        if let id = try? PackageIdentifier(halves.last ?? text) { _ = pattern.covers(id) }
    }

    if let tools = ToolsVersion(text) {
        guard let again = ToolsVersion(tools.description), again == tools else { fatalError("tools version '\(tools)' does not round-trip") }
    }
    _ = ToolsVersion.declared(inManifest: bytes)
    _ = ToolsVersion.fromAlternateManifestName(text)

    if let normalized = RepositoryURL.normalize(text) {
        // Normalising is idempotent: a stored URL finds itself again.
        guard let twice = RepositoryURL.normalize(normalized) else { fatalError("'\(text)' normalises to '\(normalized)', which is refused") }
        guard twice == normalized else { fatalError("'\(text)' → '\(normalized)' → '\(twice)'") }
    }
    _ = Timestamp.parse(text)
    return 0
}

#if !FUZZING
import FuzzReplay

@main struct ReplayVersions {
    static func main() throws { try replay(CommandLine.arguments.dropFirst(), fuzzVersions) }
}
#endif
