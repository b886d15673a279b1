import BulwarkAudit
import Foundation
import Testing

/// Every reader on a realistic fixture: exact counts, and git, path, workspace and commented-out
/// dependencies left out.
@Suite struct ReaderTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let file: String
        let count: Int
        let registry: RegistryID
        /// name@version (or just name) that must be there.
        let present: [String]
        /// names that must not be there.
        let absent: [String]
        var testDescription: String { file }
    }

    static let cases: [Case] = [
        // Swift
        Case(file: "project/ios-app/Package.resolved", count: 4, registry: .swift,
             present: ["swift-argument-parser@1.5.0", "swift-log@1.6.1", "swift-markdown-kit@main", "mona.linkedlist@1.2.0"], absent: ["shared-ui"]),
        Case(file: "project/legacy-ios/Package.resolved", count: 2, registry: .swift, present: ["alamofire@5.8.1", "kingfisher@7.10.0"], absent: []),
        Case(file: "project/ios-app/Tools/Package.swift", count: 4, registry: .swift,
             present: ["swift-format@600.0.0", "internal-lint@main", "plugins@1.0.0", "mona.linkedlist@1.2.0"], absent: ["removed", "commented", "localkit"]),
        // npm
        Case(file: "project/web/package-lock.json", count: 7, registry: .npm,
             present: ["react@18.2.0", "scheduler@0.23.0", "express@4.18.2", "@types/node@20.10.4"], absent: ["@acme/api", "@acme/ui", "forked-lib", "web-monorepo"]),
        Case(file: "project/web/legacy/package-lock.json", count: 5, registry: .npm,
             present: ["chalk@2.4.2", "supports-color@5.5.0", "lodash@4.17.21", "lodash@4.17.20"], absent: ["left-pad", "gh-thing", "lodash-old"]),
        Case(file: "project/web/cli/npm-shrinkwrap.json", count: 2, registry: .npm, present: ["commander@11.1.0"], absent: ["acme-cli"]),
        Case(file: "project/web/docs/yarn.lock", count: 3, registry: .npm,
             present: ["@babel/code-frame@7.22.13", "chalk@2.4.2", "js-tokens@4.0.0"], absent: ["docs-theme", "local-plugin"]),
        Case(file: "project/web/site/yarn.lock", count: 3, registry: .npm,
             present: ["@astrojs/compiler@2.3.4", "typescript@5.3.3", "react@18.2.0"], absent: ["@acme/site", "theme"]),
        Case(file: "project/web/admin/pnpm-lock.yaml", count: 3, registry: .npm,
             present: ["@vue/shared@3.3.11", "vue@3.3.11", "typescript@5.3.3"], absent: ["patched-lib", "local-utils"]),
        Case(file: "project/web/old-admin/pnpm-lock.yaml", count: 3, registry: .npm,
             present: ["@remix-run/router@1.14.0", "react-router@6.21.0", "react@18.2.0"], absent: []),
        // PyPI
        Case(file: "project/ml/requirements.txt", count: 5, registry: .pypi,
             present: ["django@4.2.7", "requests", "numpy@1.26.2", "pillow@10.1.0", "typing-extensions"], absent: ["internal-tools", "my-pkg", "local-pkg"]),
        Case(file: "project/ml/requirements-base.txt", count: 2, registry: .pypi, present: ["certifi@2023.11.17"], absent: []),
        Case(file: "project/ml/poetry.lock", count: 3, registry: .pypi, present: ["pydantic@2.5.2", "internal-sdk@1.4.0"], absent: ["acme-utils", "shared"]),
        Case(file: "project/ml/Pipfile.lock", count: 3, registry: .pypi, present: ["flask@3.0.0", "werkzeug@3.0.1", "pytest@7.4.3"], absent: ["acme-lib", "local-mod"]),
        Case(file: "project/ml/service/uv.lock", count: 3, registry: .pypi, present: ["anyio@4.2.0", "idna@3.6", "sniffio@1.3.0"], absent: ["service", "helpers"]),
        Case(file: "project/ml/batch/pylock.toml", count: 2, registry: .pypi, present: ["attrs@23.1.0", "pyyaml@6.0.1"], absent: ["batch-core"]),
        // The rest
        Case(file: "project/engine/Cargo.lock", count: 3, registry: .crates, present: ["serde@1.0.193", "tokio@1.35.0", "bytes@1.5.0"], absent: ["engine", "engine-core", "patched-ring"]),
        Case(file: "project/svc/go.mod", count: 4, registry: .go,
             present: ["github.com/gin-gonic/gin@v1.9.1", "golang.org/x/net@v0.19.0", "github.com/stretchr/testify@v1.8.4"], absent: ["github.com/acme/shared"]),
        Case(file: "project/tools/go.sum", count: 1, registry: .go, present: ["github.com/spf13/cobra@v1.8.0"], absent: ["github.com/spf13/pflag"]),
        Case(file: "project/rails/Gemfile.lock", count: 5, registry: .rubygems,
             present: ["actionpack@7.1.2", "nokogiri@1.15.5-x86_64-linux", "rack@3.0.8", "racc@1.7.3"], absent: ["acme-auth", "billing"]),
        Case(file: "project/php/composer.lock", count: 3, registry: .packagist, present: ["monolog/monolog@3.5.0", "phpunit/phpunit@10.5.3"], absent: ["acme/local-bundle"]),
        Case(file: "project/java/pom.xml", count: 4, registry: .maven,
             present: ["com.fasterxml.jackson.core:jackson-databind@2.16.0", "org.junit:junit-bom@5.10.1", "org.junit.jupiter:junit-jupiter", "org.apache.maven.plugins:maven-surefire-plugin@3.2.2"],
             absent: ["com.oracle:ojdbc-local"]),
        Case(file: "project/java/app/gradle.lockfile", count: 3, registry: .maven, present: ["com.google.guava:guava@32.1.3-jre"], absent: ["empty"]),
        Case(file: "project/dotnet/Api/packages.lock.json", count: 2, registry: .nuget, present: ["Serilog@3.1.1", "Newtonsoft.Json@13.0.3"], absent: ["Acme.Domain"]),
        Case(file: "project/dotnet/Worker/Worker.csproj", count: 2, registry: .nuget, present: ["Microsoft.Extensions.Hosting@8.0.0", "Polly@8.2.0"], absent: []),
        Case(file: "project/dotnet/Legacy/packages.config", count: 2, registry: .nuget, present: ["EntityFramework@6.4.4"], absent: []),
        Case(file: "project/ios-app/Podfile.lock", count: 4, registry: .cocoapods,
             present: ["Alamofire@5.8.1", "Firebase@10.19.0", "FirebaseAnalytics@10.19.0", "SnapKit@5.6.0"], absent: ["AcmeKit", "Firebase/Core"]),
        Case(file: "project/.github/workflows/ci.yml", count: 6, registry: .githubActions,
             present: ["actions/checkout@v4", "github/codeql-action@v3", "acme/shared-workflows@v2", "node@20-bookworm", "postgres@16"], absent: ["./.github/actions/setup-cache"]),
        Case(file: "project/.github/workflows/lint.yaml", count: 2, registry: .githubActions, present: ["actions/checkout@v4", "alpine@3.19"], absent: ["ghcr.io/acme/linter"]),
        Case(file: "project/deploy/Dockerfile", count: 2, registry: .dockerhub, present: ["node@20-bookworm", "nginx@1.25-alpine"], absent: ["build", "test", "gcr.io/distroless/nodejs20-debian12"]),
        Case(file: "project/deploy/Containerfile", count: 1, registry: .dockerhub, present: ["bitnami/redis@7.2"], absent: []),
        Case(file: "project/deploy/docker-compose.yml", count: 2, registry: .dockerhub, present: ["postgres@16", "redis@7.2-alpine"], absent: []),
        Case(file: "project/elixir/mix.lock", count: 3, registry: .hex, present: ["decimal@2.1.1", "ecto@3.11.1", "phoenix@1.7.10"], absent: ["acme_auth"]),
        Case(file: "project/analysis/renv.lock", count: 3, registry: .cran, present: ["dplyr@1.1.4", "ggplot2@3.4.4", "renv@1.0.3"], absent: ["BiocGenerics", "acmeR"]),
        Case(file: "project/analysis/pkg/DESCRIPTION", count: 3, registry: .cran, present: ["dplyr@>= 1.1.0", "rlang", "testthat@>= 3.0.0"], absent: ["R", "stats", "acmeR"]),
        Case(file: "project/clj/deps.edn", count: 4, registry: .clojars,
             present: ["org.clojure:clojure@1.11.1", "ring/ring-core@1.11.0", "metosin/reitit@0.7.0-alpha7", "lambdaisland/kaocha@1.87.1366"], absent: ["cheshire/cheshire", "io.github.acme/auth", "acme/shared"]),
        Case(file: "project/clj/legacy/project.clj", count: 5, registry: .clojars,
             present: ["compojure/compojure@1.7.0", "lein-ring/lein-ring@0.12.6", "ring/ring-mock@0.4.0", "org.clojure:clojure@1.11.1"], absent: ["acme/legacy"]),
        Case(file: "project/geo/environment.yml", count: 5, registry: .condaForge,
             present: ["python@3.11", "gdal", "proj@9.3.1", "pip", "rasterio@1.3.9"], absent: ["samtools", "geo-tools"]),
        Case(file: "project/geo/locked/conda-lock.yml", count: 3, registry: .condaForge, present: ["numpy@1.26.2", "libblas@3.9.0", "shapely@2.0.2"], absent: []),
        Case(file: "project/haskell/cabal.project.freeze", count: 3, registry: .hackage, present: ["aeson@2.1.2.1", "text@2.0.2"], absent: ["ghc-prim"]),
        Case(file: "project/haskell/stack.yaml.lock", count: 1, registry: .hackage, present: ["servant@0.20.1"], absent: ["acme-prelude"]),
        Case(file: "project/julia/Manifest.toml", count: 2, registry: .julia, present: ["DataFrames@1.6.1", "Compat@4.10.1"], absent: ["Printf", "AcmeTools", "Forked"]),
        Case(file: "project/hpc/spack.lock", count: 3, registry: .spack, present: ["hdf5@1.14.3", "openmpi@4.1.6", "zlib-ng@2.1.4"], absent: ["gcc-runtime"]),
        Case(file: "project/hpc/viz/spack.yaml", count: 2, registry: .spack, present: ["paraview@5.11.2", "py-numpy"], absent: []),
        Case(file: "project/Brewfile", count: 4, registry: .homebrew, present: ["git", "jq", "acme/tools/acmectl", "cask/docker"], absent: ["homebrew/bundle", "Xcode"]),
    ]

    @Test(arguments: cases)
    func readsTheFixture(_ testCase: Case) throws {
        let root = try Fixtures.root
        let found = try Audit.readFile(testCase.file, in: root)
        let unique = Set(found.map { "\($0.registry.rawValue) \($0.name)@\($0.version ?? "")" })
        #expect(unique.count == testCase.count, "\(found.map { "\($0.name)@\($0.version ?? "-")" })")
        #expect(found.contains { $0.registry == testCase.registry })
        #expect(found.allSatisfy { $0.file == testCase.file })
        for expected in testCase.present {
            #expect(found.contains { "\($0.name)@\($0.version ?? "")" == expected || ($0.version == nil && $0.name == expected) }, "missing \(expected)")
        }
        for name in testCase.absent {
            #expect(!found.contains { $0.name.lowercased() == name.lowercased() }, "\(name) should be left out")
        }
    }

    @Test func swiftURLDependenciesHaveTheirHostsPosture() throws {
        let report = try Fixtures.audit("project/ios-app")
        let status = Dictionary(report.dependencies.map { ($0.dependency.name, $0.twoFactor) }, uniquingKeysWith: { first, _ in first })
        #expect(status["swift-argument-parser"] == .required)  // github.com
        #expect(status["internal-lint"] == .required)  // git@github.com:…
        #expect(status["swift-markdown-kit"] == .notApplicable)  // gitlab.com: unknown host
        #expect(status["mona.linkedlist"] == .notApplicable)  // a registry pin
    }

    @Test func aManifestBesideItsLockfileIsNotRead() throws {
        let report = try Fixtures.audit("project/ios-app")
        #expect(!report.dependencies.contains { $0.dependency.file == "Package.swift" })
        let dotnet = try Fixtures.audit("project/dotnet")
        #expect(!dotnet.dependencies.contains { $0.dependency.file.hasSuffix("Api.csproj") })
        let go = try Fixtures.audit("project/svc")
        #expect(go.dependencies.allSatisfy { $0.dependency.file == "go.mod" })
    }

    @Test func pnpmVersion5KeysAndYarnAliases() throws {
        let reader = try #require(Audit.reader(for: "pnpm-lock.yaml"))
        let text = """
            lockfileVersion: 5.4
            packages:
              /@babel/core/7.23.5:
                resolution: {integrity: sha512-x}
              /react-dom/18.2.0_react@18.2.0:
                resolution: {integrity: sha512-y}
            """
        let found = try reader.read(text, file: "pnpm-lock.yaml")
        #expect(found.map { "\($0.name)@\($0.version ?? "")" } == ["@babel/core@7.23.5", "react-dom@18.2.0"])
    }
}

/// Smaller cases, inline: format versions and aliases the fixtures do not cover.
@Suite struct ReaderEdgeCaseTests {
    func read(_ fileName: String, _ text: String) throws -> [String] {
        let reader = try #require(Audit.reader(for: fileName))
        return try reader.read(text, file: fileName).map { "\($0.registry.rawValue):\($0.name)@\($0.version ?? "-")" }
    }

    @Test func packageResolvedVersion2() throws {
        let text = """
            {"pins": [
              {"identity": "swift-nio", "kind": "remoteSourceControl", "location": "https://github.com/apple/swift-nio.git",
               "state": {"revision": "fc63f0cf", "version": "2.62.0"}},
              {"identity": "mona.linkedlist", "kind": "registry", "location": "", "state": {"version": "1.0.0"}}
            ], "version": 2}
            """
        #expect(try read("Package.resolved", text) == ["swift:swift-nio@2.62.0", "swift:mona.linkedlist@1.0.0"])
        #expect(throws: AuditError.self) { try read("Package.resolved", #"{"pins": [], "version": 9}"#) }
    }

    @Test func yarnClassicAliasesInstallTheirTarget() throws {
        let text = """
            # yarn lockfile v1

            "string-width-cjs@npm:string-width@^4.2.0":
              version "4.2.3"
              resolved "https://registry.yarnpkg.com/string-width/-/string-width-4.2.3.tgz"
            """
        #expect(try read("yarn.lock", text) == ["npm:string-width@4.2.3"])
    }

    @Test func npmVersion3AliasesUseTheRealName() throws {
        let text = """
            {"lockfileVersion": 3, "packages": {"": {"name": "x"},
              "node_modules/string-width-cjs": {"name": "string-width", "version": "4.2.3",
                "resolved": "https://registry.npmjs.org/string-width/-/string-width-4.2.3.tgz"}}}
            """
        #expect(try read("package-lock.json", text) == ["npm:string-width@4.2.3"])
    }

    @Test func requirementsOptionsMarkersAndContinuations() throws {
        let text = """
            --extra-index-url https://example.org/simple
            -c constraints.txt
            Flask_SQLAlchemy[async] ===3.1.1 ; python_version < "3.13" \\
                --hash=sha256:4ba4be08
            zope.interface>=6.0,<7
            """
        #expect(try read("requirements-dev.txt", text) == ["pypi:flask-sqlalchemy@3.1.1", "pypi:zope-interface@-"])
    }

    @Test func juliaManifestFormat1() throws {
        let text = """
            [[JSON]]
            deps = ["Dates"]
            git-tree-sha1 = "31e996f0a15c7b280ba9f76636b3ff9e2ae58c9a"
            uuid = "682c06a0-de6a-54ab-a142-c8b1cf79cde6"
            version = "0.21.4"

            [[Dates]]
            uuid = "ade2ca70-3891-5945-98fb-dc099432e06a"
            """
        #expect(try read("Manifest.toml", text) == ["julia:JSON@0.21.4"])
    }

    @Test func centralPackageManagementAndBuildscriptLocks() throws {
        let props = """
            <Project>
              <ItemGroup>
                <PackageVersion Include="xunit" Version="2.6.2" />
              </ItemGroup>
            </Project>
            """
        #expect(try read("Directory.Packages.props", props) == ["nuget:xunit@2.6.2"])
        #expect(try read("buildscript-gradle.lockfile", "org.jetbrains.kotlin:kotlin-stdlib:1.9.21=classpath\n") == [
            "maven:org.jetbrains.kotlin:kotlin-stdlib@1.9.21",
        ])
    }

    @Test func dockerImageNamesAreNormalised() throws {
        let text = """
            FROM docker.io/library/python:3.12-slim@sha256:abc123
            FROM index.docker.io/grafana/grafana
            FROM quay.io/prometheus/prometheus:v2.48.0
            """
        #expect(try read("Dockerfile", text) == ["dockerhub:python@sha256:abc123", "dockerhub:grafana/grafana@latest"])
    }
}
