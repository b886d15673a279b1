import BulwarkCore
import Testing

@Suite("PackageIdentifier")
struct PackageIdentifierTests {
    static let scope39 = "a" + String(repeating: "b", count: 37) + "c"
    static let scope40 = "a" + String(repeating: "b", count: 38) + "c"
}

extension PackageIdentifierTests {
    /// Builds a valid name of exactly `length` characters that uses every allowed separator.
    static func name(length: Int) -> String {
        precondition(length >= 1)
        var chars: [Character] = ["N"]
        let cycle: [Character] = ["_", "x", "-", "7"]
        while chars.count < length - 1 { chars.append(cycle[(chars.count - 1) % cycle.count]) }
        if length > 1 { chars.append("z") }
        return String(chars)
    }

    @Test func lengthHelpersProduceTheLengthsTheTestsRelyOn() {
        #expect(Self.scope39.count == 39)
        #expect(Self.scope40.count == 40)
        #expect(Self.name(length: 100).count == 100)
        #expect(Self.name(length: 101).count == 101)
        #expect(PackageIdentifier.isValidName(Self.name(length: 99)))
    }

    static var acceptedIdentifiers: [String] {
        [
            "Sc0pe.N4me_x-y", "a.b", "mona.LinkedList", "Mona.Linked_List", "test.pkg", "0.0",
            "a-b-c.d_e-f", "A1.b_2",
            "\(scope39).name", "scope.\(name(length: 100))", "\(scope39).\(name(length: 100))",
        ]
    }

    @Test(arguments: acceptedIdentifiers)
    func validIdentifiersAreAccepted(_ string: String) throws {
        let id = try PackageIdentifier(string)
        let parts = string.split(separator: ".")

        #expect(id.scope == String(parts[0]))
        #expect(id.name == String(parts[1]))
        #expect(id.description == string)
    }

    static var rejectedIdentifiers: [String] {
        [
            // The cases SwiftPM's `publish` rejects.
            "scope.na--me", "sco_pe.name", "scope.name.extra", "noscope", "scope.-name",
            // Lengths.
            "\(scope40).name", "scope.\(name(length: 101))",
            // Shape.
            "", ".", "scope.", ".name", "scope..name", " scope.name", "scope.name ", "scope .name",
            // Scope grammar.
            "-scope.name", "scope-.name", "sc--ope.name", "sc ope.name", "scöpe.name", "sco+pe.name",
            // Name grammar.
            "scope.name-", "scope.name_", "scope._name", "scope.na__me", "scope.na-_me", "scope.na_-me",
            "scope.näme", "scope.na me", "scope.na/me", "scope.*",
        ]
    }

    @Test(arguments: rejectedIdentifiers)
    func invalidIdentifiersAreRejectedAsBadRequests(_ string: String) {
        let error = #expect(throws: BulwarkError.self) { try PackageIdentifier(string) }

        #expect(error?.kind == .badRequest)
        #expect(error?.detail.isEmpty == false)
    }

    @Test func aMissingOrExtraDotIsReportedAsAnIdentifierShapeError() {
        for string in ["noscope", "scope.name.extra"] {
            let error = #expect(throws: BulwarkError.self) { try PackageIdentifier(string) }
            #expect(error?.detail.contains("invalid package identifier '\(string)'") == true)
        }
    }

    @Test func anInvalidScopeOrNameIsNamedInTheError() {
        let scopeError = #expect(throws: BulwarkError.self) { try PackageIdentifier(scope: "sco_pe", name: "name") }
        let nameError = #expect(throws: BulwarkError.self) { try PackageIdentifier(scope: "scope", name: "na--me") }

        #expect(scopeError?.detail.contains("'sco_pe'") == true)
        #expect(nameError?.detail.contains("'na--me'") == true)
    }

    @Test(arguments: [(39, true), (40, false), (1, true), (0, false)])
    func scopeLengthIsLimitedTo39Characters(_ length: Int, _ valid: Bool) {
        let scope = String(repeating: "s", count: length)

        #expect(PackageIdentifier.isValidScope(scope) == valid)
    }

    @Test(arguments: [(100, true), (101, false), (1, true)])
    func nameLengthIsLimitedTo100Characters(_ length: Int, _ valid: Bool) {
        #expect(PackageIdentifier.isValidName(Self.name(length: length)) == valid)
        #expect(PackageIdentifier.isValidName("") == false)
    }

    @Test func underscoresAreAllowedInNamesButNotInScopes() {
        #expect(PackageIdentifier.isValidName("linked_list"))
        #expect(!PackageIdentifier.isValidScope("linked_list"))
    }

    @Test func theComponentInitialiserValidatesLikeTheStringOne() throws {
        let id = try PackageIdentifier(scope: "Mona", name: "Linked_List")

        #expect(id.description == "Mona.Linked_List")
        #expect(throws: BulwarkError.self) { try PackageIdentifier(scope: "mona.x", name: "y") }
        #expect(throws: BulwarkError.self) { try PackageIdentifier(scope: "mona", name: "x.y") }
    }

    @Test func identifiersCompareCaseInsensitively() throws {
        let a = try PackageIdentifier("Mona.LinkedList")
        let b = try PackageIdentifier("mona.linkedlist")
        let c = try PackageIdentifier("MONA.LINKEDLIST")
        let other = try PackageIdentifier("mona.linkedlist2")

        #expect(a == b)
        #expect(b == c)
        #expect(a != other)
        #expect(a.canonicalKey == "mona.linkedlist")
    }

    @Test func identifiersHashCaseInsensitively() throws {
        let ids = try ["Mona.LinkedList", "mona.linkedlist", "MONA.LINKEDLIST"].map { try PackageIdentifier($0) }
        var releases: [PackageIdentifier: Int] = [:]

        for (i, id) in ids.enumerated() { releases[id, default: 0] += i + 1 }

        #expect(Set(ids).count == 1)
        #expect(releases.count == 1)
        #expect(releases[try PackageIdentifier("mOnA.lInKeDlIsT")] == 6)
    }

    @Test func descriptionPreservesTheCaseAsGiven() throws {
        let id = try PackageIdentifier("Mona.Linked_List")

        #expect(id.description == "Mona.Linked_List")
        #expect(id.scope == "Mona")
        #expect(id.name == "Linked_List")
    }

    @Test func scopeAndNameAreNotInterchangeable() throws {
        #expect(try PackageIdentifier("a.b") != PackageIdentifier("b.a"))
        // The dot is part of the canonical key, so "ab.c" and "a.bc" differ.
        #expect(try PackageIdentifier("ab.c") != PackageIdentifier("a.bc"))
    }
}
