// libFuzzer target: header values the registry reads and writes — `Link` (strict parser and the
// writer the server uses for version and manifest links) and `Accept` (the registry API version).
// Fuzz build: scripts/fuzz.sh FuzzHeaders. Normal build: `FuzzHeaders FILE…` replays inputs.
import BulwarkCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHeaders(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    guard let selector = bytes.first else { return 0 }
    let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
    switch selector % 3 {
    case 0:
        // Whatever parses and can be written again, round-trips.
        if let links = LinkValue.parse(text), links.allSatisfy(\.isWritable) {
            let written = LinkValue.format(links)
            guard let again = LinkValue.parse(written), again == links else { fatalError("Link \(links) wrote \(written), which reads back differently") }
        }
    case 1:
        let accept = RegistryAccept.parse(text)
        if case .version(let digits) = accept {
            guard digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { fatalError("Accept version '\(digits)' is not digits") }
        }
        if text.lowercased().hasPrefix("application/vnd.swift.registry.v1+json"), !accept.isSupported {
            fatalError("v1 refused in '\(text)'")
        }
    default:
        // Links the server writes from a package identifier, a version and a manifest file name:
        // whenever those parse, the header they give reads back exactly.
        let fields = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard fields.count >= 3, let id = try? PackageIdentifier(fields[0]), let version = try? SemanticVersion(fields[1]) else { return 0 }
        let release = "https://registry.example/\(id.scope)/\(id.name)/\(version)"
        var links = [LinkValue(url: release, rel: "latest-version")]
        if let tools = ToolsVersion.fromAlternateManifestName(fields[2]) {
            links.append(LinkValue(url: "\(release)/Package.swift?swift-version=\(tools)", rel: "alternate", parameters: [("filename", fields[2]), ("swift-tools-version", "\(tools)")]))
        }
        guard links.allSatisfy(\.isWritable) else { fatalError("the server would write an unreadable link for \(links)") }
        let written = LinkValue.format(links)
        guard LinkValue.parse(written) == links else { fatalError("Link header \(written) doesn't read back as \(links)") }
    }
    return 0
}

#if !FUZZING
import FuzzReplay

@main struct ReplayHeaders {
    static func main() throws { try replay(CommandLine.arguments.dropFirst(), fuzzHeaders) }
}
#endif
