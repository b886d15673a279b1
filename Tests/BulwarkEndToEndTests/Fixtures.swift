// The packages that the SwiftPM end-to-end test publishes and consumes.

import Foundation

// MARK: - Fixture packages

/// A tiny library package to publish: one target, one public function.
struct FixturePackage {
    /// Exactly as given to `publish`; the case is kept on purpose.
    let identifier: String
    let version: String
    let signed: Bool
    /// Relative path -> content.
    let files: [String: String]

    func write(to directory: URL) throws {
        try writeFiles(files, to: directory)
    }

    static let all: [FixturePackage] = [greeter, signed, prerelease, mixedCase]

    /// Two manifests: the 6.0 one adds a define, so the consumer's output shows which manifest
    /// the build used. It also has package-metadata.json with repositoryURLs for /identifiers.
    static let greeter = FixturePackage(
        identifier: "e2e.greeter", version: "1.0.0", signed: false,
        files: [
            "Package.swift": """
                // swift-tools-version:5.9
                import PackageDescription

                let package = Package(
                    name: "Greeter",
                    products: [.library(name: "Greeter", targets: ["Greeter"])],
                    targets: [.target(name: "Greeter")]
                )

                """,
            "Package@swift-6.0.swift": """
                // swift-tools-version:6.0
                import PackageDescription

                let package = Package(
                    name: "Greeter",
                    products: [.library(name: "Greeter", targets: ["Greeter"])],
                    targets: [
                        .target(name: "Greeter", swiftSettings: [.define("GREETER_SWIFT6_MANIFEST")])
                    ]
                )

                """,
            "Sources/Greeter/Greeter.swift": """
                public func greet(_ name: String) -> String {
                    #if GREETER_SWIFT6_MANIFEST
                    return "Hello, \\(name)! (Package@swift-6.0.swift)"
                    #else
                    return "Hello, \\(name)! (Package.swift)"
                    #endif
                }

                """,
            "package-metadata.json": """
                {"description":"Greeter package for the Bulwark end-to-end test","repositoryURLs":["https://github.com/example/greeter.git"]}

                """,
        ]
    )

    /// Signed at publish time; it has metadata, so the client signs that too.
    static let signed = FixturePackage(
        identifier: "e2e.signed", version: "1.0.0", signed: true,
        files: [
            "Package.swift": libraryManifest(name: "Signed"),
            "Sources/Signed/Signed.swift": """
                public func signedGreeting() -> String { "signed package says hi" }

                """,
            "package-metadata.json": """
                {"description":"Signed package for the Bulwark end-to-end test"}

                """,
        ]
    )

    /// Pre-release plus build metadata: the client sends the "+" literally in paths.
    static let prerelease = FixturePackage(
        identifier: "e2e.pre", version: "2.0.0-beta.1+build.5", signed: false,
        files: [
            "Package.swift": libraryManifest(name: "Pre"),
            "Sources/Pre/Pre.swift": """
                public func prereleaseGreeting() -> String { "prerelease 2.0.0-beta.1+build.5 says hi" }

                """,
        ]
    )

    /// Published as E2E.MixedCase and consumed as e2e.mixedcase: lookups must ignore case.
    static let mixedCase = FixturePackage(
        identifier: "E2E.MixedCase", version: "1.0.0", signed: false,
        files: [
            "Package.swift": libraryManifest(name: "MixedCase"),
            "Sources/MixedCase/MixedCase.swift": """
                public func mixedCaseGreeting() -> String { "E2E.MixedCase says hi" }

                """,
        ]
    )

    static func libraryManifest(name: String) -> String {
        """
        // swift-tools-version:5.9
        import PackageDescription

        let package = Package(
            name: "\(name)",
            products: [.library(name: "\(name)", targets: ["\(name)"])],
            targets: [.target(name: "\(name)")]
        )

        """
    }
}

enum ConsumerFixtures {
    /// Depends on every fixture by registry identity. The mixed-case package is requested
    /// in lowercase.
    static let registryConsumer: [String: String] = [
        "Package.swift": """
            // swift-tools-version:5.9
            import PackageDescription

            let package = Package(
                name: "Consumer",
                dependencies: [
                    .package(id: "e2e.greeter", from: "1.0.0"),
                    .package(id: "e2e.signed", from: "1.0.0"),
                    .package(id: "e2e.pre", exact: "2.0.0-beta.1+build.5"),
                    .package(id: "e2e.mixedcase", from: "1.0.0"),
                ],
                targets: [
                    .executableTarget(
                        name: "Consumer",
                        dependencies: [
                            .product(name: "Greeter", package: "e2e.greeter"),
                            .product(name: "Signed", package: "e2e.signed"),
                            .product(name: "Pre", package: "e2e.pre"),
                            .product(name: "MixedCase", package: "e2e.mixedcase"),
                        ]
                    )
                ]
            )

            """,
        "Sources/Consumer/main.swift": """
            import Greeter
            import MixedCase
            import Pre
            import Signed

            print("greeter: \\(greet("registry"))")
            print("signed: \\(signedGreeting())")
            print("pre: \\(prereleaseGreeting())")
            print("mixed: \\(mixedCaseGreeting())")

            """,
    ]

    /// The 6.0 manifest wins with a 6.x toolchain, so the define it sets is in effect.
    static let expectedOutput = [
        "greeter: Hello, registry! (Package@swift-6.0.swift)",
        "signed: signed package says hi",
        "pre: prerelease 2.0.0-beta.1+build.5 says hi",
        "mixed: E2E.MixedCase says hi",
    ]

    /// Depends on the greeter by its repository URL, which only the registry's
    /// /identifiers endpoint can map to e2e.greeter.
    static let scmConsumer: [String: String] = [
        "Package.swift": """
            // swift-tools-version:5.9
            import PackageDescription

            let package = Package(
                name: "ScmConsumer",
                dependencies: [
                    .package(url: "https://github.com/example/greeter.git", from: "1.0.0"),
                ],
                targets: [
                    .executableTarget(
                        name: "ScmConsumer",
                        dependencies: [.product(name: "Greeter", package: "greeter")]
                    )
                ]
            )

            """,
        "Sources/ScmConsumer/main.swift": """
            import Greeter

            print(greet("scm"))

            """,
    ]
}
