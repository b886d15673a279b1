import ArgumentParser
import BulwarkAudit
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension ReportFormat: ExpressibleByArgument {}
extension FailLevel: ExpressibleByArgument {}

/// `bulwark audit [PATH]`: which registries a project's dependencies come from, and how each
/// protects publishing with a second factor.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Report how much of a project's dependency tree comes from registries that enforce 2FA.",
        discussion: """
            Reads the lockfiles and manifests of 20 ecosystems under PATH (npm, PyPI, crates.io, Go, \
            RubyGems, Packagist, Maven Central, NuGet, CocoaPods, GitHub Actions, Docker Hub, Hex, \
            CRAN, Clojars, conda-forge, Hackage, Julia, Swift, Spack, Homebrew). Git and path \
            dependencies are not counted, except Swift packages, which come from their Git hosts.
            Exit status: 0, or 1 when --fail-on finds a dependency at or below the level, or 2 for \
            an error.
            """
    )

    @Argument(help: "The project directory (or a single dependency file).")
    var path: String = "."

    @Option(help: "Output format: text, json, markdown or sarif.")
    var format: ReportFormat = .text

    @Option(help: "Exit 1 when a dependency comes from a registry at or below this level: none, optional or available.")
    var failOn: FailLevel = .never

    @Option(help: "A Bulwark registry's URL: read the security posture of the Swift packages pinned to it.")
    var registry: String?

    @Flag(help: "Print the registries' 2FA data (a table, or the data file with --format json) and exit.")
    var registries = false

    func run() async throws {
        let data: RegistryData
        do {
            data = try RegistryData.bundled()
        } catch {
            fail("\(error)")
        }
        if registries {
            if format == .json {
                // The data itself, for other tools (the same content as the bundled file).
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                FileHandle.standardOutput.write((try? encoder.encode(data)).map { $0 + Data("\n".utf8) } ?? Data())
            } else {
                FileHandle.standardOutput.write(Data(AuditReport.registriesTable(data).utf8))
            }
            return
        }
        let root = URL(fileURLWithPath: path)
        let showProgress = isatty(2) == 1
        // Progress on stderr, only on a terminal and only for large trees.
        let progress: (@Sendable (Int, Int) -> Void)? = showProgress ? Self.printProgress : nil
        var report: AuditReport
        do {
            report = try Audit.run(root: root, data: data, progress: progress)
        } catch {
            fail("\(error)")
        }
        if let registry {
            report.bulwark = await Self.lookUp(report.registryPinnedSwiftPackages, registry: registry, errors: &report.errors)
        }
        let output: String
        do {
            // Colour only on a terminal, and not when NO_COLOR is set (https://no-color.org).
            let colour = format == .text && isatty(1) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
            output = try report.render(format, failOn: failOn, colour: colour)
        } catch {
            fail("cannot write the report: \(error)")
        }
        FileHandle.standardOutput.write(Data(output.utf8))
        if !report.failing(at: failOn).isEmpty {
            throw ExitCode.failure
        }
    }

    /// Fetches `GET /api/v1/packages/{scope}/{name}/security` for each package; a package the
    /// registry doesn't know, or a failed request, becomes a report error, not a crash.
    static func lookUp(_ packages: [String], registry: String, errors: inout [FileError]) async -> BulwarkLookup {
        let base = registry.hasSuffix("/") ? String(registry.dropLast()) : registry
        var found: [String: BulwarkPosture] = [:]
        for package in packages {
            let parts = package.split(separator: ".", maxSplits: 1)
            guard parts.count == 2, let url = URL(string: "\(base)/api/v1/packages/\(parts[0])/\(parts[1])/security") else { continue }
            do {
                let (data, response) = try await URLSession.shared.data(from: url)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                guard status == 200 else {
                    errors.append(FileError(file: url.absoluteString, message: "the registry answered \(status)"))
                    continue
                }
                found[package] = try JSONDecoder().decode(BulwarkPosture.self, from: data)
            } catch {
                errors.append(FileError(file: url.absoluteString, message: "cannot read the security posture: \(error.localizedDescription)"))
            }
        }
        return BulwarkLookup(registry: base, packages: found)
    }

    @Sendable private static func printProgress(done: Int, total: Int) {
        guard total >= 200, done % 100 == 0 || done == total else { return }
        let end = done == total ? "\n" : ""
        FileHandle.standardError.write(Data("\rreading dependency files: \(done)/\(total)\(end)".utf8))
    }

    private func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        Foundation.exit(2)
    }
}
