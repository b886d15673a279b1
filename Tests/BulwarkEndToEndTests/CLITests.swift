import Foundation
import Testing

/// The operator CLI, run as a user runs it: every mistake is one line on stderr and a non-zero exit,
/// and nothing stored before is lost.
@Suite(.serialized) struct CLITests {
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-cli-\(UUID().uuidString)")

    func bulwark(_ arguments: [String], stdin: String? = nil) async throws -> CommandResult {
        let logs = dataDirectory.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let runner = CommandRunner(logsDirectory: logs)
        var args = arguments
        if let stdin {
            // CommandRunner closes stdin; feed the password through a shell pipe instead.
            let executable = try locateBulwarkExecutable(packageRoot: packageRoot).path
            args = ["-c", "printf '%s\\n' \(shellQuoted(stdin)) | \(shellQuoted(executable)) \(arguments.map(shellQuoted).joined(separator: " "))"]
            return try await runner.run(URL(fileURLWithPath: "/bin/sh"), args, in: dataDirectory, timeout: 60, label: "bulwark")
        }
        return try await runner.run(try locateBulwarkExecutable(packageRoot: packageRoot), args, in: dataDirectory, timeout: 60, label: "bulwark")
    }

    var data: [String] { ["--data-dir", dataDirectory.appendingPathComponent("data").path] }

    @Test func createUserThenTokenPrintsTheTokenAloneOnTheLastLine() async throws {
        let user = try await bulwark(["admin", "create-user", "mona", "--email", "mona@example.com"] + data)
        #expect(user.succeeded, "\(user.report)")
        let token = try await bulwark(["admin", "create-token", "--user", "MONA", "--scope", "publish", "--package", "mona.*", "--expires", "12h"] + data)
        #expect(token.succeeded, "\(token.report)")
        let last = token.stdout.split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
        #expect(last.hasPrefix("bwk_") && last.count == 47, "\(token.report)")
        // The security log marks it operator-issued.
        let database0 = try Data(contentsOf: dataDirectory.appendingPathComponent("data/bulwark.sqlite3"))
        #expect(database0.range(of: Data("operator-issued token".utf8)) != nil)
        // Only the hash is stored: the token never appears in the database file.
        let database = try Data(contentsOf: dataDirectory.appendingPathComponent("data/bulwark.sqlite3"))
        #expect(database.range(of: Data(last.utf8)) == nil)
    }

    @Test func theOperatorAssignsScopeOwners() async throws {
        #expect(try await bulwark(["admin", "create-user", "mona", "--email", "mona@example.com"] + data).succeeded)
        let assigned = try await bulwark(["admin", "assign-scope", "Mona", "--user", "MONA"] + data)
        #expect(assigned.succeeded, "\(assigned.report)")
        #expect(assigned.stdout.contains("scope Mona is owned by mona"))
        let unknown = try await bulwark(["admin", "assign-scope", "x", "--user", "nobody"] + data)
        #expect(!unknown.succeeded && unknown.stderr.contains("no account named 'nobody'"))
    }

    @Test func aPasswordFromStandardInputIsStoredOnlyAsABcryptHash() async throws {
        let user = try await bulwark(["admin", "create-user", "alice", "--email", "alice@example.com", "--password-stdin"] + data, stdin: "correct horse battery staple")
        #expect(user.succeeded, "\(user.report)")
        let database = try Data(contentsOf: dataDirectory.appendingPathComponent("data/bulwark.sqlite3"))
        #expect(database.range(of: Data("correct horse battery staple".utf8)) == nil)
        #expect(database.range(of: Data("$2".utf8)) != nil)
        let short = try await bulwark(["admin", "create-user", "bob", "--email", "bob@example.com", "--password-stdin"] + data, stdin: "short")
        #expect(!short.succeeded)
        #expect(short.stderr.contains("at least 12 characters"))
    }

    @Test(arguments: [
        (["admin", "create-token", "--user", "nobody", "--package", "x.*"], "no account named 'nobody'"),
        (["admin", "create-token", "--user", "mona", "--package", "not a pattern"], "invalid package pattern"),
        (["admin", "create-token", "--user", "mona", "--package", "mona.*", "--expires", "forever"], "invalid --expires"),
        (["admin", "create-token", "--user", "mona", "--package", "mona.*", "--scope", "admin"], "unknown token scope"),
        (["admin", "create-user", "mona", "--email", "other@example.com"], "is taken"),
        (["admin", "create-user", "bad name", "--email", "x@example.com"], "invalid account name"),
        (["serve", "--tls-cert", "/nonexistent.pem"], "--tls-cert and --tls-key go together"),
        (["serve", "--staged-days", "0"], "--staged-days must be more than 0 and at most 365"),
        (["serve", "--staged-days", "366"], "--staged-days must be more than 0 and at most 365"),
        (["serve", "--staged-days", "nan"], "--staged-days must be more than 0 and at most 365"),
        (["serve", "--max-metadata-bytes", "0"], "--max-metadata-bytes must be more than 0"),
        (["serve", "--max-signature-bytes", "0"], "--max-signature-bytes must be more than 0"),
    ])
    func mistakesAreOneLineErrorsWithANonZeroExit(arguments: [String], message: String) async throws {
        #expect(try await bulwark(["admin", "create-user", "mona", "--email", "mona@example.com"] + data).succeeded)
        let result = try await bulwark(arguments + data)
        #expect(result.exitStatus != 0, "\(result.report)")
        #expect(result.stderr.contains(message), "\(result.report)")
        #expect(!result.stderr.contains("Fatal error"), "\(result.report)")
        // The account created before is still there.
        let again = try await bulwark(["admin", "create-token", "--user", "mona", "--package", "mona.*"] + data)
        #expect(again.succeeded, "\(again.report)")
    }
}
