import Foundation

/// Limits on request rates and connections. Every one is configuration (`bulwark serve` flags) with
/// a safe default; 0 turns a limit off.
public struct TrafficLimits: Sendable {
    /// Sustained requests per second per client IP (token bucket); 0 turns the limit off.
    public var requestsPerSecondPerIP: Double = 100
    /// Requests a client IP may send at once before the sustained rate applies.
    public var burstPerIP: Double = 400
    /// Sustained requests per second per bearer token (counted by its SHA-256); 0 turns it off.
    public var requestsPerSecondPerToken: Double = 50
    public var burstPerToken: Double = 200
    /// Most rate-limit buckets kept in memory; full (idle) buckets are dropped first beyond this.
    public var maxTrackedClients = 100_000

    /// Most open connections from one IP; the next one is closed at once. 0 turns it off.
    public var maxConnectionsPerIP = 64
    /// Seconds a client has from its first byte (or the end of the previous response) to send a
    /// whole request head; a slow ("slowloris") client is disconnected after this. 0 turns it off.
    public var requestHeaderTimeout: Double = 10
    /// Longest pause, in seconds, between two reads of a request body; 0 turns it off.
    public var requestBodyTimeout: Double = 30
    /// Seconds an idle keep-alive connection stays open.
    public var idleTimeout: Double = 60

    public init() {}

    /// Parses a rate: `N`, `N/s`, `N/m` or `N/min`, `N/h`, as requests per second.
    public static func parseRate(_ text: String) -> Double? {
        let parts = text.split(separator: "/", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = parts.first, let count = Double(first), count >= 0, count.isFinite else { return nil }
        guard parts.count == 2 else { return count }
        switch parts[1].lowercased() {
        case "s", "sec", "second": return count
        case "m", "min", "minute": return count / 60
        case "h", "hour": return count / 3600
        default: return nil
        }
    }
}
