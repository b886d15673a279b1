import Foundation
import Synchronization

/// Token buckets per key (an IP, a token's hash), in memory, per server instance.
///
/// Each key gets `burst` requests at once and then `rate` per second. The buckets are split over
/// shards, each behind its own lock, so concurrent requests rarely wait for each other. Memory is
/// bounded: beyond `maxKeys` buckets per shard, full (idle) buckets are dropped, then the oldest.
final class RateLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: Double
    }

    /// Allowed, or refused with the seconds until the next request would be allowed.
    enum Decision: Equatable {
        case allowed
        case limited(retryAfter: Double)
    }

    let rate: Double
    let burst: Double
    private let maxKeysPerShard: Int
    private let shards: [LockedShard<[String: Bucket]>]
    private let clock: @Sendable () -> Double

    /// `clock` is in seconds and must not go backwards (the default is the monotonic uptime clock).
    init(rate: Double, burst: Double, maxKeys: Int = 100_000, shards: Int = 16, clock: @escaping @Sendable () -> Double = RateLimiter.uptime) {
        self.rate = rate
        self.burst = max(1, burst)
        self.maxKeysPerShard = max(1, maxKeys / max(1, shards))
        self.shards = (0..<max(1, shards)).map { _ in LockedShard([:]) }
        self.clock = clock
    }

    var isEnabled: Bool { rate > 0 }

    static let uptime: @Sendable () -> Double = {
        Double(DispatchTime.now().uptimeNanoseconds) / 1_000_000_000
    }

    func take(_ key: String) -> Decision {
        guard rate > 0 else { return .allowed }
        let now = clock()
        let shard = shards[Int(UInt(bitPattern: key.hashValue) % UInt(shards.count))]
        let (rate, burst, maxKeys) = (self.rate, self.burst, self.maxKeysPerShard)
        return shard.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = min(burst, bucket.tokens + max(0, now - bucket.updated) * rate)
            bucket.updated = now
            let decision: Decision
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                decision = .allowed
            } else {
                decision = .limited(retryAfter: (1 - bucket.tokens) / rate)
            }
            if buckets[key] == nil, buckets.count >= maxKeys { Self.evict(&buckets, now: now, rate: rate, burst: burst) }
            buckets[key] = bucket
            return decision
        }
    }

    /// Drops the buckets that have refilled completely (their clients are idle); if none has, the
    /// least recently used half.
    private static func evict(_ buckets: inout [String: Bucket], now: Double, rate: Double, burst: Double) {
        let before = buckets.count
        buckets = buckets.filter { $0.value.tokens + (now - $0.value.updated) * rate < burst }
        if buckets.count < before { return }
        let sorted = buckets.sorted { $0.value.updated < $1.value.updated }
        for (key, _) in sorted.prefix(max(1, sorted.count / 2)) { buckets[key] = nil }
    }

    /// Buckets held (tests).
    var count: Int { shards.reduce(0) { total, shard in total + shard.withLock { $0.count } } }
}

/// A `Mutex` in a class, so that several can be kept in an array (one per shard).
final class LockedShard<Value>: Sendable {
    let mutex: Mutex<Value>
    init(_ value: sending Value) { mutex = Mutex(value) }
    func withLock<T>(_ body: (inout sending Value) throws -> sending T) rethrows -> sending T { try mutex.withLock(body) }
}
