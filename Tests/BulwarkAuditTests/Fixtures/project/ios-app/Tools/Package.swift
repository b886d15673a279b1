// swift-tools-version:5.9
import PackageDescription

let package = Package(
    name: "Tools",
    dependencies: [
        // The formatter, pinned to the toolchain's release.
        .package(url: "https://github.com/swiftlang/swift-format.git", from: "600.0.0"),
        .package(url: "git@github.com:mona/internal-lint.git", branch: "main"),
        .package(url: "https://example.org/git/plugins.git", "1.0.0"..<"2.0.0"),
        .package(id: "mona.linkedlist", exact: "1.2.0"),  // also pinned in ../Package.resolved
        .package(path: "../LocalKit"),
        /* .package(url: "https://github.com/old/removed.git", from: "1.0.0"), */
        // .package(url: "https://github.com/old/commented.git", from: "2.0.0"),
    ],
    targets: [.executableTarget(name: "lint", dependencies: [.product(name: "SwiftFormat", package: "swift-format")])]
)
