import BulwarkAudit
import Foundation
import Testing

/// A file that cannot be parsed is one clean error with its path and reason; the audit goes on
/// and never crashes.
@Suite struct MalformedTests {
    static let files = [
        "swift-resolved/Package.resolved", "swift-manifest/Package.swift", "npm-lock/package-lock.json",
        "npm-shrinkwrap/npm-shrinkwrap.json", "yarn-classic/yarn.lock", "yarn-berry/yarn.lock", "pnpm/pnpm-lock.yaml",
        "requirements/requirements.txt", "poetry/poetry.lock", "pipfile/Pipfile.lock", "uv/uv.lock", "pylock/pylock.toml",
        "cargo/Cargo.lock", "gomod/go.mod", "gosum/go.sum", "gemfile/Gemfile.lock", "composer/composer.lock", "pom/pom.xml",
        "gradle/gradle.lockfile", "nuget-lock/packages.lock.json", "csproj/Broken.csproj", "packages-config/packages.config",
        "podfile/Podfile.lock", "workflow/.github/workflows/broken.yml", "dockerfile/Dockerfile", "compose/docker-compose.yml",
        "mix/mix.lock", "renv/renv.lock", "description/DESCRIPTION", "depsedn/deps.edn", "projectclj/project.clj",
        "environment/environment.yml", "condalock/conda-lock.yml", "cabal/cabal.project.freeze", "stack/stack.yaml.lock",
        "julia/Manifest.toml", "spacklock/spack.lock", "spackyaml/spack.yaml", "brewfile/Brewfile",
    ]

    @Test(arguments: files)
    func aMalformedFileIsOneCleanError(_ file: String) throws {
        let report = try Fixtures.audit("malformed/" + file.split(separator: "/").first!)
        #expect(report.errors.count == 1, "\(report.errors)")
        let error = try #require(report.errors.first)
        #expect(error.file == file.split(separator: "/").dropFirst().joined(separator: "/"))
        #expect(!error.message.isEmpty)
        #expect(!error.message.contains("\n"), "one line: \(error.message)")
        #expect(report.dependencies.isEmpty)
    }

    @Test func theWholeMalformedTreeGivesOneErrorPerFile() throws {
        let report = try Fixtures.audit("malformed")
        #expect(report.errors.count == Self.files.count)
        #expect(Set(report.errors.map(\.file)) == Set(Self.files))
    }

    /// Every prefix of every good fixture (truncated files) is read or rejected, never a crash.
    @Test func truncatedFilesNeverCrash() throws {
        let root = try Fixtures.url("project")
        for path in DirectoryWalker().files(under: root) {
            guard let reader = Audit.reader(for: path) else { continue }
            let text = try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
            let characters = Array(text)
            for cut in stride(from: 0, to: characters.count, by: max(1, characters.count / 23)) {
                _ = try? reader.read(String(characters[..<cut]), file: path)
            }
        }
    }
}

/// Hostile nesting is an error, not a stack overflow.
@Suite struct DeepNestingTests {
    static let depth = 20_000

    @Test(arguments: [
        ("deps.edn", String(repeating: "{:a ", count: depth)),
        ("project.clj", "(defproject x \"1\" :dependencies " + String(repeating: "[", count: depth)),
        ("package-lock.json", "{\"lockfileVersion\": 1, \"dependencies\": " + String(repeating: "{\"a\": ", count: depth)),
        (".github/workflows/ci.yml", "jobs: " + String(repeating: "[", count: depth)),
        ("Cargo.lock", "a = " + String(repeating: "[", count: depth)),
        ("pom.xml", "<project>" + String(repeating: "<a>", count: depth)),
    ])
    func deeplyNestedInputIsAnError(file: String, text: String) throws {
        let reader = try #require(Audit.reader(for: file))
        #expect(throws: (any Error).self) { try reader.read(text, file: file) }
    }
}

/// Inputs the FuzzLockfiles target found (Fuzz/corpus/FuzzLockfiles keeps them too).
@Suite struct FuzzFoundTests {
    @Test func aClosingParenthesisBeforeTheOpeningOneIsNoVersion() throws {
        let reader = try #require(Audit.reader(for: "DESCRIPTION"))
        let dependencies = try reader.read("Package: x\nImports: broken) (>= 1.0, fine (>= 2.0)\n", file: "DESCRIPTION")
        #expect(dependencies.count == 2)
        #expect(dependencies.first?.version == nil)
        #expect(dependencies.last?.name == "fine")
        #expect(dependencies.last?.version == ">= 2.0")
    }

    @Test func aControlCharacterInTOMLIsAnErrorNotAnAssertion() throws {
        let reader = try #require(Audit.reader(for: "Manifest.toml"))
        #expect(throws: (any Error).self) { try reader.read("julia_version = \"1.10.0\"\n[[\u{17}\u{0}ps.DataFrames]]\n", file: "Manifest.toml") }
        #expect(throws: (any Error).self) { try reader.read("# comment \u{1}\n", file: "Manifest.toml") }
    }
}
