import BulwarkStorage
import CoreMetrics
import Foundation
import HTTPTypes
import NIOCore
import NIOPosix
import Synchronization

/// The database tier under ``ReadCache``: rendered `200` responses of a package's release list,
/// release metadata and manifests, kept in the database until the package changes. A read that
/// misses the memory cache (a million packages read at random) then costs one row lookup instead of
/// the package's queries and a render.
///
/// The store invalidates (``StoredResponseStore``); this tier only writes, off the request path:
/// rendered responses queue up and are stored in one transaction up to `flushDelay` later (1 s), or
/// as soon as `batchSize` are waiting, each only if its package didn't change since the request read
/// the package's epoch, before its render. Writes are batched that coarsely because every commit
/// empties the page caches of SQLite's read connections (WAL): a commit every few milliseconds made
/// every read fetch its B-tree pages again.
///
/// A response is stored from its second read on (``FirstReads`` remembers first reads): storing
/// costs a random B-tree insert, about as much as the render, so a crawl that reads each response
/// once stores nothing and pays only the lookup.
final class StoredResponseTier: Sendable {
    let store: any StoredResponseStore
    /// What a stored response depends on besides the package's rows: the rendering's version (bump
    /// it when the responses' format changes), the page size of release lists and the base URL.
    let variantPrefix: String
    /// Larger responses are not stored (lists that long are paginated anyway).
    let maxBodyBytes: Int
    let maxPending: Int
    let batchSize: Int
    let flushDelay: Duration

    private struct Pending {
        var responses: [(response: StoredResponse, epoch: Int64)] = []
        var flushScheduled = false
    }
    private let pending = Mutex(Pending())
    private let firstReads: Mutex<FirstReads>
    private let storesFirstReads: Bool

    static let renderingVersion = 1

    /// `bulwark_stored_responses_total` by result.
    private let hits, misses, stored, refused: CoreMetrics.Counter

    /// `firstReadBits`: the size of the filter that remembers first reads (a power of two; the
    /// default, 4 MiB, remembers a million packages' lists, metadata and manifests with about 3 %
    /// of first reads taken for second ones); 0 stores from the first read.
    init(
        store: any StoredResponseStore, releasesPerPage: Int, metrics: BulwarkMetrics, firstReadBits: Int = 1 << 25,
        maxBodyBytes: Int = 64 * 1024, maxPending: Int = 10_000, batchSize: Int = 1_000, flushDelay: Duration = .seconds(1)
    ) {
        self.store = store
        (hits, misses, stored, refused) = (
            metrics.storedResponseCounter("hit"), metrics.storedResponseCounter("miss"), metrics.storedResponseCounter("stored"),
            metrics.storedResponseCounter("refused")
        )
        self.firstReads = Mutex(FirstReads(bits: max(64, firstReadBits)))
        self.storesFirstReads = firstReadBits <= 0
        self.variantPrefix = "v\(Self.renderingVersion) \(releasesPerPage) "
        self.maxBodyBytes = maxBodyBytes
        self.maxPending = maxPending
        self.batchSize = max(1, batchSize)
        self.flushDelay = flushDelay
    }

    func variant(base: String) -> String { variantPrefix + base }

    /// The stored response for this variant, or else the package's epoch to store a fresh render under (nil
    /// if the store can't say: then the render isn't stored).
    func lookup(package: String, path: String, base: String) -> (response: (HTTPFields, ByteBuffer)?, epoch: Int64?) {
        switch try? store.storedResponseOrEpoch(package: package, path: path, base: variant(base: base)) {
        case .found(let found):
            guard let headers = Self.decodeHeaders(found.headers) else {
                misses.increment()
                return (nil, try? store.epoch(package: package))
            }
            hits.increment()
            return ((headers, ByteBuffer(bytes: found.body)), nil)
        case .missing(let epoch):
            misses.increment()
            return (nil, epoch)
        case nil:
            misses.increment()
            return (nil, nil)
        }
    }

    /// Queues a rendered response for storing; dropped when the queue is full or it is too large.
    func keep(package: String, path: String, base: String, headers: HTTPFields, body: ByteBuffer, epoch: Int64) {
        guard body.readableBytes <= maxBodyBytes else { return }
        if !storesFirstReads {
            let key = package + "\u{0}" + path
            guard firstReads.withLock({ $0.seenBefore(key) }) else { return }
        }
        let response = StoredResponse(
            package: package, path: path, base: variant(base: base), headers: Self.encodeHeaders(headers), body: Array(body.readableBytesView)
        )
        let delay = pending.withLock { pending -> Duration? in
            guard pending.responses.count < maxPending else { return nil }
            pending.responses.append((response: response, epoch: epoch))
            if pending.responses.count == batchSize { return .zero }
            guard !pending.flushScheduled else { return nil }
            pending.flushScheduled = true
            return flushDelay
        }
        guard let delay else { return }
        Task.detached { [self] in
            if delay > .zero { try? await Task.sleep(for: delay) }
            await flush()
        }
    }

    /// Stores what is queued now (the scheduled flush, and tests).
    func flush() async {
        let batch = pending.withLock { pending in
            defer {
                pending.responses.removeAll()
                pending.flushScheduled = false
            }
            return pending.responses
        }
        guard !batch.isEmpty else { return }
        let store = self.store
        // Each is stored only if its package hasn't changed since its render read the epoch: one
        // transaction, on a thread that may block.
        let written = (try? await NIOThreadPool.singleton.runIfActive { (try? store.store(batch)) ?? 0 }) ?? 0
        stored.increment(by: Int64(written))
        refused.increment(by: Int64(batch.count - written))
    }

    /// `name: value` lines. Field names can't contain `:` and values can't contain line breaks.
    static func encodeHeaders(_ fields: HTTPFields) -> [UInt8] {
        var bytes: [UInt8] = []
        for field in fields {
            bytes += field.name.rawName.utf8
            bytes.append(UInt8(ascii: ":"))
            bytes += field.value.utf8
            bytes.append(UInt8(ascii: "\n"))
        }
        return bytes
    }

    /// Nil if the bytes aren't what ``encodeHeaders(_:)`` writes.
    static func decodeHeaders(_ bytes: [UInt8]) -> HTTPFields? {
        var fields = HTTPFields()
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")),
                let name = HTTPField.Name(String(decoding: line[..<colon], as: UTF8.self))
            else { return nil }
            fields.append(HTTPField(name: name, value: String(decoding: line[(colon + 1)...], as: UTF8.self)))
        }
        return fields
    }
}

/// Which keys were read before: a Bloom filter (two bits per key) that is cleared whenever half of
/// its bits are set, so it remembers the last few million first reads in a fixed size. A false
/// positive only stores a response on its first read.
struct FirstReads {
    private var words: [UInt64]
    private var setBits = 0
    private let mask: Int

    init(bits: Int) {
        precondition(bits >= 64 && bits & (bits - 1) == 0, "bits must be a power of two, at least 64")
        words = [UInt64](repeating: 0, count: bits / 64)
        mask = bits - 1
    }

    /// True if `key` was (probably) seen before; remembers it either way.
    mutating func seenBefore(_ key: String) -> Bool {
        let hash = UInt64(bitPattern: Int64(key.hashValue))
        let a = Int(truncatingIfNeeded: hash) & mask
        let b = Int(truncatingIfNeeded: hash >> 32 | hash << 32) & mask
        let seen = isSet(a) && isSet(b)
        if !seen {
            setBits += set(a) + set(b)
            if setBits > (mask + 1) / 2 {
                for i in words.indices { words[i] = 0 }
                setBits = 0
            }
        }
        return seen
    }

    private func isSet(_ bit: Int) -> Bool { words[bit >> 6] & (1 << UInt64(bit & 63)) != 0 }

    /// Sets `bit`; 1 if it was clear.
    private mutating func set(_ bit: Int) -> Int {
        let word = bit >> 6, flag: UInt64 = 1 << UInt64(bit & 63)
        if words[word] & flag != 0 { return 0 }
        words[word] |= flag
        return 1
    }
}
