import BulwarkAuth
import BulwarkCore
import BulwarkServer
import BulwarkStorage
import BulwarkTestSupport
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import SwiftASN1
@_spi(CMS) import X509

/// A registry on a fresh SQLite data directory, with an account `alice` and a publish token for `test.*`.
struct TestRegistry {
    let directory: URL
    let storage: Storage
    var configuration: ServerConfiguration
    let token: String
    let now: @Sendable () -> Date

    init(configure: (inout ServerConfiguration) -> Void = { _ in }, now: @escaping @Sendable () -> Date = Date.init) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-test-\(UUID().uuidString)")
        storage = try Storage.embedded(dataDirectory: directory)
        var configuration = ServerConfiguration()
        configuration.baseURL = "https://registry.test"
        configuration.tokenCacheSeconds = 0
        configure(&configuration)
        self.configuration = configuration
        self.now = now
        try await storage.accounts.createAccount(Account(name: "alice", email: "alice@example.com", passwordHash: nil, createdAt: Date()))
        token = try await Self.makeToken(storage, packages: ["test.*"])
    }

    /// Stores a new token for alice and returns it.
    static func makeToken(_ storage: Storage, packages: [String], expiresAt: Date? = nil) async throws -> String {
        let minted = APIToken.mint()
        try await storage.tokens.insertToken(TokenRecord(
            id: UUID().uuidString, hash: minted.hash, account: "alice", permissions: [.publish],
            packages: try packages.map { try PackagePattern($0) }, createdAt: Date(),
            expiresAt: expiresAt ?? Date().addingTimeInterval(3600)
        ))
        return minted.token
    }

    func test<T>(_ body: @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        var logger = Logger(label: "bulwark-test")
        logger.logLevel = .error
        let app = try buildApplication(configuration: configuration, storage: storage, logger: logger, now: now)
        return try await app.test(.router, body)
    }

    var bearer: HTTPFields { [.authorization: "Bearer \(token)"] }
}

/// Source archives built the way `swift package-registry publish` builds them: `zip -ry` of one
/// directory named after the package.
enum Archives {
    static func package(
        root: String = "test.pkg",
        files: [String: String] = [
            "Package.swift": "// swift-tools-version:5.9\nimport PackageDescription\nlet package = Package(name: \"Pkg\")\n",
            "Sources/Pkg/Pkg.swift": "public let answer = 42\n",
        ]
    ) throws -> [UInt8] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zip-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (path, content) in files {
            let url = dir.appendingPathComponent(root).appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(content.utf8).write(to: url)
        }
        let zipped = try ChildProcess.runBlocking("/usr/bin/zip", ["-qry", "out.zip", root], directory: dir.path, stderr: .sameAsStdout)
        guard zipped.succeeded else { throw BulwarkError.internalError("zip failed (\(zipped.termination)): \(zipped.stdoutText)") }
        return try [UInt8](Data(contentsOf: dir.appendingPathComponent("out.zip")))
    }

    static func withAlternateManifest() throws -> [UInt8] {
        try package(files: [
            "Package.swift": "// swift-tools-version:5.9\nimport PackageDescription\nlet package = Package(name: \"Pkg\")\n",
            "Package@swift-6.0.swift": "// swift-tools-version:6.0\nimport PackageDescription\nlet package = Package(name: \"Pkg\") // 6\n",
            "Sources/Pkg/Pkg.swift": "public let answer = 42\n",
        ])
    }
}

/// A publish body exactly as SwiftPM 6.3 sends it: quoted upper-case boundary, no `filename=`,
/// metadata labelled quoted-printable but raw.
struct PublishBody {
    var archive: [UInt8]?
    var archiveSignature: [UInt8]? = nil
    var metadata: String? = nil
    var metadataSignature: [UInt8]? = nil

    static let boundary = "80379F53-EC49-4B4B-A21F-3C725205CC06"
    var contentType: String { "multipart/form-data;boundary=\"\(Self.boundary)\"" }

    var bytes: [UInt8] {
        var out: [UInt8] = []
        func part(_ name: String, _ type: String, _ encoding: String, _ content: [UInt8]) {
            out += Array("--\(Self.boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\nContent-Type: \(type)\r\nContent-Transfer-Encoding: \(encoding)\r\n\r\n".utf8)
            out += content
            out += Array("\r\n".utf8)
        }
        if let archive { part("source-archive", "application/zip", "binary", archive) }
        if let archiveSignature { part("source-archive-signature", "application/octet-stream", "binary", archiveSignature) }
        if let metadata { part("metadata", "application/json", "quoted-printable", Array(metadata.utf8)) }
        if let metadataSignature { part("metadata-signature", "application/octet-stream", "binary", metadataSignature) }
        out += Array("--\(Self.boundary)--\r\n".utf8)
        return out
    }

    func headers(token: String?, signed: Bool = false) -> HTTPFields {
        var h: HTTPFields = [.contentType: contentType, .accept: "application/vnd.swift.registry.v1+json"]
        h[HTTPField.Name("Prefer")!] = "respond-async"
        if let token { h[.authorization] = "Bearer \(token)" }
        if signed { h[HTTPField.Name("X-Swift-Package-Signature-Format")!] = "cms-1.0.0" }
        return h
    }
}

extension TestClientProtocol {
    /// Publishes `body` to `/{path}` and returns the response.
    func publish(_ path: String, _ body: PublishBody, token: String?, signed: Bool = false) async throws -> TestResponse {
        try await execute(uri: path, method: .put, headers: body.headers(token: token, signed: signed), body: ByteBuffer(bytes: body.bytes))
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:] }
    var problemDetail: String? { json["detail"] as? String }
}

/// A throwaway PKI: a root CA and a code-signing leaf, for `cms-1.0.0` signatures.
struct TestPKI {
    let root: Certificate
    let leaf: Certificate
    let leafKey: P256.Signing.PrivateKey

    init(codeSigning: Bool = true) throws {
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName { CommonName("Bulwark Test CA") }
        let now = Date()
        root = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(caKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(86_400),
            issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true))
            },
            issuerPrivateKey: .init(caKey)
        )
        leafKey = P256.Signing.PrivateKey()
        leaf = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(leafKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(86_400),
            issuer: caName, subject: try DistinguishedName { CommonName("Test Publisher") }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                if codeSigning { try ExtendedKeyUsage([.codeSigning]) } else { try ExtendedKeyUsage([.serverAuth]) }
            },
            issuerPrivateKey: .init(caKey)
        )
    }

    func sign(_ bytes: [UInt8]) throws -> [UInt8] {
        try CMS.sign(bytes, signatureAlgorithm: .ecdsaWithSHA256, certificate: leaf, privateKey: .init(leafKey), detached: true)
    }

    var verifier: SignatureVerifier { SignatureVerifier(trustRoots: [root]) }
}

func sha256Hex(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() }
