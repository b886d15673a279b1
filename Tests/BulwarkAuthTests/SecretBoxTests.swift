import BulwarkAuth
import Crypto
import Foundation
import Testing

@Suite("SecretBox: AES-256-GCM for TOTP seeds at rest")
struct SecretBoxTests {
    let key = SymmetricKey(data: (0..<32).map { UInt8($0) })
    let seed = Data("12345678901234567890".utf8)

    @Test func sealedSeedOpensToTheSameBytes() throws {
        let box = try SecretBox(key: key)
        let sealed = try box.seal(seed)
        #expect(try box.open(sealed) == seed)
        #expect(try box.open(box.seal(Data())) == Data())
    }

    @Test func layoutIsVersionNonceCiphertextTag() throws {
        let box = try SecretBox(key: key)
        var rng = SeededGenerator(seed: 7)
        let sealed = try box.seal(seed, using: &rng)
        #expect(sealed.count == 1 + 12 + seed.count + 16)
        #expect(sealed.first == SecretBox.version)
        #expect(sealed.range(of: seed) == nil)
        // Independent parse: after the version byte, swift-crypto's combined form is nonce ‖ ciphertext ‖ tag.
        let combined = try AES.GCM.SealedBox(combined: sealed.dropFirst())
        #expect(try AES.GCM.open(combined, using: key, authenticating: Data([SecretBox.version])) == seed)
    }

    @Test func nonceComesFromTheGivenGenerator() throws {
        let box = try SecretBox(key: key)
        var a = SeededGenerator(seed: 1)
        var b = SeededGenerator(seed: 1)
        #expect(try box.seal(seed, using: &a) == box.seal(seed, using: &b))
        #expect(try box.seal(seed) != box.seal(seed))
    }

    @Test func everyTamperedByteIsRejected() throws {
        let box = try SecretBox(key: key)
        let sealed = try box.seal(seed)
        for index in sealed.indices {
            var tampered = sealed
            tampered[index] ^= 0x01
            #expect(throws: (any Error).self) { try box.open(tampered) }
        }
        #expect(throws: SecretBox.Error.unsupportedVersion(0)) {
            var tampered = sealed
            tampered[tampered.startIndex] = 0
            return try box.open(tampered)
        }
        #expect(throws: SecretBox.Error.authenticationFailed) { try box.open(sealed.dropLast()) }
        #expect(throws: SecretBox.Error.authenticationFailed) { try box.open(sealed + [0]) }
    }

    @Test func wrongKeyIsRejected() throws {
        let sealed = try SecretBox(key: key).seal(seed)
        let other = try SecretBox(key: SymmetricKey(size: .bits256))
        #expect(throws: SecretBox.Error.authenticationFailed) { try other.open(sealed) }
    }

    @Test func contextBindsTheBoxToItsOwner() throws {
        let box = try SecretBox(key: key)
        let sealed = try box.seal(seed, context: Data("user:42".utf8))
        #expect(try box.open(sealed, context: Data("user:42".utf8)) == seed)
        #expect(throws: SecretBox.Error.authenticationFailed) { try box.open(sealed, context: Data("user:43".utf8)) }
        #expect(throws: SecretBox.Error.authenticationFailed) { try box.open(sealed) }
    }

    @Test func truncatedBoxIsRejected() throws {
        let box = try SecretBox(key: key)
        #expect(throws: SecretBox.Error.truncated) { try box.open(Data()) }
        #expect(throws: SecretBox.Error.truncated) { try box.open(Data(repeating: 1, count: 28)) }
    }

    @Test(arguments: [0, 16, 24, 31, 33, 64])
    func keysOtherThan256BitsAreRefused(byteCount: Int) {
        #expect(throws: SecretBox.Error.invalidKey) {
            try SecretBox(key: SymmetricKey(data: [UInt8](repeating: 7, count: byteCount)))
        }
    }

    @Test func base64KeyFromConfigurationWorks() throws {
        var rng = SeededGenerator(seed: 3)
        let configured = SecretBox.generateBase64Key(using: &rng)
        #expect(Data(base64Encoded: configured)?.count == 32)
        let box = try SecretBox(base64Key: "  \(configured)\n")
        let again = try SecretBox(base64Key: configured)
        #expect(try again.open(box.seal(seed)) == seed)
        #expect(throws: SecretBox.Error.invalidKey) { try SecretBox(base64Key: "not base64!") }
        #expect(throws: SecretBox.Error.invalidKey) { try SecretBox(base64Key: Data(count: 16).base64EncodedString()) }
    }
}
