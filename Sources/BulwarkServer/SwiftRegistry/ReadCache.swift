import BulwarkCore
import Foundation
import HTTPTypes
import NIOCore
import Synchronization

/// Rendered read responses (release lists, release metadata, manifests, identifier lookups), so
/// repeated reads skip the database and JSON encoding.
///
/// Releases never change, but a package's list and its metadata links do when a version is
/// published: a publish through this process drops the package's entries at once, and every entry
/// expires after `ttl` seconds, which bounds how long a publish through another instance (or the
/// admin CLI) stays invisible here.
final class ReadCache: Sendable {
    struct Entry: Sendable {
        let headers: HTTPFields
        let body: ByteBuffer
        let expires: Date
        /// Approximate bytes held (body, key, headers and bookkeeping), counted against `maxBytes`.
        var cost = 0
    }

    private struct State {
        /// package key → (request key → entry)
        var packages: [String: [String: Entry]] = [:]
        var count = 0
        var responseBytes = 0
        /// Releases don't change but can be deleted: they expire like responses (bounded like the rest).
        var releases: [String: (release: Release, expires: Date, cost: Int)] = [:]
        var releaseBytes = 0
        /// Small archives by checksum (content-addressed, so never stale), within a byte budget.
        var archives: [String: ByteBuffer] = [:]
        var archiveBytes = 0
    }

    /// Archives up to this size are kept in memory; larger ones stream from disk.
    let smallArchiveLimit = 256 * 1024
    /// The most bytes of archives kept in memory.
    let archiveBudget = 64 * 1024 * 1024

    func archive(_ checksum: String) -> ByteBuffer? {
        guard isEnabled else { return nil }
        return state.withLock { $0.archives[checksum] }
    }

    func setArchive(_ checksum: String, _ bytes: ByteBuffer) {
        guard isEnabled, bytes.readableBytes <= smallArchiveLimit else { return }
        state.withLock { state in
            if state.archiveBytes + bytes.readableBytes > archiveBudget {
                state.archives.removeAll(keepingCapacity: true)
                state.archiveBytes = 0
            }
            if state.archives.updateValue(bytes, forKey: checksum) == nil { state.archiveBytes += bytes.readableBytes }
        }
    }

    private let state = Mutex(State())
    let ttl: TimeInterval
    let maxEntries: Int
    /// The most bytes (approximately) of rendered responses, and separately of releases, kept: with
    /// a million packages read at random, entries alone would not bound memory.
    let maxBytes: Int
    private let now: @Sendable () -> Date

    init(ttl: TimeInterval, maxEntries: Int, maxBytes: Int = 32 * 1024 * 1024, now: @escaping @Sendable () -> Date) {
        self.ttl = ttl
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
        self.now = now
    }

    /// What an entry holds beyond its payload: dictionary slots, the entry, string headers.
    static let overhead = 256

    static func cost(key: String, headers: HTTPFields, body: ByteBuffer) -> Int {
        overhead + key.utf8.count + body.readableBytes + headers.reduce(0) { $0 + $1.name.rawName.utf8.count + $1.value.utf8.count + 32 }
    }

    static func cost(of release: Release) -> Int {
        2 * overhead + (release.metadata?.count ?? 0) + (release.archiveSignature?.bytes.count ?? 0)
            + (release.metadataSignature?.bytes.count ?? 0) + release.checksum.utf8.count
            + release.manifests.reduce(0) { $0 + $1.bytes.count + $1.filename.utf8.count + 64 }
            + release.repositoryURLs.reduce(0) { $0 + $1.utf8.count + 32 }
    }

    /// Approximate bytes held by cached responses and releases (not archives).
    var bytesHeld: (responses: Int, releases: Int) {
        state.withLock { ($0.responseBytes, $0.releaseBytes) }
    }

    var isEnabled: Bool { ttl > 0 && maxEntries > 0 }

    func get(package: String, key: String) -> Entry? {
        guard isEnabled else { return nil }
        let at = now()
        return state.withLock { state in
            guard let entry = state.packages[package]?[key] else { return nil }
            guard entry.expires > at else {
                state.packages[package]?[key] = nil
                state.count -= 1
                state.responseBytes -= entry.cost
                return nil
            }
            return entry
        }
    }

    func set(package: String, key: String, headers: HTTPFields, body: ByteBuffer) {
        guard isEnabled else { return }
        let cost = Self.cost(key: key, headers: headers, body: body)
        guard cost <= maxBytes else { return }
        let entry = Entry(headers: headers, body: body, expires: now().addingTimeInterval(ttl), cost: cost)
        state.withLock { state in
            if state.count >= maxEntries || state.responseBytes + cost > maxBytes {
                // Simple and bounded: start over rather than track recency on every hit.
                state.packages.removeAll(keepingCapacity: true)
                state.count = 0
                state.responseBytes = 0
            }
            if let replaced = state.packages[package, default: [:]].updateValue(entry, forKey: key) {
                state.responseBytes -= replaced.cost
            } else {
                state.count += 1
            }
            state.responseBytes += cost
        }
    }

    func release(_ key: String) -> Release? {
        guard isEnabled else { return nil }
        let at = now()
        return state.withLock { state in
            guard let entry = state.releases[key] else { return nil }
            guard entry.expires > at else {
                state.releases[key] = nil
                state.releaseBytes -= entry.cost
                return nil
            }
            return entry.release
        }
    }

    func setRelease(_ key: String, _ release: Release) {
        guard isEnabled else { return }
        let expires = now().addingTimeInterval(ttl)
        let cost = Self.cost(of: release) + key.utf8.count
        guard cost <= maxBytes else { return }
        state.withLock { state in
            if state.releases.count >= maxEntries || state.releaseBytes + cost > maxBytes {
                state.releases.removeAll(keepingCapacity: true)
                state.releaseBytes = 0
            }
            if let replaced = state.releases.updateValue((release, expires, cost), forKey: key) { state.releaseBytes -= replaced.cost }
            state.releaseBytes += cost
        }
    }

    /// Drops a cached release (`package key@version precedence key`), after it was deleted.
    func invalidateRelease(_ key: String) {
        state.withLock { state in
            if let removed = state.releases.removeValue(forKey: key) { state.releaseBytes -= removed.cost }
        }
    }

    /// Drops every cached response of a package (after a publish).
    func invalidate(package: String) {
        state.withLock { state in
            if let removed = state.packages.removeValue(forKey: package) {
                state.count -= removed.count
                state.responseBytes -= removed.values.reduce(0) { $0 + $1.cost }
            }
        }
    }

    /// Drops everything (e.g. identifier lookups after a publish that adds repository URLs).
    func invalidateAll() {
        state.withLock { state in
            state.packages.removeAll(keepingCapacity: true)
            state.count = 0
            state.responseBytes = 0
        }
    }
}
