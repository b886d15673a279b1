import BulwarkCore
import BulwarkStorage
import Foundation
import PostgresNIO

// MARK: Scopes

extension PostgresStore: ScopeStore {
    public func owners(ofScope scope: String) async throws -> [String] {
        try await rows("SELECT account FROM scope_owners WHERE scope_key = \(scope.key) ORDER BY created_at, seq").map { try $0.decode(String.self) }
    }

    /// Check and insert under an advisory lock on the scope: of concurrent claims (on any
    /// instance) exactly one finds the scope unowned.
    public func claimScope(_ scope: String, account: String, at date: Date) async throws -> Bool {
        let logger = logger
        return try await transaction { connection in
            try await Self.lock(.scopes, scope.key, on: connection, logger: logger)
            let owned = try await connection.all("SELECT 1 FROM scope_owners WHERE scope_key = \(scope.key) LIMIT 1", logger)
            guard owned.isEmpty else { return false }
            try await connection.all("""
                INSERT INTO scope_owners (scope_key, scope, account_key, account, created_at)
                VALUES (\(scope.key), \(scope), \(account.key), \(account), \(Self.seconds(date)))
                """, logger)
            return true
        }
    }

    public func addScopeOwner(_ scope: String, account: String, at date: Date) async throws {
        let logger = logger
        try await transaction { connection in
            try await Self.lock(.scopes, scope.key, on: connection, logger: logger)
            try await connection.all("""
                INSERT INTO scope_owners (scope_key, scope, account_key, account, created_at)
                VALUES (\(scope.key), \(scope), \(account.key), \(account), \(Self.seconds(date)))
                ON CONFLICT (scope_key, account_key) DO NOTHING
                """, logger)
        }
    }

    public func scopes(ownedBy account: String) async throws -> [String] {
        try await rows("SELECT scope_key FROM scope_owners WHERE account_key = \(account.key) ORDER BY scope_key").map { try $0.decode(String.self) }
    }
}

// MARK: Policies and staged releases

extension PostgresStore: PackagePolicyStore {
    public func policy(of id: PackageIdentifier) async throws -> PackagePolicy? {
        let rows = try await rows("SELECT second_factor, publishing FROM package_policies WHERE package_key = \(id.canonicalKey)")
        guard let row = rows.first else { return nil }
        let (secondFactorName, publishingName) = try row.decode((String, String).self)
        guard let secondFactor = PackagePolicy.SecondFactor(rawValue: secondFactorName),
            let publishing = PackagePolicy.Publishing(rawValue: publishingName)
        else { throw BulwarkError.internalError("the stored policy of \(id) is invalid") }
        return PackagePolicy(secondFactor: secondFactor, publishing: publishing)
    }

    public func setPolicy(_ policy: PackagePolicy, for id: PackageIdentifier, at date: Date) async throws {
        try await rows("""
            INSERT INTO package_policies (package_key, second_factor, publishing, updated_at)
            VALUES (\(id.canonicalKey), \(policy.secondFactor.rawValue), \(policy.publishing.rawValue), \(Self.seconds(date)))
            ON CONFLICT (package_key) DO UPDATE SET second_factor = excluded.second_factor, publishing = excluded.publishing,
                updated_at = excluded.updated_at
            """)
    }

    /// Check and insert under an advisory lock on the package and version, so two instances can't
    /// both stage the same version.
    /// The staged row and its `staged` audit event in one transaction.
    public func insertStaged(_ staged: StagedRelease, recording event: PackageEvent?) async throws {
        try event?.requireAbout(staged.release)
        let json: String
        do { json = String(decoding: try JSONEncoder().encode(staged.release), as: UTF8.self) } catch {
            throw BulwarkError.internalError("the staged release can't be encoded")
        }
        let logger = logger
        let packageKey = staged.release.package.canonicalKey
        let versionKey = staged.release.version.precedenceKey
        do {
            try await transaction { connection in
                try await Self.lock(.staged, packageKey + "@" + versionKey, on: connection, logger: logger)
                let pending = try await connection.all("""
                    SELECT 1 FROM staged_releases WHERE package_key = \(packageKey) AND version_key = \(versionKey) AND state = 'pending'
                        AND expires_at > \(Self.seconds(staged.createdAt)) LIMIT 1
                    """, logger)
                guard pending.isEmpty else {
                    throw BulwarkError.conflict("version \(staged.release.version) of \(staged.release.package) is already waiting for approval")
                }
                try await connection.all("""
                    INSERT INTO staged_releases (id, package_key, version_key, release, state, created_at, expires_at, decided_by, decided_at)
                    VALUES (\(staged.id), \(packageKey), \(versionKey), \(json), \(staged.state.rawValue), \(Self.seconds(staged.createdAt)),
                        \(Self.seconds(staged.expiresAt)), \(staged.decidedBy), \(Self.seconds(staged.decidedAt)))
                    """, logger)
                if let event { try await Self.insertEvent(event, on: connection, logger: logger) }
            }
        } catch let error where Self.isConstraintViolation(error) {
            throw BulwarkError.conflict("a staged release with id \(staged.id) exists")
        }
    }

    private static let stagedColumns = "SELECT id, release, state, created_at, expires_at, decided_by, decided_at FROM staged_releases"

    public func staged(id: String) async throws -> StagedRelease? {
        var query = PostgresQuery(unsafeSQL: Self.stagedColumns + " WHERE id = $1")
        query.binds.append(id)
        return try await rows(query).first.map(Self.stagedRelease)
    }

    public func pendingStaged(of id: PackageIdentifier) async throws -> [StagedRelease] {
        var query = PostgresQuery(unsafeSQL: Self.stagedColumns + " WHERE package_key = $1 AND state = 'pending' ORDER BY created_at, id")
        query.binds.append(id.canonicalKey)
        return try await rows(query).map(Self.stagedRelease)
    }

    /// One conditional UPDATE: of concurrent decisions exactly one finds the release in `from`.
    /// The decision and its audit event in one transaction; no event if another decision came first.
    public func decide(
        id: String, from: StagedRelease.State, to: StagedRelease.State, by account: String, at date: Date, recording event: PackageEvent?
    ) async throws -> Bool {
        let logger = logger
        return try await transaction { connection in
            let decided = try await connection.all("""
                UPDATE staged_releases SET state = \(to.rawValue), decided_by = \(account), decided_at = \(Self.seconds(date))
                WHERE id = \(id) AND state = \(from.rawValue)
                RETURNING 1
                """, logger)
            guard !decided.isEmpty else { return false }
            if let event { try await Self.insertEvent(event, on: connection, logger: logger) }
            return true
        }
    }

    public func purgeExpiredStaged(expiredBefore: Date) async throws -> [String] {
        try await rows("""
            DELETE FROM staged_releases WHERE state = 'pending' AND expires_at <= \(Self.seconds(expiredBefore))
            RETURNING id, release
            """).map { row in
                let (id, json) = try row.decode((String, String).self)
                return try StagedArchive.checksum(ofReleaseJSON: json, stagedID: id)
            }
    }

    public func archiveInUse(checksum: String) async throws -> Bool {
        if try await !rows("SELECT 1 FROM releases WHERE checksum = \(checksum) LIMIT 1").isEmpty { return true }
        return try await !rows("SELECT 1 FROM staged_releases WHERE state = 'pending' AND strpos(release, \(checksum)) > 0 LIMIT 1").isEmpty
    }

    /// Under an advisory lock on the checksum: claims from any instance are serialised.
    public func claimArchive(checksum: String, for purpose: ArchiveClaim, holder: String, at date: Date, expiresAt: Date) async throws -> Bool {
        let logger = logger
        return try await transaction { connection in
            try await Self.lock(.archives, checksum, on: connection, logger: logger)
            try await connection.all("DELETE FROM archive_claims WHERE checksum = \(checksum) AND expires_at <= \(Self.seconds(date))", logger)
            switch purpose {
            case .publish:
                let removing = try await connection.all(
                    "SELECT 1 FROM archive_claims WHERE checksum = \(checksum) AND purpose = 'removal' LIMIT 1", logger
                )
                if !removing.isEmpty { return false }
            case .removal:
                if try await !connection.all("SELECT 1 FROM releases WHERE checksum = \(checksum) LIMIT 1", logger).isEmpty { return false }
                let staged = try await connection.all(
                    "SELECT 1 FROM staged_releases WHERE state = 'pending' AND strpos(release, \(checksum)) > 0 LIMIT 1", logger
                )
                if !staged.isEmpty { return false }
                if try await !connection.all("SELECT 1 FROM archive_claims WHERE checksum = \(checksum) LIMIT 1", logger).isEmpty { return false }
            }
            try await connection.all("""
                INSERT INTO archive_claims (checksum, holder, purpose, expires_at)
                VALUES (\(checksum), \(holder), \(purpose.rawValue), \(Self.seconds(expiresAt)))
                ON CONFLICT (checksum, holder) DO UPDATE SET purpose = EXCLUDED.purpose, expires_at = EXCLUDED.expires_at
                """, logger)
            return true
        }
    }

    public func releaseArchiveClaim(checksum: String, holder: String) async throws {
        try await execute("DELETE FROM archive_claims WHERE checksum = \(checksum) AND holder = \(holder)")
    }

    private static func stagedRelease(_ row: PostgresRow) throws -> StagedRelease {
        let (id, json, stateName, createdAt, expiresAt, decidedBy, decidedAt) = try row.decode(
            (String, String, String, Int64, Int64, String?, Int64?).self
        )
        guard let state = StagedRelease.State(rawValue: stateName) else {
            throw BulwarkError.internalError("a stored staged release is incomplete")
        }
        let release: Release
        do { release = try JSONDecoder().decode(Release.self, from: Data(json.utf8)) } catch {
            throw BulwarkError.internalError("the stored staged release \(id) can't be decoded")
        }
        return StagedRelease(
            id: id, release: release, state: state, createdAt: date(createdAt), expiresAt: date(expiresAt), decidedBy: decidedBy,
            decidedAt: date(decidedAt)
        )
    }
}
