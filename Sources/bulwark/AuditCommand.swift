import ArgumentParser
import BulwarkAudit
import Foundation

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
        let report: AuditReport
        do {
            report = try Audit.run(root: root, data: data, progress: progress)
        } catch {
            fail("\(error)")
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
