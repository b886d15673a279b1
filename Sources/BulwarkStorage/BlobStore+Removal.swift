import BulwarkCore
import Foundation

/// A blob store that can remove bytes: used for a deleted release's archive once no other release
/// or pending staged release uses it. Stores that can't keep the bytes (an unreferenced blob is
/// never served).
public protocol RemovableBlobStore: Sendable {
    /// Removes the bytes with this checksum; nothing happens if they aren't stored.
    func removeBlob(checksum: String) async throws
}

extension FileBlobStore: RemovableBlobStore {
    public func removeBlob(checksum: String) async throws {
        try BlobChecksum.validate(checksum)
        let path = path(forChecksum: checksum)
        guard FileManager.default.fileExists(atPath: path) else { return }
        try FileManager.default.removeItem(atPath: path)
        try Self.fsync(path: (path as NSString).deletingLastPathComponent)
    }
}
