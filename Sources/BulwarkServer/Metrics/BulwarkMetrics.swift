import CoreMetrics
import Foundation
import Metrics
import Prometheus
import Synchronization

/// The server's metrics, recorded through swift-metrics into a Prometheus registry of this
/// application (not the process-global one, so several applications in one process — tests —
/// don't share counters) and served at `GET /metrics` in the Prometheus text format.
///
/// Recording is cheap: counters and histograms are created once per label set and cached (one
/// short lock on a sharded dictionary to find them), and swift-prometheus updates them with atomics.
public final class BulwarkMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory

    private struct RequestKey: Hashable {
        let route: String
        let method: String
        let status: Int
    }

    private final class RequestMetrics: Sendable {
        let count: CoreMetrics.Counter
        let duration: CoreMetrics.Timer
        init(count: CoreMetrics.Counter, duration: CoreMetrics.Timer) {
            self.count = count
            self.duration = duration
        }
    }

    private let requestShards: [LockedShard<[RequestKey: RequestMetrics]>]
    private let labelled = Mutex<[String: CoreMetrics.Counter]>([:])
    private let storageTimers = Mutex<[String: CoreMetrics.Timer]>([:])
    private let tokenCacheHits = Atomic<Int>(0)
    private let tokenCacheMisses = Atomic<Int>(0)
    private let tokenCacheRatio: Prometheus.Gauge

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Reads take well under a millisecond: start the buckets at 100 µs.
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
        ]
        self.factory = factory
        requestShards = (0..<8).map { _ in LockedShard([:]) }
        tokenCacheRatio = registry.makeGauge(
            name: "bulwark_token_cache_hit_ratio", help: "Share of token verifications answered from the in-memory cache"
        )
    }

    // MARK: - Requests

    /// One request: `route` is the matched route template (`/{scope}/{name}`), never the raw path.
    func recordRequest(route: String, method: String, status: Int, nanoseconds: Int64) {
        let key = RequestKey(route: route, method: method, status: status)
        let shard = requestShards[Int(UInt(bitPattern: key.hashValue) % UInt(requestShards.count))]
        let metrics = shard.withLock { cache -> RequestMetrics in
            if let existing = cache[key] { return existing }
            let dimensions = [("route", route), ("method", method), ("status", String(status))]
            let made = RequestMetrics(
                count: CoreMetrics.Counter(label: "bulwark_http_requests_total", dimensions: dimensions, factory: factory),
                duration: CoreMetrics.Timer(label: "bulwark_http_request_duration_seconds", dimensions: dimensions, factory: factory)
            )
            cache[key] = made
            return made
        }
        metrics.count.increment()
        metrics.duration.recordNanoseconds(nanoseconds)
    }

    // MARK: - Events

    /// `outcome` is `accepted` or `rejected`; `reason` says why (or `published`, `staged`).
    func recordPublish(outcome: String, reason: String) {
        counter("bulwark_publishes_total", [("outcome", outcome), ("reason", reason)]).increment()
    }

    /// A sign-in step: `method` is `password`, `totp`, `recovery-code` or `passkey`; `result` is
    /// `success`, `failure` or `throttled`. Failed second factors are also counted on their own.
    func recordSignIn(method: String, result: String) {
        counter("bulwark_sign_in_attempts_total", [("method", method), ("result", result)]).increment()
        if method != "password", result != "success" {
            counter("bulwark_second_factor_failures_total", [("method", method)]).increment()
        }
    }

    /// A bearer-token verification: `result` is `valid` or `invalid`; `cached` whether the
    /// in-memory cache answered it.
    func recordTokenVerification(valid: Bool, cached: Bool) {
        counter("bulwark_token_verifications_total", [("result", valid ? "valid" : "invalid"), ("cache", cached ? "hit" : "miss")]).increment()
        if cached { tokenCacheHits.add(1, ordering: .relaxed) } else { tokenCacheMisses.add(1, ordering: .relaxed) }
    }

    /// A request refused by a rate limit (`by`: `ip` or `token`) or a connection closed by a
    /// connection limit (`reason`: `per-ip`, `header-timeout`, `body-timeout`).
    func recordRateLimited(by: String) {
        counter("bulwark_rate_limited_total", [("by", by)]).increment()
    }

    func recordConnectionClosed(reason: String) {
        counter("bulwark_connections_closed_total", [("reason", reason)]).increment()
    }

    /// The counter of one outcome of the stored-response tier (`hit`, `miss`, `stored`, `refused`:
    /// a render that a change overtook), created once by the tier.
    func storedResponseCounter(_ result: String) -> CoreMetrics.Counter {
        counter("bulwark_stored_responses_total", [("result", result)])
    }

    /// A timer for one storage operation (`store`: `releases`, `tokens`, …), created once.
    func storageTimer(store: String, operation: String) -> CoreMetrics.Timer {
        let key = store + "." + operation
        return storageTimers.withLock { timers in
            if let timer = timers[key] { return timer }
            let timer = CoreMetrics.Timer(
                label: "bulwark_storage_duration_seconds", dimensions: [("store", store), ("operation", operation)], factory: factory
            )
            timers[key] = timer
            return timer
        }
    }

    private func counter(_ name: String, _ dimensions: [(String, String)]) -> CoreMetrics.Counter {
        let key = name + dimensions.map { "|\($0.0)=\($0.1)" }.joined()
        return labelled.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = CoreMetrics.Counter(label: name, dimensions: dimensions, factory: factory)
            counters[key] = counter
            return counter
        }
    }

    // MARK: - Exposition

    /// Everything, in the Prometheus text format (version 0.0.4).
    public func render() -> [UInt8] {
        let hits = tokenCacheHits.load(ordering: .relaxed)
        let total = hits + tokenCacheMisses.load(ordering: .relaxed)
        tokenCacheRatio.set(total == 0 ? 0 : Double(hits) / Double(total))
        return registry.emitToBuffer()
    }
}
