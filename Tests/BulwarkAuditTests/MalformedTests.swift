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

    /// toml++ asserts on a table header whose key starts with neither a bare-key character nor a
    /// quote (`[[!# x`, Fuzz/corpus/FuzzLockfiles/toml-bang-in-table-header): `Parse.toml` rejects
    /// every malformed header first.
    @Test(arguments: [
        "[[!# Tpachisk", "[!a]", "[[ !a]]", "[ ]", "[[]]", "[a.!b]", "[a.]", "[a] junk", "[ [a]]", "[[a] ]", "[a",
        "[\"a]", "[\"\"\"a\"\"\"]", "['''a''']", "[a b]", "[é]", "[a]\rx", "[", "[[a]]]",
    ])
    func aMalformedTableHeaderIsAnErrorNotAnAssertion(header: String) throws {
        let reader = try #require(Audit.reader(for: "pylock.toml"))
        let text = "lock-version = \"1.0\"\ncreated-by = \"pip\"\nrequires-python = \">=3.12\"\n\n" + header + "\nx = 1\n"
        let error = try #require(throws: AuditError.self) { try reader.read(text, file: "pylock.toml") }
        #expect(error.description == "invalid TOML at line 5: malformed table header")
    }

    /// toml++ skips a byte order mark, so a header right after one is a header too
    /// (Fuzz/corpus/FuzzLockfiles/toml-bad-header-after-byte-order-mark); a good one is still read.
    @Test func aTableHeaderAfterAByteOrderMarkIsChecked() throws {
        let reader = try #require(Audit.reader(for: "Cargo.lock"))
        let error = try #require(throws: AuditError.self) { try reader.read("\u{FEFF} [!a]\n", file: "Cargo.lock") }
        #expect(error.description == "invalid TOML at line 1: malformed table header")
        let good = "\u{FEFF}[[package]]\nname = \"serde\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
        #expect(try reader.read(good, file: "Cargo.lock").map(\.name) == ["serde"])
    }

    /// toml++ asserts (`parse_value(): Assertion '!is_value_terminator(*cp)'`) when an array
    /// expects a value and sees `}` (`dependencies = [ }`, Fuzz/corpus/FuzzLockfiles/toml-brace-in-array)
    /// or a Unicode line break it does not consume: both are refused first.
    @Test(arguments: [
        ("dependencies = [ }", "unexpected '}'"), ("dependencies = [\n  \"a\",\n  }\n]", "unexpected '}'"),
        ("dependencies = [ { a = 1 ] }", "unexpected ']'"), ("dependencies = [ \u{2028} ]", "U+2028 outside a string or comment"),
        ("dependencies = [ 1, \u{85} ]", "U+0085 outside a string or comment"), ("dependencies = [\u{2029}]", "U+2029 outside a string or comment"),
    ])
    func aMisplacedValueTerminatorInTOMLIsAnErrorNotAnAssertion(value: String, message: String) throws {
        let reader = try #require(Audit.reader(for: "uv.lock"))
        let text = "version = 1\n\n[[package]]\nname = \"a\"\n" + value + "\n"
        let error = try #require(throws: AuditError.self) { try reader.read(text, file: "uv.lock") }
        #expect(error.description == "invalid TOML at line 5: \(message)" || value.contains("\n"), "\(error)")
        #expect(error.description.hasSuffix(message))
    }

    /// The header check leaves valid TOML alone: headers with quoted, dotted and spaced keys are
    /// read, and lines starting with `[` inside multi-line strings and array values are no headers.
    @Test func validTOMLWithHeaderLookalikesIsStillRead() throws {
        let reader = try #require(Audit.reader(for: "Cargo.lock"))
        let text = #"""
            version = 3
            notes = """
            [[!# not a header
            [ also not ""\"""""
            literal = '''
            [[package]]
            '''''
            matrix = [
              [1, 2],
              [{ a = "[x" }, 'y]'],
            ]
            ["odd.key"  .  'lit'  ]   # a comment
            "[q]" = 1
            [ a . b-c . d_1 ]
            e = { f = [[1], [2]] }
            [x."y\"]"]
            notes = "\#u{2028} and } and ]"  # \#u{2029} ] }
            [[ package ]]
            name = "serde"
            version = "1.0.193"
            source = "registry+https://github.com/rust-lang/crates.io-index"
            [[package]]	# tab, then a comment
            name = "tokio"
            version = "1.35.0"
            source = "registry+https://github.com/rust-lang/crates.io-index"

            """#
        let dependencies = try reader.read(text, file: "Cargo.lock")
        #expect(dependencies.map(\.name) == ["serde", "tokio"])
        let crlf = try reader.read(text.replacingOccurrences(of: "\n", with: "\r\n"), file: "Cargo.lock")
        #expect(crlf.map(\.name) == ["serde", "tokio"])
    }

    /// A processing instruction without data (`<?name?>`, valid XML) made FoundationXML call
    /// `strlen(NULL)` (Fuzz/corpus/FuzzLockfiles/xml-processing-instruction-without-data): it is
    /// read now, and so are look-alikes in comments and CDATA. A broken tag before one
    /// (`<x<?<?y?>`, crash-a32b0ef9) is an error, not a crash.
    @Test func anXMLProcessingInstructionWithoutDataIsRead() throws {
        let reader = try #require(Audit.reader(for: "packages.config"))
        let text = """
            <?xml version="1.0" encoding="utf-8"?>
            <?a?><?\u{FFFD}\u{FFFD}0?>
            <!-- <?b?> -->
            <packages>
              <?c?>
              <package id="Newtonsoft.Json" version="13.0.3" targetFramework="net48" /><?d?>
              <![CDATA[<?e?>]]>
            </packages>
            <?f?>
            """
        let dependencies = try reader.read(text, file: "packages.config")
        #expect(dependencies.map(\.name) == ["Newtonsoft.Json"])
        #expect(dependencies.first?.version == "13.0.3")
        #expect(throws: AuditError.self) { try reader.read("<\u{FFFD}<?<?\u{FFFD}?>", file: "packages.config") }
        #expect(throws: AuditError.self) { try reader.read("<packages><x<?<?y?></packages>", file: "packages.config") }
    }

    /// A document type declaration could build the same instruction from an internal entity, so
    /// it is refused anywhere in the text (no dependency file needs one).
    @Test(arguments: [
        "<!DOCTYPE p [<!ENTITY e \"&#60;?a?&#62;\">]>\n<project>&e;</project>",
        "<?xml version=\"1.0\"?>\n<!DOCTYPE project>\n<project/>",
        "<?xml version=\"1.0\"?>\n<!-- <!DOCTYPE project> -->\n<project/>",
    ])
    func anXMLDocumentTypeDeclarationIsAnError(text: String) throws {
        let reader = try #require(Audit.reader(for: "pom.xml"))
        let error = try #require(throws: AuditError.self) { try reader.read(text, file: "pom.xml") }
        let line = text.hasPrefix("<?xml") ? 2 : 1
        #expect(error.description == "invalid XML at line \(line): a document type declaration (<!DOCTYPE) is not allowed in a dependency file")
    }

    /// EDN reader macros (`#`, `'`, `^`, `@`, …) nest like collections: thousands of them overflowed
    /// the stack (Fuzz/corpus/FuzzLockfiles/edn-thousands-of-prefixes); now they count against the depth limit.
    @Test(arguments: ["#", "'", "^", "@", "~", "`", "#_"])
    func thousandsOfEDNPrefixesAreAnErrorNotAStackOverflow(prefix: String) throws {
        for (file, text) in [
            ("deps.edn", "{:deps {a/b {:mvn/version " + String(repeating: prefix, count: 20_000) + "\"1\"}}}"),
            ("project.clj", "(defproject x \"1\" :dependencies [" + String(repeating: prefix, count: 20_000) + "[a/b \"1\"]])"),
        ] {
            let reader = try #require(Audit.reader(for: file))
            let error = try #require(throws: AuditError.self) { try reader.read(text, file: file) }
            #expect(error.description.contains("nested more than 256 levels deep"), "\(error)")
        }
        let reader = try #require(Audit.reader(for: "deps.edn"))
        let fine = try reader.read("{:deps {a/b {:mvn/version " + String(repeating: "^:x ", count: 100) + "\"1.0\"}}}", file: "deps.edn")
        #expect(fine.map(\.version) == ["1.0"])
    }

    /// Yams's constructor force-unwraps every mapping key as a string, so a sequence or mapping
    /// as a key (`? - uses: x`, Fuzz/corpus/FuzzLockfiles/yaml-sequence-as-mapping-key) trapped.
    @Test(arguments: ["    ? - uses: a/b@v1\n    : x\n", "    ? {uses: a/b@v1}\n    : x\n", "    [a, b]: x\n"])
    func aYAMLKeyThatIsNotAStringIsAnErrorNotATrap(key: String) throws {
        let reader = try #require(Audit.reader(for: ".github/workflows/ci.yml"))
        let text = "on: [push]\njobs:\n  test:\n    steps:\n      - uses: actions/checkout@v4\n" + key
        let error = try #require(throws: AuditError.self) { try reader.read(text, file: ".github/workflows/ci.yml") }
        #expect(error.description == "invalid YAML at line 6: a mapping key is not a string")
    }

    /// Aliases are expanded with a bound, so a "billion laughs" is an error, not a memory blow-up;
    /// ordinary anchors still work, and explicitly tagged scalars stay strings.
    @Test func yamlAliasesAreExpandedWithinABound() throws {
        let reader = try #require(Audit.reader(for: ".github/workflows/ci.yml"))
        var laughs = "on: [push]\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            laughs += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        laughs += "jobs: {}\n"
        let error = try #require(throws: AuditError.self) { try reader.read(laughs, file: ".github/workflows/ci.yml") }
        #expect(error.description == "invalid YAML: the document has too many nodes once its aliases are expanded")

        let anchors = """
            on: [push]
            x-step: &checkout {uses: actions/checkout@v4}
            jobs:
              a: {runs-on: ubuntu-latest, steps: [*checkout]}
              b: {runs-on: ubuntu-latest, steps: [*checkout, {uses: !!str actions/cache@v4}]}

            """
        let dependencies = try reader.read(anchors, file: ".github/workflows/ci.yml")
        #expect(dependencies.map(\.name).sorted() == ["actions/cache", "actions/checkout", "actions/checkout"])
    }
}
