import BulwarkStorage
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
/// rendered responses queue up and are stored in one transaction a few milliseconds later, each only
/// if nothing changed in the database since the request read the epoch, before its render.
final class StoredResponseTier: Sendable {
    let store: any StoredResponseStore
    /// What a stored response depends on besides the package's rows: the rendering's version (bump
    /// it when the responses' format changes), the page size of release lists and the base URL.
    let variantPrefix: String
    /// Larger responses are not stored (lists that long are paginated anyway).
    let maxBodyBytes: Int
    let maxPending: Int
    let flushDelay: Duration

    private struct Pending {
        var responses: [(StoredResponse, epoch: Int64)] = []
        var flushScheduled = false
    }
    private let pending = Mutex(Pending())
    /// Responses written so far (tests and metrics).
    let storedCount = Atomic<Int>(0)

    static let renderingVersion = 1

    init(store: any StoredResponseStore, releasesPerPage: Int, maxBodyBytes: Int = 64 * 1024, maxPending: Int = 10_000, flushDelay: Duration = .milliseconds(20)) {
        self.store = store
        self.variantPrefix = "v\(Self.renderingVersion) \(releasesPerPage) "
        self.maxBodyBytes = maxBodyBytes
        self.maxPending = maxPending
        self.flushDelay = flushDelay
    }

    func variant(base: String) -> String { variantPrefix + base }

    /// The stored response, if there is one for this variant; a failed lookup is a miss.
    func lookup(package: String, path: String, base: String) -> (HTTPFields, ByteBuffer)? {
        guard let stored = try? store.storedResponse(package: package, path: path, base: variant(base: base)),
            let headers = Self.decodeHeaders(stored.headers)
        else { return nil }
        return (headers, ByteBuffer(bytes: stored.body))
    }

    /// Read before the data a response is rendered from; nil if the store can't say (then the
    /// response isn't stored).
    func epoch() -> Int64? { try? store.epoch() }

    /// Queues a rendered response for storing; dropped when the queue is full or it is too large.
    func keep(package: String, path: String, base: String, headers: HTTPFields, body: ByteBuffer, epoch: Int64) {
        guard body.readableBytes <= maxBodyBytes else { return }
        let response = StoredResponse(
            package: package, path: path, base: variant(base: base), headers: Self.encodeHeaders(headers), body: Array(body.readableBytesView)
        )
        let schedule = pending.withLock { pending -> Bool in
            guard pending.responses.count < maxPending else { return false }
            pending.responses.append((response, epoch))
            guard !pending.flushScheduled else { return false }
            pending.flushScheduled = true
            return true
        }
        guard schedule else { return }
        let delay = flushDelay
        Task.detached { [self] in
            try? await Task.sleep(for: delay)
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
        // Grouped by epoch: one transaction each (usually one), on a thread that may block.
        let groups = Dictionary(grouping: batch, by: \.epoch)
        let stored = (try? await NIOThreadPool.singleton.runIfActive {
            var count = 0
            for (epoch, responses) in groups {
                count += (try? store.store(responses.map(\.0), ifEpoch: epoch)) ?? 0
            }
            return count
        }) ?? 0
        storedCount.add(stored, ordering: .relaxed)
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
