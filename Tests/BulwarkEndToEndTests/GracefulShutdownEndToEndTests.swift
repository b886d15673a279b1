import BulwarkTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM during a slow publish: the server stops taking connections, lets the publish finish
/// (201, stored whole) and exits 0; or, when the client stalls past `--shutdown-grace`, the
/// publish is cut off and rolled back (nothing stored, no temporary file) and it still exits 0.
@Suite(.serialized) struct GracefulShutdownEndToEndTests {
    static let shouldRun = HardeningHarness.shouldRun("GracefulShutdownEndToEnd", tools: ["zip"])

    @Test(.enabled(if: shouldRun, "needs zip and a built bulwark"), .timeLimit(.minutes(3)))
    func anInFlightPublishFinishesAfterSIGTERM() async throws {
        let harness = try HardeningHarness(tools: ["zip"])
        defer { harness.cleanUp() }
        let data = harness.dataDirectory("data")
        let token = try await harness.makeToken(data)
        let server = try await harness.serve(data, ["--shutdown-grace", "30"])
        defer { server.stop() }
        let port = server.port
        let archive = try harness.archive(root: "ops.big", padding: 3 * 1024 * 1024)
        let request = HardeningHarness.publishRequest(path: "/ops/big/1.0.0", archive: archive, token: token)
        let pid = server.process.pid

        let (status, refusedNewConnection) = try await onThread { () -> (Int, Bool) in
            let connection = try RawConnection(port: port, receiveTimeout: 60)
            _ = connection.send(request.head)
            let chunk = 64 * 1024
            var offset = 0
            var refused = false
            while offset < request.body.count {
                let end = min(offset + chunk, request.body.count)
                guard connection.send(Array(request.body[offset..<end])) else { return (-1, refused) }
                offset = end
                if offset == 16 * chunk {
                    kill(pid, SIGTERM)
                    usleep(500_000)
                    // No new connections once shutting down.
                    refused = (try? RawConnection(port: port, receiveTimeout: 2))
                        .map { $0.request("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") == nil } ?? true
                }
                usleep(20_000)
            }
            return (RawResponse(connection.receiveResponse().bytes)?.status ?? -1, refused)
        }
        #expect(status == 201, "the in-flight publish finished:\n\(server.logs)")
        #expect(refusedNewConnection, "a new connection was served during shutdown")
        let exit = server.terminateAndWait(timeout: 20)
        #expect(exit == 0, "exit status \(exit.map(String.init) ?? "none: still running"):\n\(server.logs)")
        #expect(HardeningHarness.temporaryFiles(data).isEmpty)

        let restarted = try await harness.serve(data, label: "restarted")
        defer { restarted.stop() }
        let zip = try HardeningHarness.get(restarted.port, "/ops/big/1.0.0.zip", accept: "application/vnd.swift.registry.v1+zip")
        #expect(zip.status == 200 && zip.body == archive, "the archive is stored whole")
        if findExecutable(named: "sqlite3") != nil { #expect(try await harness.integrityCheck(data) == "ok") }
    }

    @Test(.enabled(if: shouldRun, "needs zip and a built bulwark"), .timeLimit(.minutes(3)))
    func aStalledPublishIsRolledBackAfterTheGracePeriod() async throws {
        let harness = try HardeningHarness(tools: ["zip"])
        defer { harness.cleanUp() }
        let data = harness.dataDirectory("data")
        let token = try await harness.makeToken(data)
        let server = try await harness.serve(data, ["--shutdown-grace", "2"])
        defer { server.stop() }
        let port = server.port
        let archive = try harness.archive(root: "ops.big", padding: 2 * 1024 * 1024)
        let request = HardeningHarness.publishRequest(path: "/ops/big/1.0.0", archive: archive, token: token)
        let pid = server.process.pid

        let connection = try RawConnection(port: port, receiveTimeout: 30)
        _ = connection.send(request.head)
        _ = connection.send(Array(request.body.prefix(request.body.count / 2)))
        usleep(500_000)
        #expect(HardeningHarness.temporaryFiles(data).count == 1, "the upload is being written to a temporary file")
        kill(pid, SIGTERM)
        let started = Date()
        let exit = server.terminateAndWait(timeout: 20)
        let took = Date().timeIntervalSince(started)
        #expect(exit == 0, "exit status \(exit.map(String.init) ?? "none: still running"):\n\(server.logs)")
        #expect(took < 12, "exited \(took) s after SIGTERM with a 2 s grace period")
        #expect(HardeningHarness.temporaryFiles(data).isEmpty, "the cut-off upload's temporary file was removed")

        let restarted = try await harness.serve(data, label: "restarted")
        defer { restarted.stop() }
        #expect(try HardeningHarness.get(restarted.port, "/ops/big/1.0.0").status == 404, "nothing half-written is visible")
        let stored = (try? FileManager.default.subpathsOfDirectory(atPath: data.appendingPathComponent("blobs/sha256").path))?.filter { $0.hasSuffix(".zip") } ?? []
        #expect(stored.isEmpty, "no archive stored: \(stored)")
        if findExecutable(named: "sqlite3") != nil { #expect(try await harness.integrityCheck(data) == "ok") }
    }
}
