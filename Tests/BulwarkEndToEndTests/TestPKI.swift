// The throwaway PKI of the SwiftPM end-to-end test, made with the `openssl` command.

import Foundation

// MARK: - Test PKI

/// A test CA, a TLS server certificate and a code-signing certificate, all made with `openssl`.
struct TestPKI {
    let caCertificatePEM: URL
    let caCertificateDER: URL
    let serverCertificatePEM: URL
    let serverPrivateKeyPEM: URL
    /// PKCS#8 DER, which is what `publish --private-key-path` takes.
    let signingPrivateKeyDER: URL
    /// DER; `--cert-chain-paths` takes the leaf first, then the CA.
    let signingCertificateDER: URL
    /// Holds only ca.der. Passed to `serve --trust-roots` and used as the client's
    /// trustedRootCertificatesPath, which reads every file in it as one DER certificate.
    let trustRootsDirectory: URL

    /// Our own openssl configuration, so that the machine's openssl.cnf adds nothing. SwiftPM
    /// checks the certificates with RFC 5280 rules plus a code-signing policy: the CA needs
    /// CA:TRUE and keyCertSign, and the signing leaf needs the codeSigning extended key usage.
    static let opensslConfiguration = """
        [ req ]
        distinguished_name = req_distinguished_name
        prompt = no

        [ req_distinguished_name ]
        CN = overridden by -subj

        [ ca_ext ]
        basicConstraints = critical, CA:TRUE
        keyUsage = critical, keyCertSign, cRLSign
        subjectKeyIdentifier = hash

        [ server_ext ]
        basicConstraints = critical, CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = serverAuth
        subjectAltName = IP:127.0.0.1, DNS:localhost
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid

        [ signing_ext ]
        basicConstraints = critical, CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = codeSigning
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid

        """

    static func generate(in directory: URL, runner: CommandRunner) async throws -> TestPKI {
        let trustRoots = directory.appendingPathComponent("trust-roots")
        try FileManager.default.createDirectory(at: trustRoots, withIntermediateDirectories: true)
        let opensslExecutable = try requireExecutable("openssl")
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        func openssl(_ arguments: [String], _ label: String) async throws {
            try await runner.checked(opensslExecutable, arguments, in: directory, label: "openssl-\(label)")
        }

        let configuration = path("openssl.cnf")
        try opensslConfiguration.write(toFile: configuration, atomically: true, encoding: .utf8)
        let newP256Key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]

        // The CA: self-signed, EC P-256.
        try await openssl(
            ["req", "-x509", "-config", configuration, "-extensions", "ca_ext"] + newP256Key + [
                "-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "30",
                "-subj", "/O=Bulwark Tests/CN=Bulwark E2E Test CA",
            ],
            "ca"
        )

        // A leaf certificate issued by the CA, with the given extension section.
        func issue(_ name: String, subject: String, extensions: String, serial: String) async throws {
            try await openssl(
                ["req", "-new", "-config", configuration] + newP256Key + [
                    "-keyout", path("\(name).key"), "-out", path("\(name).csr"), "-subj", subject,
                ],
                "\(name)-csr"
            )
            try await openssl(
                [
                    "x509", "-req", "-in", path("\(name).csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
                    "-set_serial", serial, "-days", "30",
                    "-extfile", configuration, "-extensions", extensions, "-out", path("\(name).pem"),
                ],
                "\(name)-sign"
            )
        }
        try await issue("server", subject: "/CN=localhost", extensions: "server_ext", serial: "0x1001")
        try await issue(
            "signing", subject: "/O=Bulwark Tests/OU=E2E/CN=Bulwark E2E Publisher",
            extensions: "signing_ext", serial: "0x1002"
        )

        // DER forms for the client's publish options and for trust roots.
        try await openssl(
            ["pkcs8", "-topk8", "-nocrypt", "-in", path("signing.key"), "-outform", "DER", "-out", path("signing-key.der")],
            "signing-pkcs8"
        )
        try await openssl(["x509", "-in", path("signing.pem"), "-outform", "DER", "-out", path("signing.der")], "signing-der")
        try await openssl(["x509", "-in", path("ca.pem"), "-outform", "DER", "-out", path("ca.der")], "ca-der")
        try FileManager.default.copyItem(
            atPath: path("ca.der"), toPath: trustRoots.appendingPathComponent("ca.der").path
        )

        // Sanity check of our own making, so a PKI problem is not blamed on the server.
        try await openssl(["verify", "-CAfile", path("ca.pem"), path("server.pem"), path("signing.pem")], "verify")

        return TestPKI(
            caCertificatePEM: directory.appendingPathComponent("ca.pem"),
            caCertificateDER: directory.appendingPathComponent("ca.der"),
            serverCertificatePEM: directory.appendingPathComponent("server.pem"),
            serverPrivateKeyPEM: directory.appendingPathComponent("server.key"),
            signingPrivateKeyDER: directory.appendingPathComponent("signing-key.der"),
            signingCertificateDER: directory.appendingPathComponent("signing.der"),
            trustRootsDirectory: trustRoots
        )
    }
}
