import BulwarkCore
import Foundation
import SwiftASN1
@_spi(CMS) import X509

/// Verifies detached CMS signatures (`cms-1.0.0`, SE-0391) over source archives and metadata,
/// against the operator's trust roots.
public struct SignatureVerifier: Sendable {
    public static let format = "cms-1.0.0"

    private let trustRoots: [Certificate]

    public init(trustRoots: [Certificate]) {
        self.trustRoots = trustRoots
    }

    /// Loads every `.der`, `.cer`, `.crt` or `.pem` certificate in a directory.
    public static func loadTrustRoots(directory: URL) throws(BulwarkError) -> [Certificate] {
        let files: [URL]
        do { files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil) } catch {
            throw .internalError("can't read the trust roots directory '\(directory.path)'")
        }
        var roots: [Certificate] = []
        for file in files.sorted(by: { $0.path < $1.path }) {
            guard ["der", "cer", "crt", "pem"].contains(file.pathExtension.lowercased()),
                let data = try? Data(contentsOf: file)
            else { continue }
            if let text = String(data: data, encoding: .utf8), text.contains("-----BEGIN CERTIFICATE-----") {
                guard let pems = try? PEMDocument.parseMultiple(pemString: text) else {
                    throw .internalError("can't parse the trust root '\(file.lastPathComponent)'")
                }
                for pem in pems { roots.append(try parse(Array(pem.derBytes), file)) }
            } else {
                roots.append(try parse(Array(data), file))
            }
        }
        return roots
    }

    private static func parse(_ der: [UInt8], _ file: URL) throws(BulwarkError) -> Certificate {
        do { return try Certificate(derEncoded: der) } catch {
            throw .internalError("can't parse the trust root '\(file.lastPathComponent)'")
        }
    }

    /// Checks a detached signature over `content`; returns the signer's subject on success and throws
    /// a 422 describing the problem otherwise. `what` names the signed thing in messages.
    public func verify(signature: [UInt8], over content: [UInt8], what: String, at time: Date = Date()) async throws(BulwarkError) -> String {
        guard !trustRoots.isEmpty else {
            throw .unprocessable("the \(what) signature can't be verified: this registry has no trusted signing roots configured")
        }
        let result = await CMS.isValidSignature(
            dataBytes: content,
            signatureBytes: signature,
            trustRoots: CertificateStore(trustRoots)
        ) {
            RFC5280Policy(validationTime: time)
        }
        switch result {
        case .success(let valid):
            let eku = try? valid.signer.extensions.extendedKeyUsage
            guard let eku, eku.contains(.codeSigning) else {
                throw .unprocessable("the \(what) signature's certificate is not valid for code signing (extendedKeyUsage codeSigning is missing)")
            }
            return valid.signer.subject.description
        case .failure(.invalidCMSBlock(let block)):
            // The library's reason may embed a whole certificate dump: keep its first clause.
            let reason = block.reason.split(separator: ":").first.map(String.init) ?? "invalid"
            if reason.hasPrefix("Message digest mismatch") || reason.hasPrefix("Invalid signature") {
                throw .unprocessable("the \(what) signature does not match the uploaded \(what)")
            }
            throw .unprocessable("the \(what) signature is not a valid detached CMS signature (\(reason))")
        case .failure(.unableToValidateSigner):
            throw .unprocessable("the \(what) signature's certificate does not chain to a trusted root of this registry")
        case .failure:
            throw .unprocessable("the \(what) signature is invalid")
        }
    }
}
