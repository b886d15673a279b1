// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "bulwark",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "bulwark", targets: ["bulwark"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // Domain: identifiers, versions, URL normalisation, problems, multipart framing. No I/O, no dependencies.
        .target(name: "BulwarkCore", swiftSettings: swiftSettings),
        // System zlib, for inflating archive entries and checking their CRC-32.
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // Source-archive inspection (zip structure, limits, manifests).
        .target(
            name: "BulwarkArchive",
            dependencies: ["BulwarkCore", "CZlib"],
            swiftSettings: swiftSettings
        ),
        // Tokens, passwords, signatures. Time and randomness are passed in.
        .target(
            name: "BulwarkAuth",
            dependencies: [
                "BulwarkCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            ],
            swiftSettings: swiftSettings
        ),
        // QR codes for TOTP enrolment, rendered as SVG. No dependencies.
        .target(name: "BulwarkQR", swiftSettings: swiftSettings),
        // A strict, bounded CBOR decoder (WebAuthn attestation objects, COSE keys). No dependencies.
        .target(name: "BulwarkCBOR", swiftSettings: swiftSettings),
        // WebAuthn relying party: COSE keys, authenticator data, attestation and assertion checks.
        .target(
            name: "BulwarkWebAuthn",
            dependencies: [
                "BulwarkCore", "BulwarkCBOR",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        // `bulwark audit`: lockfile readers for 20 ecosystems and the registries' 2FA data.
        .target(
            name: "BulwarkAudit",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        // Store protocols, in-memory and SQLite implementations, blob store on the file system.
        .target(
            name: "BulwarkStorage",
            dependencies: [
                "BulwarkCore", "CSQLite", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // PostgreSQL implementation of every store, for several server instances sharing one database.
        .target(
            name: "BulwarkPostgres",
            dependencies: [
                "BulwarkCore", "BulwarkStorage",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // S3-compatible blob storage: SigV4 on swift-crypto, requests over AsyncHTTPClient.
        .target(
            name: "BulwarkS3",
            dependencies: [
                "BulwarkCore", "BulwarkStorage",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Hummingbird application: Swift registry protocol (SE-0292/0321/0391).
        .target(
            name: "BulwarkServer",
            dependencies: [
                "BulwarkCore", "BulwarkArchive", "BulwarkAuth", "BulwarkStorage", "BulwarkWebAuthn", "BulwarkAudit", "BulwarkQR",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "bulwark",
            dependencies: [
                "BulwarkServer", "BulwarkStorage", "BulwarkPostgres", "BulwarkS3", "BulwarkAuth", "BulwarkCore", "BulwarkArchive", "BulwarkAudit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Test helpers shared by the test targets: a software WebAuthn authenticator, raw HTTP
        // over a socket and child processes (posix_spawn, not Foundation's Process). Not part of the product.
        .target(
            name: "BulwarkTestSupport",
            dependencies: ["BulwarkCBOR", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // Micro-benchmark of the second-factor checks, µs per operation (bench/README.md). Not part of the product.
        .executableTarget(
            name: "bulwark-crypto-bench",
            dependencies: ["BulwarkAuth", "BulwarkWebAuthn", "BulwarkTestSupport", .product(name: "Crypto", package: "swift-crypto")],
            path: "bench/CryptoBench",
            swiftSettings: swiftSettings
        ),
        // libFuzzer targets for the parsers that see untrusted bytes (scripts/fuzz.sh); without
        // -sanitize=fuzzer they build as replayers of corpus files. Few dependencies on purpose.
        .target(name: "FuzzReplay", path: "Fuzz/FuzzReplay", swiftSettings: swiftSettings),
        .executableTarget(name: "FuzzMultipart", dependencies: ["FuzzReplay", "BulwarkCore"], path: "Fuzz/FuzzMultipart", swiftSettings: swiftSettings + [.unsafeFlags(["-parse-as-library"])]),
        .executableTarget(name: "FuzzArchive", dependencies: ["FuzzReplay", "BulwarkArchive", "BulwarkCore"], path: "Fuzz/FuzzArchive", swiftSettings: swiftSettings + [.unsafeFlags(["-parse-as-library"])]),
        .executableTarget(name: "FuzzCBOR", dependencies: ["FuzzReplay", "BulwarkCBOR"], path: "Fuzz/FuzzCBOR", swiftSettings: swiftSettings + [.unsafeFlags(["-parse-as-library"])]),
        .executableTarget(name: "FuzzWebAuthn", dependencies: ["FuzzReplay", "BulwarkWebAuthn"], path: "Fuzz/FuzzWebAuthn", swiftSettings: swiftSettings + [.unsafeFlags(["-parse-as-library"])]),
        .executableTarget(name: "FuzzHeaders", dependencies: ["FuzzReplay", "BulwarkCore"], path: "Fuzz/FuzzHeaders", swiftSettings: swiftSettings + [.unsafeFlags(["-parse-as-library"])]),
        .executableTarget(name: "FuzzLockfiles", dependencies: ["FuzzReplay", "BulwarkAudit"], path: "Fuzz/FuzzLockfiles", swiftSettings: swiftSettings + [.unsafeFlags(["-parse-as-library"])]),
        .executableTarget(name: "FuzzVersions", dependencies: ["FuzzReplay", "BulwarkCore"], path: "Fuzz/FuzzVersions", swiftSettings: swiftSettings + [.unsafeFlags(["-parse-as-library"])]),
        .testTarget(name: "BulwarkCoreTests", dependencies: ["BulwarkCore", "BulwarkArchive", "BulwarkTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "BulwarkStorageTests",
            dependencies: [
                "BulwarkStorage", "BulwarkAuth", "BulwarkPostgres", "BulwarkCore",
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"), .product(name: "Crypto", package: "swift-crypto"), .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BulwarkS3Tests",
            dependencies: [
                "BulwarkS3", "BulwarkStorage", "BulwarkCore", "BulwarkTestSupport", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BulwarkServerTests",
            dependencies: [
                "BulwarkServer", "BulwarkCore", "BulwarkStorage", "BulwarkAuth", "BulwarkArchive", "BulwarkWebAuthn", "BulwarkCBOR",
                "BulwarkTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BulwarkAuthTests",
            dependencies: ["BulwarkAuth", "BulwarkQR", "BulwarkCore", "BulwarkTestSupport", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BulwarkWebAuthnTests",
            dependencies: [
                "BulwarkWebAuthn", "BulwarkCBOR", "BulwarkCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BulwarkAuditTests",
            dependencies: ["BulwarkAudit"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        // The browser scripts are run from the source tree by path (python3), not bundled.
        .testTarget(
            name: "BulwarkEndToEndTests", dependencies: ["BulwarkCore", "BulwarkAuth", "BulwarkTestSupport"], exclude: ["browser"],
            swiftSettings: swiftSettings
        ),
    ]
)
