import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Open connections per client IP, across all event loops.
final class ConnectionCounter: Sendable {
    let maxPerIP: Int
    private let counts = Mutex<[String: Int]>([:])

    init(maxPerIP: Int) { self.maxPerIP = maxPerIP }

    /// Counts a new connection from `ip`; false (and not counted) when the IP already has `maxPerIP`.
    func open(_ ip: String) -> Bool {
        let limit = maxPerIP
        return counts.withLock { counts in
            let current = counts[ip, default: 0]
            if limit > 0, current >= limit { return false }
            counts[ip] = current + 1
            return true
        }
    }

    func close(_ ip: String) {
        counts.withLock { counts in
            let current = counts[ip, default: 0]
            counts[ip] = current > 1 ? current - 1 : nil
        }
    }

    func connections(from ip: String) -> Int { counts.withLock { $0[ip, default: 0] } }
}

/// Guards each HTTP/1 connection against clients that hold server resources:
///
/// - a connection beyond `maxConnectionsPerIP` from the same address is closed at once. This is
///   the TCP peer's address, even with `--trusted-proxy`: the guard runs before any request head
///   (and so any `X-Forwarded-For`) exists. Behind a proxy, every client shares the proxy's
///   count, so set the limit to 0 or size it for the proxy's connections;
/// - a request head must arrive whole within `requestHeaderTimeout` of the connection opening or
///   of the previous response ending (a "slowloris" client trickling headers, or an idle
///   keep-alive connection, is closed);
/// - while a request body is being received, a pause longer than `requestBodyTimeout` closes the
///   connection.
///
/// It sits in the pipeline after the HTTP codec, so it sees whole request heads and body parts;
/// the timers run on the connection's event loop.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let counter: ConnectionCounter
    private let metrics: BulwarkMetrics?
    private let headerTimeout: TimeAmount?
    private let bodyTimeout: TimeAmount?
    private var countedIP: String?
    private var admitted = false
    /// When the connection is closed unless it makes progress, and why; nil while disarmed.
    private var deadline: NIODeadline?
    private var deadlineReason = "header-timeout"
    /// The one timer task, and when it fires. Re-arming on every request only moves `deadline`;
    /// the timer, when it fires early, schedules itself again for the new deadline. That keeps two
    /// timer schedules and cancellations per request off the hot path.
    private var timer: Scheduled<Void>?
    private var timerFiresAt: NIODeadline?
    private var receivingBody = false

    init(counter: ConnectionCounter, limits: TrafficLimits, metrics: BulwarkMetrics? = nil) {
        self.counter = counter
        self.metrics = metrics
        headerTimeout = limits.requestHeaderTimeout > 0 ? .nanoseconds(Int64(limits.requestHeaderTimeout * 1e9)) : nil
        bodyTimeout = limits.requestBodyTimeout > 0 ? .nanoseconds(Int64(limits.requestBodyTimeout * 1e9)) : nil
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { admit(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        admit(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        release()
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    private func admit(_ context: ChannelHandlerContext) {
        guard !admitted else { return }
        admitted = true
        if let ip = context.channel.remoteAddress?.ipAddress {
            guard counter.open(ip) else {
                metrics?.recordConnectionClosed(reason: "per-ip-limit")
                context.close(promise: nil)
                return
            }
            countedIP = ip
        }
        arm(context, headerTimeout)
    }

    private func release() {
        timer?.cancel()
        timer = nil
        deadline = nil
        if let ip = countedIP {
            countedIP = nil
            counter.close(ip)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            receivingBody = true
            arm(context, bodyTimeout, reason: "body-timeout")
        case .body:
            if receivingBody { arm(context, bodyTimeout, reason: "body-timeout") }
        case .end:
            receivingBody = false
            disarm()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), !receivingBody {
            // The response is complete: the next request head must come within the header timeout.
            arm(context, headerTimeout)
        }
        context.write(data, promise: promise)
    }

    private func disarm() {
        deadline = nil
    }

    private func arm(_ context: ChannelHandlerContext, _ timeout: TimeAmount?, reason: String = "header-timeout") {
        guard let timeout else { deadline = nil; return }
        let at = NIODeadline.now() + timeout
        deadline = at
        deadlineReason = reason
        if let firesAt = timerFiresAt, timer != nil, firesAt <= at { return }
        schedule(context, at: at)
    }

    private func schedule(_ context: ChannelHandlerContext, at: NIODeadline) {
        timer?.cancel()
        timerFiresAt = at
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: at) { [weak self] in
            guard let self, self.timer != nil else { return }
            self.timer = nil
            self.timerFiresAt = nil
            guard let deadline = self.deadline else { return }  // disarmed since
            if deadline > .now() {
                self.schedule(context, at: deadline)
                return
            }
            self.deadline = nil
            self.metrics?.recordConnectionClosed(reason: self.deadlineReason)
            context.close(promise: nil)
        }
    }
}
