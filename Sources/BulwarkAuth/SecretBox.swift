import Crypto
import Foundation

/// Authenticated encryption for small secrets at rest, such as TOTP seeds: AES-256-GCM under a
/// key from the server's configuration.
///
/// A sealed box is `version (1 byte) ‖ nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes)`. The
/// version byte is authenticated too (it is part of the additional data), so it can't be swapped
/// for another format's. Callers can bind a box to its owner by passing the same `context` (for
/// example the user's id) to ``seal(_:context:using:)`` and ``open(_:context:)``: a box copied to
/// another account then fails to open.
///
/// Nonces are random, so one key should seal fewer than 2³² boxes — far more TOTP seeds than any
/// registry will hold.
public struct SecretBox: Sendable {
    /// The format version written as the first byte of every box.
    public static let version: UInt8 = 1
    /// The key size: 256 bits.
    public static let keyByteCount = 32

    static let nonceByteCount = 12
    static let tagByteCount = 16

    /// Why a key was refused or a box could not be sealed or opened.
    public enum Error: Swift.Error, Equatable, Sendable {
        /// The key is not 32 bytes (or its Base64 is not valid).
        case invalidKey
        /// The box is shorter than version, nonce and tag.
        case truncated
        /// The box's first byte is not a version this code can open.
        case unsupportedVersion(UInt8)
        /// Wrong key, wrong context, or the box was modified.
        case authenticationFailed
        /// The cipher refused to seal (cannot happen with a valid key and nonce).
        case sealingFailed
    }

    private let key: SymmetricKey

    /// A box using `key`, which must be 256 bits.
    public init(key: SymmetricKey) throws(Error) {
        guard key.bitCount == Self.keyByteCount * 8 else { throw .invalidKey }
        self.key = key
    }

    /// A box using the 32-byte key whose standard Base64 is `base64Key` (surrounding whitespace is
    /// ignored), the form in which the key is kept in configuration.
    public init(base64Key: String) throws(Error) {
        let trimmed = base64Key.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = Data(base64Encoded: trimmed) else { throw .invalidKey }
        try self.init(key: SymmetricKey(data: bytes))
    }

    /// A new random 256-bit key, Base64-encoded for configuration.
    public static func generateBase64Key(using rng: inout some RandomNumberGenerator) -> String {
        Data((0..<keyByteCount).map { _ in UInt8.random(in: .min ... .max, using: &rng) }).base64EncodedString()
    }

    /// Encrypts `plaintext` with a fresh nonce drawn from `rng`.
    public func seal(
        _ plaintext: some DataProtocol,
        context: Data = Data(),
        using rng: inout some RandomNumberGenerator
    ) throws(Error) -> Data {
        let nonceBytes = (0..<Self.nonceByteCount).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        let sealed: AES.GCM.SealedBox
        do {
            let nonce = try AES.GCM.Nonce(data: nonceBytes)
            sealed = try AES.GCM.seal(plaintext, using: key, nonce: nonce, authenticating: Self.additionalData(context))
        } catch {
            throw .sealingFailed
        }
        var out = Data([Self.version])
        out.append(contentsOf: nonceBytes)
        out.append(sealed.ciphertext)
        out.append(sealed.tag)
        return out
    }

    /// Encrypts `plaintext` with a nonce from the system's secure random number generator.
    public func seal(_ plaintext: some DataProtocol, context: Data = Data()) throws(Error) -> Data {
        var rng = SystemRandomNumberGenerator()
        return try seal(plaintext, context: context, using: &rng)
    }

    /// Decrypts a box made by ``seal(_:context:using:)`` with the same key and context.
    public func open(_ box: some DataProtocol, context: Data = Data()) throws(Error) -> Data {
        let bytes = Array(box)
        guard bytes.count >= 1 + Self.nonceByteCount + Self.tagByteCount else { throw .truncated }
        guard bytes[0] == Self.version else { throw .unsupportedVersion(bytes[0]) }
        let nonceEnd = 1 + Self.nonceByteCount
        let tagStart = bytes.count - Self.tagByteCount
        do {
            let sealed = try AES.GCM.SealedBox(
                nonce: AES.GCM.Nonce(data: bytes[1..<nonceEnd]),
                ciphertext: bytes[nonceEnd..<tagStart],
                tag: bytes[tagStart...]
            )
            return try AES.GCM.open(sealed, using: key, authenticating: Self.additionalData(context))
        } catch {
            throw .authenticationFailed
        }
    }

    /// The authenticated data: the version byte, then the caller's context.
    private static func additionalData(_ context: Data) -> Data {
        var data = Data([version])
        data.append(context)
        return data
    }
}
