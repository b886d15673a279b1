import BulwarkTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A real `bulwark serve` against misbehaving clients over raw sockets: a slowloris client is cut
/// off after the header timeout while a normal client is served; a body that stalls is cut off;
/// connections beyond the per-IP limit are closed while other addresses are unaffected; malformed
/// requests get 400 or a closed connection, and the server keeps serving.
@Suite(.serialized) struct ConnectionLimitsEndToEndTests {
    static let shouldRun = HardeningHarness.shouldRun("ConnectionLimitsEndToEnd")

    @Test(.enabled(if: shouldRun, "needs a built bulwark"), .timeLimit(.minutes(3)))
    func slowClientsAndConnectionFloodsAreCutOff() async throws {
        let harness = try HardeningHarness()
        defer { harness.cleanUp() }
        let server = try await harness.serve(harness.dataDirectory("data"), [
            "--request-header-timeout", "2", "--request-body-timeout", "2", "--max-connections-per-ip", "4", "--rate-limit-per-ip", "0",
        ])
        defer { server.stop() }
        let port = server.port

        try await onThread {
            // 1. Slowloris: a header line every 0.5 s. Cut off after ~2 s, never answered.
            let slow = try RawConnection(port: port, receiveTimeout: 1)
            let started = Date()
            _ = slow.send("GET /healthz HTTP/1.1\r\nHost: x\r\n")
            var closedAfter: TimeInterval?
            for i in 0..<30 {
                usleep(500_000)
                if !slow.send("X-Slow-\(i): y\r\n") { closedAfter = Date().timeIntervalSince(started); break }
                if i == 1 {
                    // Meanwhile, a normal client (another address) is served at once.
                    let normal = try RawConnection(port: port, from: "127.0.0.2")
                    #expect(normal.request("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")?.status == 200)
                }
            }
            if closedAfter == nil, slow.waitForClose() { closedAfter = Date().timeIntervalSince(started) }
            let cut = try #require(closedAfter, "the slowloris connection was still open after 15 s")
            #expect(cut >= 1.5 && cut < 6, "cut off after \(cut) s (header timeout 2 s)")

            // 1b. A keep-alive connection making requests for longer than the header timeout stays
            // open (each response moves the deadline), and is closed ~2 s after it goes idle.
            let busy = try RawConnection(port: port, from: "127.0.0.6", receiveTimeout: 8)
            for _ in 0..<6 {
                #expect(busy.request("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")?.status == 200)
                usleep(600_000)
            }
            let idleSince = Date()
            #expect(busy.waitForClose(), "an idle keep-alive connection was not closed")
            let idleFor = Date().timeIntervalSince(idleSince)
            #expect(idleFor >= 0.8 && idleFor < 6, "closed \(idleFor) s after its last response (header timeout 2 s)")

            // 2. A body that stalls half-way is cut off after the body timeout.
            let stalled = try RawConnection(port: port, receiveTimeout: 8)
            _ = stalled.send("PUT /ops/pkg/1.0.0 HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n")
            _ = stalled.send([UInt8](repeating: 0x41, count: 100))
            let stallStart = Date()
            let (_, stallClosed) = stalled.receiveResponse()
            let stalledFor = Date().timeIntervalSince(stallStart)
            #expect(stallClosed || stalledFor < 7, "a stalled body was not cut off")
            #expect(stalledFor < 7, "a stalled body was cut off only after \(stalledFor) s")

            // 3. Four connections from 127.0.0.3 are fine; the fifth is closed at once, unanswered.
            let held = try (0..<4).map { _ in try RawConnection(port: port, from: "127.0.0.3", receiveTimeout: 3) }
            usleep(200_000)
            let extra = try RawConnection(port: port, from: "127.0.0.3", receiveTimeout: 3)
            let refusedAt = Date()
            _ = extra.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            let (bytes, closed) = extra.receiveResponse()
            #expect(closed && bytes.isEmpty, "the 5th connection from one IP got \(bytes.count) bytes, closed: \(closed)")
            #expect(Date().timeIntervalSince(refusedAt) < 1.5, "it was closed at once, not by a timeout")
            // The held ones still work, and another address is unaffected.
            #expect(held[0].request("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")?.status == 200)
            let other = try RawConnection(port: port, from: "127.0.0.4")
            #expect(other.request("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")?.status == 200)
            // Once one is closed, the address may connect again.
            for connection in held { shutdown(connection.fd, Int32(SHUT_RDWR)) }
            usleep(300_000)
            let again = try RawConnection(port: port, from: "127.0.0.3")
            #expect(again.request("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")?.status == 200)

            // 4. Malformed requests: 400 or a closed connection, and the server keeps serving.
            for malformed in [
                "GET / HTTP/1.1\r\nHost: x\r\nThis header has no colon\r\n\r\n",
                "GARBAGE\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                "GET / HTTP/1.1\r\nHost: x\r\n" + String(repeating: "X-Big: " + String(repeating: "a", count: 1000) + "\r\n", count: 200) + "\r\n",
            ] {
                let connection = try RawConnection(port: port, from: "127.0.0.5", receiveTimeout: 5)
                _ = connection.send(malformed)
                let (reply, closedByServer) = connection.receiveResponse()
                let status = RawResponse(reply)?.status
                #expect(status == 400 || status == 431 || (status == nil && closedByServer), "\(malformed.prefix(40).debugDescription): status \(status.map(String.init) ?? "none"), closed \(closedByServer)")
            }
            #expect(try HardeningHarness.get(port, "/healthz").status == 200)
        }
        #expect(server.process.isRunning, "the server survived:\n\(server.logs)")
    }
}
