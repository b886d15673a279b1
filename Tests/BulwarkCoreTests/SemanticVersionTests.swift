import BulwarkCore
import Testing

@Suite("SemanticVersion")
struct SemanticVersionTests {
    struct ValidCase: Sendable, CustomTestStringConvertible {
        let string: String
        let major: UInt64, minor: UInt64, patch: UInt64
        let prerelease: [String]
        let build: [String]
        var testDescription: String { string }

        init(_ string: String, _ major: UInt64, _ minor: UInt64, _ patch: UInt64, pre: [String] = [], build: [String] = []) {
            (self.string, self.major, self.minor, self.patch, self.prerelease, self.build) = (string, major, minor, patch, pre, build)
        }
    }

    static let validCases: [ValidCase] = [
        .init("0.0.0", 0, 0, 0),
        .init("1.2.3", 1, 2, 3),
        .init("10.20.30", 10, 20, 30),
        .init("1.3.0-beta.1+build.5", 1, 3, 0, pre: ["beta", "1"], build: ["build", "5"]),
        .init("1.0.0-alpha-1", 1, 0, 0, pre: ["alpha-1"]),
        .init("1.0.0+001", 1, 0, 0, build: ["001"]),
        .init("1.0.0-0.3.7", 1, 0, 0, pre: ["0", "3", "7"]),
        .init("1.0.0-x.7.z.92", 1, 0, 0, pre: ["x", "7", "z", "92"]),
        .init("1.0.0-x-y-z.--", 1, 0, 0, pre: ["x-y-z", "--"]),
        .init("1.0.0-0A.00a", 1, 0, 0, pre: ["0A", "00a"]),
        .init("1.0.0-alpha+001", 1, 0, 0, pre: ["alpha"], build: ["001"]),
        .init("1.0.0+20130313144700", 1, 0, 0, build: ["20130313144700"]),
        .init("1.0.0-beta+exp.sha.5114f85", 1, 0, 0, pre: ["beta"], build: ["exp", "sha", "5114f85"]),
        .init("1.0.0+21AF26D3----117B344092BD", 1, 0, 0, build: ["21AF26D3----117B344092BD"]),
        .init("18446744073709551615.0.0", UInt64.max, 0, 0),
    ]

    @Test(arguments: validCases)
    func validVersionsParseIntoTheirComponents(_ c: ValidCase) throws {
        let version = try SemanticVersion(c.string)

        #expect(version.major == c.major)
        #expect(version.minor == c.minor)
        #expect(version.patch == c.patch)
        #expect(version.prerelease == c.prerelease)
        #expect(version.build == c.build)
        #expect(version.isPrerelease == !c.prerelease.isEmpty)
    }

    @Test(arguments: validCases)
    func descriptionReproducesTheParsedStringExactly(_ c: ValidCase) throws {
        let version = try SemanticVersion(c.string)

        #expect(version.description == c.string)
        #expect(try SemanticVersion(version.description) == version)
    }

    @Test(arguments: [
        "", "1", "1.0", "v1.0.0", "V1.0.0", "=1.0.0",
        "01.0.0", "1.01.0", "1.0.01", "00.0.0",
        "1.0.0-", "1.0.0-01", "1.0.0-alpha.01", "1.0.0+",
        "1.0.0-alpha..1", "1.0.0-.alpha", "1.0.0-alpha.", "1.0.0+build..1", "1.0.0+.build", "1.0.0+build.",
        "1.0.0-+build", "1.0.0++", "1.0.0+a+b",
        "1.0.0.0", "1..0", "1.0.", ".1.0.0", "1.0.0.", "a.b.c", "1.x.0",
        " 1.0.0", "1.0.0 ", "1.0.0\n", "1. 0.0",
        "-1.0.0", "1.-1.0", "+1.0.0",
        "1.0.0-alpha_beta", "1.0.0-äpfel", "1.0.0+build!", "1.0.0-alpha beta",
        "18446744073709551616.0.0",
    ])
    func invalidVersionsAreRejectedAsBadRequests(_ string: String) {
        let error = #expect(throws: BulwarkError.self) { try SemanticVersion(string) }

        #expect(error?.kind == .badRequest)
        #expect(error?.httpStatus == 400)
        #expect(error?.detail.contains("'\(string)'") == true)
    }

    @Test func aVersionLongerThan256BytesIsRejected() throws {
        let long = "1.0.0-" + String(repeating: "a", count: 251)
        let limit = "1.0.0-" + String(repeating: "a", count: 250)

        #expect(long.utf8.count == 257)
        #expect(throws: BulwarkError.self) { try SemanticVersion(long) }
        #expect(try SemanticVersion(limit).prerelease == [String(repeating: "a", count: 250)])
    }

    /// semver.org §11.4: the example precedence chain.
    static let specChain = [
        "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
        "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0",
    ]

    @Test func precedenceFollowsTheSpecificationExampleChain() throws {
        let versions = try Self.specChain.map { try SemanticVersion($0) }

        for i in versions.indices {
            for j in versions.indices {
                #expect((versions[i] < versions[j]) == (i < j), "\(versions[i]) < \(versions[j])")
                #expect((versions[i] == versions[j]) == (i == j), "\(versions[i]) == \(versions[j])")
            }
        }
    }

    @Test func sortingAShuffledChainRestoresSpecificationOrder() throws {
        var generator = SplitMix64(seed: 11)
        let shuffled = Self.specChain.shuffled(using: &generator)

        let sorted = try shuffled.map { try SemanticVersion($0) }.sorted()

        #expect(sorted.map(\.description) == Self.specChain)
    }

    @Test(arguments: [
        ("1.0.0", "2.0.0"), ("2.0.0", "2.1.0"), ("2.1.0", "2.1.1"),
        ("1.9.0", "1.10.0"), ("1.0.9", "1.0.10"), ("9.0.0", "10.0.0"),
        ("1.0.0-alpha.9", "1.0.0-alpha.10"),
        ("1.0.0-1", "1.0.0-alpha"),  // numeric identifiers sort before alphanumeric ones
        ("1.0.0-999", "1.0.0-0a"),
        ("1.0.0-Beta", "1.0.0-alpha"),  // ASCII order: upper case before lower case
        ("1.0.0-alpha", "1.0.0-alpha.0"),  // a larger set of identifiers wins when all else is equal
        ("1.0.0-rc.1", "1.0.0"),
        ("1.0.0", "1.0.1-alpha"),
        ("0.0.0", "18446744073709551615.0.0"),
    ])
    func lowerPrecedenceComparesLess(_ lower: String, _ higher: String) throws {
        let a = try SemanticVersion(lower)
        let b = try SemanticVersion(higher)

        #expect(a < b)
        #expect(!(b < a))
        #expect(a != b)
        #expect(b > a)
    }

    @Test func buildMetadataIsIgnoredForEqualityAndPrecedence() throws {
        let a = try SemanticVersion("1.0.0+a")
        let b = try SemanticVersion("1.0.0+b.2")
        let plain = try SemanticVersion("1.0.0")

        #expect(a == b)
        #expect(a == plain)
        #expect(!(a < b) && !(b < a))
        #expect(a.precedenceKey == "1.0.0")
        #expect(b.precedenceKey == "1.0.0")
    }

    @Test func buildMetadataIsKeptInTheDescription() throws {
        let version = try SemanticVersion("1.3.0-beta.1+build.5")

        #expect(version.description == "1.3.0-beta.1+build.5")
        #expect(version.precedenceKey == "1.3.0-beta.1")
        #expect(version.build == ["build", "5"])
    }

    @Test func versionsDifferingOnlyInBuildMetadataHashTheSame() throws {
        let versions = try ["1.0.0-beta+exp.sha.5114f85", "1.0.0-beta", "1.0.0-beta+1"].map { try SemanticVersion($0) }

        #expect(Set(versions).count == 1)
        #expect(versions.map(\.hashValue).allSatisfy { $0 == versions[0].hashValue })
    }

    @Test func aPrereleaseIsNotEqualToItsRelease() throws {
        let release = try SemanticVersion("1.0.0")
        let prerelease = try SemanticVersion("1.0.0-0")

        #expect(release != prerelease)
        #expect(prerelease.isPrerelease)
        #expect(!release.isPrerelease)
        #expect(Set([release, prerelease]).count == 2)
    }

    @Test func prereleaseIdentifiersAreCaseSensitive() throws {
        #expect(try SemanticVersion("1.0.0-RC.1") != SemanticVersion("1.0.0-rc.1"))
    }

    // MARK: Known bugs

    /// `-0` is an alphanumeric identifier (it contains a hyphen), so it sorts after every numeric
    /// identifier (a naive `UInt64(_:)` parse would accept "-0" as 0).
    @Test func anIdentifierWithAHyphenIsNeverNumeric() throws {
        let numeric = try SemanticVersion("1.0.0-1")
        let alphanumeric = try SemanticVersion("1.0.0--0")
        let zero = try SemanticVersion("1.0.0-0")

        #expect(numeric < alphanumeric)
        // `0` and `-0` are different versions, so one must sort before the other.
        #expect(zero < alphanumeric)
        #expect(zero != alphanumeric)
    }

    /// Numeric identifiers compare numerically whatever their size (semver.org §11.4.1); ones that
    /// don't fit in a UInt64 too.
    @Test func numericIdentifiersBeyondUInt64CompareNumerically() throws {
        let smaller = try SemanticVersion("1.0.0-99999999999999999999")
        let larger = try SemanticVersion("1.0.0-100000000000000000000")

        #expect(smaller < larger)
    }
}

/// A small deterministic generator, so shuffles and random chunkings are reproducible.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
