import BulwarkAuth
import BulwarkServer
import Foundation
import Synchronization
import Testing

/// `--secret-key-file`: instances started together without a key file all end up with one key.
@Suite struct SecretKeyFileTests {
    func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-key-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Many creators race on one missing file, on real threads, again and again: every one reads
    /// back the same key, the file holds it, nothing else is left in the directory.
    @Test func concurrentCreatorsAgreeOnOneKey() throws {
        let root = try directory()
        defer { try? FileManager.default.removeItem(at: root) }
        for round in 0..<30 {
            let path = root.appendingPathComponent("round-\(round)/secret.key").path
            let results = Mutex<[Result<String, any Error>]>([])
            DispatchQueue.concurrentPerform(iterations: 8) { _ in
                let result = Result { try SecretKeyFile.loadOrCreateKey(at: path) }
                results.withLock { $0.append(result) }
            }
            let keys = try results.withLock { try $0.map { try $0.get() } }
            #expect(keys.count == 8)
            #expect(Set(keys).count == 1, "round \(round): \(Set(keys).count) different keys")
            let stored = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(stored == keys.first)
            #expect(try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent) == ["secret.key"])
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
    }

    /// Two `SecretBox`es made concurrently from one new file open each other's sealed data.
    @Test func concurrentSecretBoxesAreInterchangeable() async throws {
        let root = try directory()
        defer { try? FileManager.default.removeItem(at: root) }
        let path = root.appendingPathComponent("secret.key").path
        async let a = Task.detached { try SecretKeyFile.loadOrCreate(at: path) }.value
        async let b = Task.detached { try SecretKeyFile.loadOrCreate(at: path) }.value
        let (first, second) = try await (a, b)
        var rng = SystemRandomNumberGenerator()
        let sealed = try first.seal(Data("JBSWY3DPEHPK3PXP".utf8), using: &rng)
        #expect(try second.open(sealed) == Data("JBSWY3DPEHPK3PXP".utf8))
    }

    @Test func anExistingKeyIsKeptAndABadOneRefused() throws {
        let root = try directory()
        defer { try? FileManager.default.removeItem(at: root) }
        let path = root.appendingPathComponent("secret.key").path
        var rng = SystemRandomNumberGenerator()
        let key = SecretBox.generateBase64Key(using: &rng)
        try Data((key + "\n").utf8).write(to: URL(fileURLWithPath: path))
        #expect(try SecretKeyFile.loadOrCreateKey(at: path) == key)

        try Data("not a key\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: (any Error).self) { try SecretKeyFile.loadOrCreateKey(at: path) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "not a key\n", "a bad key file is never replaced")
    }
}
