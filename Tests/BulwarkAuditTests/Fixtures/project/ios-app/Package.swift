// swift-tools-version:5.9
import PackageDescription

// Superseded by Package.resolved next to it: not read.
let package = Package(
    name: "App",
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
    ]
)
