import BulwarkCore
import Testing

@Suite("RepositoryURL")
struct RepositoryURLTests {
    /// The forms SwiftPM sends to `/identifiers` and authors write in `repositoryURLs` for one repository.
    static let sameRepository = [
        "https://github.com/example/TestPkg.git",
        "git@github.com:example/TestPkg.git",
        "ssh://git@github.com/example/TestPkg.git",
        "https://GitHub.com/Example/testpkg/",
        "http://github.com/example/testpkg",
        "https://github.com/example/testpkg.git/",
        "https://github.com/example/TestPkg.GIT",
        "https://github.com:443/example/testpkg",
        "ssh://git@github.com:22/example/testpkg.git",
        "https://user:secret@github.com/example/testpkg",
        "git+ssh://git@github.com/example/testpkg",
        "github.com:example/testpkg.git",
        "git@github.com:/example/TestPkg.git",
        "github.com/example/testpkg",
        "  https://github.com/example/TestPkg.git\n",
    ]

    @Test(arguments: sameRepository)
    func everyFormOfARepositoryURLNormalisesToTheSameValue(_ raw: String) {
        #expect(RepositoryURL.normalize(raw) == "github.com/example/testpkg")
    }

    @Test(arguments: [
        "https://github.com/example/OtherPkg.git",
        "https://github.com/other/TestPkg.git",
        "https://gitlab.com/example/TestPkg.git",
        "git@gitlab.com:example/TestPkg.git",
        "https://github.com/example/TestPkg/sub",
        "https://github.com/example/TestPkg.github",
        "https://github.com/example",
    ])
    func differentRepositoriesNormaliseDifferently(_ raw: String) throws {
        let normalized = try #require(RepositoryURL.normalize(raw))

        #expect(normalized != "github.com/example/testpkg")
    }

    @Test func normalisationIsIdempotent() throws {
        for raw in Self.sameRepository {
            let once = try #require(RepositoryURL.normalize(raw))
            #expect(RepositoryURL.normalize(once) == once)
        }
    }

    /// Found by Fuzz/FuzzVersions: `.git.git` lost one suffix per normalisation.
    @Test func repeatedGitSuffixesAreAllDropped() {
        #expect(RepositoryURL.normalize("ssh://gi:2/moan/LinkedList.git.git") == "gi/moan/linkedlist")
        #expect(RepositoryURL.normalize("https://github.com/example/TestPkg.git/.git/") == "github.com/example/testpkg")
    }

    /// Found by Fuzz/FuzzVersions (normalising must be idempotent): a non-numeric port was kept, and
    /// `example.com:8a/mona/pkg` then normalised again as scp-like `host:path` to
    /// `example.com/8a/mona/pkg`; a second `://` gave `ufrahahttp/ufrattp://ufrag`, which is refused; a tab inside was kept, and trimmed the next time.
    @Test(arguments: ["https://example.com:8a/mona/pkg", "http://user:pmeas@\u{FFFD}xaple.com:80\u{FFFD}80/a/b.git?x=1#frag", "ssh://git@host:22:22/a/b", "ttp://ufrahahttp://ufrattp://ufrag", "https://github.com/a/b://c", "1:/`.9.\u{FFFD}\0\t/", "https://github.com/a\tb/c", "https://github.com/a\u{7F}/b"])
    func aBadPortASecondSchemeOrAControlCharacterDoesNotNormalise(_ raw: String) {
        #expect(RepositoryURL.normalize(raw) == nil)
    }

    @Test func theNormalisedFormIsLowerCase() {
        #expect(RepositoryURL.normalize("https://GitHub.COM/Mona/LinkedList.git/") == "github.com/mona/linkedlist")
    }

    @Test(arguments: [
        "", "   ", "\n", "https://", "not a url", "https://github.com", "https://github.com/", "https:///example/x",
        "git@github.com:", "ssh://git@github.com", "://github.com/example/x", "ht tp://github.com/x",
        "https://github.com/exa mple/x", "https://github.com/example\n/x", "https://github.com/.git",
        "h%tp://github.com/example/x",
    ])
    func garbageDoesNotNormalise(_ raw: String) {
        #expect(RepositoryURL.normalize(raw) == nil)
    }

    @Test func overlongInputDoesNotNormalise() {
        let long = "https://github.com/" + String(repeating: "a", count: 2048)
        let fits = "https://github.com/" + String(repeating: "a", count: 2048 - 19)

        #expect(RepositoryURL.normalize(long) == nil)
        #expect(fits.utf8.count == 2048)
        #expect(RepositoryURL.normalize(fits) != nil)
    }
}
