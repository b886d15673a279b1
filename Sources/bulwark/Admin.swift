import ArgumentParser
import BulwarkAuth
import BulwarkCore
import BulwarkStorage
import Foundation
import Logging

struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Operator commands that work directly on the registry's data.",
        subcommands: [CreateUser.self, CreateToken.self, AssignScope.self, Seed.self, Migrate.self, BackupCommand.self, RestoreCommand.self, ExportCommand.self, ImportCommand.self]
    )
}

struct CreateUser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create-user", abstract: "Create an account.")

    @Argument(help: "Account name.") var name: String
    @Option(help: "E-mail address.") var email: String
    @Flag(help: "Read the account's password from standard input (one line).") var passwordStdin = false
    @OptionGroup var storage: StorageOptions

    func run() async throws {
        guard Account.isValidName(name) else {
            throw ValidationError("invalid account name '\(name)': use 1–39 letters, digits, single hyphens or underscores")
        }
        guard email.contains("@"), !email.contains(where: \.isWhitespace) else { throw ValidationError("invalid e-mail address '\(email)'") }
        var passwordHash: String?
        if passwordStdin {
            guard let password = readLine(strippingNewline: true), password.count >= 12 else {
                throw ValidationError("the password on standard input must be at least 12 characters")
            }
            passwordHash = PasswordHasher().hash(password)
        }
        let stores = try await storage.open(logger: Logger(label: "bulwark.admin"), checkBlobs: false)
        try await failAsync {
            try await stores.accounts.createAccount(Account(name: name, email: email, passwordHash: passwordHash, createdAt: Date()))
        }
        print("created account \(name)")
    }
}

struct CreateToken: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create-token",
        abstract: "Create an API token; it is printed once, alone on the last line."
    )

    @Option(help: "The account the token acts for.") var user: String
    @Option(help: "What the token may do: publish, yank (repeatable).") var scope: [String] = ["publish"]
    @Option(help: "Packages the token covers: scope.name or scope.* (repeatable).") var package: [String]
    @Option(help: "Lifetime, such as 90d, 12h or 30m.") var expires = "90d"
    @OptionGroup var storage: StorageOptions

    func run() async throws {
        let permissions = try scope.map { s in
            guard let p = TokenPermission(rawValue: s) else { throw ValidationError("unknown token scope '\(s)': use publish or yank") }
            return p
        }
        let patterns = try fail { try package.map { try PackagePattern($0) } }
        guard !patterns.isEmpty else { throw ValidationError("name at least one --package") }
        guard let lifetime = Self.parseDuration(expires) else { throw ValidationError("invalid --expires '\(expires)': use a number with d, h or m, e.g. 90d") }
        let stores = try await storage.open(logger: Logger(label: "bulwark.admin"), checkBlobs: false)
        guard let account = try await stores.accounts.account(named: user) else {
            FileHandle.standardError.write(Data("error: no account named '\(user)'\n".utf8))
            throw ExitCode.failure
        }
        let minted = APIToken.mint()
        let now = Date()
        let record = TokenRecord(
            id: UUID().uuidString.lowercased(), hash: minted.hash, account: account.name, permissions: permissions, packages: patterns,
            createdAt: now, expiresAt: now.addingTimeInterval(lifetime)
        )
        try await failAsync { try await stores.tokens.insertToken(record) }
        try? await stores.security.recordEvent(SecurityEvent(
            account: account.name, kind: .tokenCreated,
            detail: "operator-issued token \(record.id) for \(patterns.map(\.description).joined(separator: ", "))", ip: nil, at: now
        ))
        print("token for \(account.name): \(permissions.map(\.rawValue).joined(separator: ",")) on \(patterns.map(\.description).joined(separator: ", ")), expires \(Timestamp.iso8601(record.expiresAt!))")
        print(minted.token)
    }

    /// `90d`, `12h`, `30m` → seconds; at most 400 days.
    static func parseDuration(_ s: String) -> TimeInterval? {
        guard let unit = s.last, let n = Double(s.dropLast()), n > 0 else { return nil }
        let seconds: Double
        switch unit {
        case "d": seconds = n * 86_400
        case "h": seconds = n * 3_600
        case "m": seconds = n * 60
        default: return nil
        }
        return seconds <= 400 * 86_400 ? seconds : nil
    }
}

func failAsync<T>(_ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch let error as BulwarkError {
        FileHandle.standardError.write(Data("error: \(error.detail)\n".utf8))
        throw ExitCode.failure
    }
}

struct AssignScope: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assign-scope", abstract: "Make an account an owner of a scope (only owners publish into it)."
    )

    @Argument(help: "The scope (the `scope` of scope.name).") var scope: String
    @Option(help: "The account that becomes an owner.") var user: String
    @OptionGroup var storage: StorageOptions

    func run() async throws {
        guard PackageIdentifier.isValidScope(scope) else { throw ValidationError("invalid scope '\(scope)'") }
        let stores = try await storage.open(logger: Logger(label: "bulwark.admin"), checkBlobs: false)
        guard let account = try await stores.accounts.account(named: user) else {
            FileHandle.standardError.write(Data("error: no account named '\(user)'\n".utf8))
            throw ExitCode.failure
        }
        try await failAsync { try await stores.scopes.addScopeOwner(scope, account: account.name, at: Date()) }
        let owners = try await stores.scopes.owners(ofScope: scope)
        print("scope \(scope) is owned by \(owners.joined(separator: ", "))")
    }
}
