import BulwarkCore
import BulwarkStorage
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// `/readyz` for load balancers: 200 when every dependency the storage names (database, blob store)
/// answers within `timeout`, else 503 as problem details naming what isn't ready. `/healthz` only
/// says the process is up. Neither needs authentication, and neither says more than a name and a
/// short reason: no addresses, URLs or credentials.
struct ReadinessRoute<Context: RequestContext>: Sendable {
    let checks: [any ReadinessCheck]
    let timeout: Duration

    func addRoutes(to router: Router<Context>) {
        router.get("/readyz") { _, _ in try await self.respond() }
    }

    func respond() async throws -> Response {
        let results = await withTaskGroup(of: (Int, String?).self) { group in
            for (index, check) in checks.enumerated() {
                group.addTask { (index, await Self.run(check, timeout: timeout)) }
            }
            var failures = [String?](repeating: nil, count: checks.count)
            for await (index, failure) in group { failures[index] = failure }
            return failures
        }
        var status: [String: String] = [:]
        for (check, failure) in zip(checks, results) { status[check.readinessName] = failure ?? "ok" }
        let failing = zip(checks, results).compactMap { check, failure in failure.map { "\(check.readinessName): \($0)" } }
        if failing.isEmpty {
            let body = try JSONSerialization.data(withJSONObject: ["status": "ready", "checks": status], options: [.sortedKeys])
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            headers[.cacheControl] = "no-store"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        throw BulwarkError(.unavailable, "not ready: " + failing.joined(separator: "; "))
    }

    /// nil when the check passed, else why not. A check that doesn't answer within `timeout`
    /// counts as failed; it is left to finish on its own (a hung database call must not hang
    /// `/readyz` with it).
    static func run(_ check: any ReadinessCheck, timeout: Duration) async -> String? {
        let race = FirstAnswer()
        return await withCheckedContinuation { continuation in
            race.wait(continuation)
            Task {
                do {
                    try await check.checkReadiness()
                    race.answer(nil)
                } catch let failure as ReadinessFailure {
                    race.answer(failure.description)
                } catch {
                    race.answer("unreachable (\(type(of: error)))")
                }
            }
            Task {
                try? await Task.sleep(for: timeout)
                race.answer("no answer within \(timeout)")
            }
        }
    }
}

/// Resumes a continuation with the first answer given; later answers are dropped.
private final class FirstAnswer: Sendable {
    private let continuation = Mutex<CheckedContinuation<String?, Never>?>(nil)

    func wait(_ c: CheckedContinuation<String?, Never>) { continuation.withLock { $0 = c } }

    func answer(_ value: String?) {
        let waiting = continuation.withLock { current -> CheckedContinuation<String?, Never>? in
            defer { current = nil }
            return current
        }
        waiting?.resume(returning: value)
    }
}
