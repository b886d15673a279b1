import BulwarkAuth
import BulwarkCore
import Foundation

/// The key that seals TOTP seeds at rest: base64 of 32 random bytes in a file only the server's
/// user can read. Losing it makes every enrolled authenticator app unusable (recovery codes and
/// passkeys still work); back it up with the data directory but not in the same place.
enum SecretKeyFile {
    static func loadOrCreate(at path: String) throws -> SecretBox {
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            do { return try SecretBox(base64Key: text.trimmingCharacters(in: .whitespacesAndNewlines)) } catch {
                throw BulwarkError.internalError("the secret key file '\(path)' does not hold a base64 256-bit key")
            }
        }
        var rng = SystemRandomNumberGenerator()
        let key = SecretBox.generateBase64Key(using: &rng)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: Data((key + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw BulwarkError.internalError("can't create the secret key file '\(path)'")
        }
        do { return try SecretBox(base64Key: key) } catch { throw BulwarkError.internalError("can't use the new secret key") }
    }
}
