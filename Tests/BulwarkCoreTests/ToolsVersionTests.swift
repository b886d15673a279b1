import BulwarkCore
import Testing

@Suite("ToolsVersion")
struct ToolsVersionTests {
    @Test func versionsWithOmittedZeroComponentsAreEqual() throws {
        let six = try #require(ToolsVersion("6"))
        let sixZero = try #require(ToolsVersion("6.0"))
        let sixZeroZero = try #require(ToolsVersion("6.0.0"))

        #expect(six == sixZero)
        #expect(sixZero == sixZeroZero)
        #expect(Set([six, sixZero, sixZeroZero]).count == 1)
        #expect((six.major, six.minor, six.patch) == (6, 0, 0))
    }

    @Test(arguments: [
        ("6", "6.0"), ("6.0", "6.0"), ("6.0.0", "6.0"), ("5.9", "5.9"), ("5.10", "5.10"),
        ("6.0.1", "6.0.1"), ("5.10.0", "5.10"), ("6.1", "6.1"),
    ])
    func descriptionUsesTheFormSwiftPMWrites(_ string: String, _ expected: String) throws {
        #expect(try #require(ToolsVersion(string)).description == expected)
    }

    @Test func versionsAreOrderedNumericallyNotLexically() throws {
        let ordered = try ["5.9", "5.10", "6.0", "6.0.1", "6.1", "10.0"].map { try #require(ToolsVersion($0)) }

        for i in ordered.indices {
            for j in ordered.indices {
                #expect((ordered[i] < ordered[j]) == (i < j), "\(ordered[i]) < \(ordered[j])")
            }
        }
        #expect(ordered.reversed().sorted() == ordered)
    }

    @Test(arguments: [
        "", "6.", ".6", "6..0", "6.0.0.0", "v6", "6.a", "-1", "6.-1", "+6", " 6.0", "6.0 ", "12345", "6.0;",
        "٦.٠",  // Arabic-Indic digits are numbers, but not tools-version digits
    ])
    func malformedVersionsDoNotParse(_ string: String) {
        #expect(ToolsVersion(string) == nil)
    }

    @Test(arguments: [
        ("// swift-tools-version:5.9", "5.9"),
        ("// swift-tools-version: 6.0", "6.0"),
        ("//swift-tools-version:6.0.0", "6.0"),
        ("// swift-tools-version:5.10;(experimentalFeatures)", "5.10"),
        ("// swift-tools-version:6.0; (experimentalFeatures)", "6.0"),
        ("// swift-tools-version:5.9.2", "5.9.2"),
        ("// swift-tools-version:6", "6.0"),
        ("//\tswift-tools-version:\t5.9", "5.9"),
        ("// Swift-Tools-Version:5.9", "5.9"),
        ("// swift-tools-version:5.9 // trailing comment", "5.9"),
    ])
    func theDeclaredVersionIsReadFromTheFirstManifestLine(_ firstLine: String, _ expected: String) throws {
        let manifest = firstLine + "\nimport PackageDescription\n\nlet package = Package(name: \"P\")\n"

        let version = try #require(ToolsVersion.declared(inManifest: Array(manifest.utf8)))

        #expect(version.description == expected)
    }

    @Test func aManifestWithCRLFLineEndingsIsRead() throws {
        let manifest = Array("// swift-tools-version:5.9\r\nimport PackageDescription\r\n".utf8)

        #expect(ToolsVersion.declared(inManifest: manifest)?.description == "5.9")
    }

    @Test func aManifestThatIsOnlyTheToolsVersionLineIsRead() throws {
        #expect(ToolsVersion.declared(inManifest: Array("// swift-tools-version:6.0".utf8))?.description == "6.0")
    }

    @Test(arguments: [
        "import PackageDescription\nlet package = Package(name: \"P\")\n",
        "\n// swift-tools-version:5.9\n",
        "import PackageDescription\n// swift-tools-version:5.9\n",
        "/* swift-tools-version:5.9 */\n",
        "// swift-tools-version 5.9\n",
        "// swift-tools-version:\n",
        "// swift-tools-version:abc\n",
        "// tools-version:5.9\n",
        "",
    ])
    func aManifestWithoutAToolsVersionLineDeclaresNothing(_ manifest: String) {
        #expect(ToolsVersion.declared(inManifest: Array(manifest.utf8)) == nil)
    }

    @Test func onlyTheFirst512BytesAreConsidered() {
        let padded = "// swift-tools-version:" + String(repeating: " ", count: 600) + "5.9\n"

        #expect(ToolsVersion.declared(inManifest: Array(padded.utf8)) == nil)
    }

    @Test(arguments: [
        ("Package@swift-6.0.swift", "6.0"),
        ("Package@swift-5.swift", "5.0"),
        ("Package@swift-5.9.swift", "5.9"),
        ("Package@swift-5.10.swift", "5.10"),
        ("Package@swift-6.0.2.swift", "6.0.2"),
    ])
    func alternateManifestNamesCarryAToolsVersion(_ filename: String, _ expected: String) throws {
        let version = try #require(ToolsVersion.fromAlternateManifestName(filename))

        #expect(version.description == expected)
    }

    @Test func anAlternateManifestWithAMajorOnlyVersionEqualsTheDottedForm() throws {
        let five = try #require(ToolsVersion.fromAlternateManifestName("Package@swift-5.swift"))

        #expect(five == ToolsVersion("5.0.0"))
    }

    @Test(arguments: [
        "Package.swift", "Package@swift-.swift", "Package@swift-six.swift", "Package@swift-6.0.swift.orig",
        "package@swift-6.0.swift", "Package@swift-6.0.0.0.swift", "Package@swift-6.0", "Package@swift6.0.swift",
        "Sources/Package@swift-6.0.swift", "Package@swift-6.0.SWIFT", "Package@swift-v6.swift", "",
    ])
    func otherFileNamesAreNotAlternateManifests(_ filename: String) {
        #expect(ToolsVersion.fromAlternateManifestName(filename) == nil)
    }
}
