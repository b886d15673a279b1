import BulwarkCore
import Dispatch
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

    struct CachedRelease: Sendable {
        let release: Release
        let expires: Date
        var cost: Int
        /// The archive response's headers, built on the first download (digest, disposition, …).
        var archiveHeaders: HTTPFields?
    }

    /// Two generations of entries: new entries go into `current`; when it is full, it becomes
    /// `previous` and the old `previous` is dropped whole. A hit in `previous` moves the entry back
    /// to `current`, so what is read often survives; what was read once (a million packages read at
    /// random) ages out. Dropping a generation is a swap under the lock: the entries are freed after
    /// it is released, so a full cache never stalls the other requests.
    struct Generations<Key: Hashable & Sendable, Value: Sendable>: Sendable {
        var current: [Key: Value] = [:]
        var previous: [Key: Value] = [:]
        var currentCost = 0
        var previousCost = 0
        var totalCost: Int { currentCost + previousCost }

        func lookup(_ key: Key) -> (Value, inCurrent: Bool)? {
            if let v = current[key] { return (v, true) }
            if let v = previous[key] { return (v, false) }
            return nil
        }

        /// Inserts into `current` (replacing any copy in either generation); returns the generation
        /// to free once the lock is released, if `current` had to be retired to make room.
        mutating func insert(_ key: Key, _ value: Value, cost: Int, costOf: (Value) -> Int, limit: (count: Int, bytes: Int)) -> [Key: Value]? {
            remove(key, costOf: costOf)
            var retired: [Key: Value]?
            if current.count >= max(1, limit.count / 2) || currentCost + cost > limit.bytes / 2 {
                retired = previous
                previous = current
                previousCost = currentCost
                current = [:]
                currentCost = 0
            }
            current[key] = value
            currentCost += cost
            return retired
        }

        @discardableResult
        mutating func remove(_ key: Key, costOf: (Value) -> Int) -> Value? {
            if let old = current.removeValue(forKey: key) { currentCost -= costOf(old); return old }
            if let old = previous.removeValue(forKey: key) { previousCost -= costOf(old); return old }
            return nil
        }

        /// Changes an entry in whichever generation holds it; `change` returns the change in cost.
        mutating func update(_ key: Key, _ change: (inout Value) -> Int) {
            if current[key] != nil {
                currentCost += change(&current[key]!)
            } else if previous[key] != nil {
                previousCost += change(&previous[key]!)
            }
        }

        /// Empties both generations, returning them for freeing outside the lock.
        mutating func removeAll() -> ([Key: Value], [Key: Value]) {
            defer { current = [:]; previous = [:]; currentCost = 0; previousCost = 0 }
            return (current, previous)
        }
    }

    /// A package's cached responses by request key, and their total cost.
    struct PackageEntries: Sendable {
        var entries: [String: Entry] = [:]
        var cost = 0
    }

    private struct State {
        /// Rendered responses, by package key and then request key.
        var responses = Generations<String, PackageEntries>()
        /// Releases don't change but can be deleted: they expire like responses (bounded like the rest).
        var releases = Generations<String, CachedRelease>()
        /// Small archives by checksum (content-addressed, so never stale), within a byte budget.
        var archives: [String: ByteBuffer] = [:]
        var archiveBytes = 0
        /// Keys asked for recently (see ``Doorkeeper``).
        var doorkeeper = Doorkeeper()
    }

    /// Admits an entry to the cache only when its key was asked for before (recently): a response
    /// read once — a million packages read at random — costs no insert, no copy kept and no eviction,
    /// while anything read twice is cached from its second read on. A fixed table of key hashes;
    /// a collision only means a key waits one more read, or is cached a read early.
    struct Doorkeeper {
        static let slots = 1 << 16
        private var seen = [UInt32](repeating: 0, count: Doorkeeper.slots)

        /// True if `key` was seen recently; remembers it either way.
        mutating func admit(_ key: String) -> Bool {
            let hash = UInt64(bitPattern: Int64(key.hashValue))
            let slot = Int(hash & UInt64(Self.slots - 1))
            let tag = UInt32(truncatingIfNeeded: hash >> 32) | 1
            if seen[slot] == tag { return true }
            seen[slot] = tag
            return false
        }
    }

    /// Whether a response or release is cached on its first read or only from its second.
    enum Admission: Sendable { case firstRead, secondRead }
    let admission: Admission

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
        let retired = state.withLock { state -> [String: ByteBuffer]? in
            var retired: [String: ByteBuffer]?
            if state.archiveBytes + bytes.readableBytes > archiveBudget {
                retired = state.archives
                state.archives = [:]
                state.archiveBytes = 0
            }
            if state.archives.updateValue(bytes, forKey: checksum) == nil { state.archiveBytes += bytes.readableBytes }
            return retired
        }
        Self.free(retired)
    }

    private let state = Mutex(State())
    let ttl: TimeInterval
    /// The most packages with cached responses, and separately releases, kept (both generations together).
    let maxEntries: Int
    /// The most bytes (approximately) of rendered responses, and separately of releases, kept: with
    /// a million packages read at random, entries alone would not bound memory.
    let maxBytes: Int
    private let now: @Sendable () -> Date

    init(
        ttl: TimeInterval, maxEntries: Int, maxBytes: Int = 32 * 1024 * 1024, admission: Admission = .secondRead,
        now: @escaping @Sendable () -> Date
    ) {
        self.admission = admission
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
        state.withLock { ($0.responses.totalCost, $0.releases.totalCost) }
    }

    var isEnabled: Bool { ttl > 0 && maxEntries > 0 }

    func get(package: String, key: String) -> Entry? {
        guard isEnabled else { return nil }
        let at = now()
        return state.withLock { state in
            guard let (group, inCurrent) = state.responses.lookup(package), let entry = group.entries[key] else { return nil }
            guard entry.expires > at else {
                var rest = group
                rest.entries[key] = nil
                rest.cost -= entry.cost
                _ = state.responses.insert(package, rest, cost: rest.cost, costOf: \.cost, limit: (.max, .max))
                return nil
            }
            if !inCurrent {
                // Read again: back into the current generation, with the rest of its package.
                _ = state.responses.insert(package, group, cost: group.cost, costOf: \.cost, limit: (.max, .max))
            }
            return entry
        }
    }

    func set(package: String, key: String, headers: HTTPFields, body: ByteBuffer) {
        guard isEnabled else { return }
        let cost = Self.cost(key: key, headers: headers, body: body)
        guard cost <= maxBytes / 2 else { return }
        let entry = Entry(headers: headers, body: body, expires: now().addingTimeInterval(ttl), cost: cost)
        let retired = state.withLock { state -> [String: PackageEntries]? in
            guard admission == .firstRead || state.doorkeeper.admit(key) else { return nil }
            var group = state.responses.lookup(package)?.0 ?? PackageEntries()
            if let replaced = group.entries.updateValue(entry, forKey: key) { group.cost -= replaced.cost }
            group.cost += cost
            // One package (or the identifier lookups) never takes more than a generation's budget.
            if group.cost > maxBytes / 2 { group = PackageEntries(entries: [key: entry], cost: cost) }
            return state.responses.insert(package, group, cost: group.cost, costOf: \.cost, limit: (maxEntries, maxBytes))
        }
        Self.free(retired)
    }

    func release(_ key: String) -> Release? { releaseEntry(key)?.release }

    func releaseEntry(_ key: String) -> CachedRelease? {
        guard isEnabled else { return nil }
        let at = now()
        return state.withLock { state in
            guard let (entry, inCurrent) = state.releases.lookup(key) else { return nil }
            guard entry.expires > at else {
                state.releases.remove(key, costOf: \.cost)
                return nil
            }
            if !inCurrent { _ = state.releases.insert(key, entry, cost: entry.cost, costOf: \.cost, limit: (.max, .max)) }
            return entry
        }
    }

    func setRelease(_ key: String, _ release: Release) {
        guard isEnabled else { return }
        let cost = Self.cost(of: release) + key.utf8.count
        guard cost <= maxBytes / 2 else { return }
        let entry = CachedRelease(release: release, expires: now().addingTimeInterval(ttl), cost: cost)
        let retired = state.withLock { state -> [String: CachedRelease]? in
            guard admission == .firstRead || state.doorkeeper.admit("release " + key) else { return nil }
            return state.releases.insert(key, entry, cost: cost, costOf: \.cost, limit: (maxEntries, maxBytes))
        }
        Self.free(retired)
    }

    /// Frees a retired generation off the request path: tens of thousands of entries take
    /// milliseconds to free, which would stall every request queued on this thread.
    static func free<T: Sendable>(_ retired: T?) {
        guard let retired else { return }
        DispatchQueue.global(qos: .utility).async { withExtendedLifetime(retired) {} }
    }

    /// Keeps the archive response's headers with a cached release (no-op if it isn't cached).
    func setArchiveHeaders(_ key: String, _ headers: HTTPFields) {
        guard isEnabled else { return }
        let added = headers.reduce(Self.overhead) { $0 + $1.name.rawName.utf8.count + $1.value.utf8.count + 32 }
        state.withLock { state in
            state.releases.update(key) { entry in
                guard entry.archiveHeaders == nil else { return 0 }
                entry.archiveHeaders = headers
                entry.cost += added
                return added
            }
        }
    }

    /// Drops a cached release (`package key@version precedence key`), after it was deleted.
    func invalidateRelease(_ key: String) {
        let removed = state.withLock { $0.releases.remove(key, costOf: \.cost) }
        _ = removed
    }

    /// Drops every cached response of a package (after a publish).
    func invalidate(package: String) {
        let removed = state.withLock { $0.responses.remove(package, costOf: \.cost) }
        _ = removed
    }

    /// Drops everything (e.g. identifier lookups after a publish that adds repository URLs).
    func invalidateAll() {
        let removed = state.withLock { $0.responses.removeAll() }
        _ = removed
    }
}
