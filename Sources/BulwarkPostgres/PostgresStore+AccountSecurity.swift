import BulwarkCore
import BulwarkStorage
import Foundation
import PostgresNIO

/// Account security on PostgreSQL. Every replay guard is a single conditional statement, which
/// PostgreSQL evaluates under a row lock (a concurrent second statement waits and then re-checks
/// its WHERE clause against the committed row), so it holds between instances:
/// `advanceTOTPStep`/`confirmTOTP` are conditional UPDATEs, `consumeRecoveryCode` an UPDATE of an
/// unused code, `takeChallenge` a DELETE … RETURNING.
extension PostgresStore: AccountSecurityStore {
    // MARK: TOTP

    public func totp(account: String) async throws -> TOTPEnrolment? {
        let rows = try await rows("""
            SELECT account, sealed_secret, confirmed, last_used_step, created_at FROM totp_enrolments WHERE account_key = \(account.key)
            """)
        guard let row = rows.first else { return nil }
        let (name, secret, confirmed, lastUsedStep, created) = try row.decode((String, Data, Bool, Int64?, Int64).self)
        return TOTPEnrolment(account: name, sealedSecret: Array(secret), confirmed: confirmed, lastUsedStep: lastUsedStep, createdAt: Self.date(created))
    }

    public func saveTOTP(_ enrolment: TOTPEnrolment) async throws {
        try await rows("""
            INSERT INTO totp_enrolments (account_key, account, sealed_secret, confirmed, last_used_step, created_at)
            VALUES (\(enrolment.account.key), \(enrolment.account), \(Data(enrolment.sealedSecret)), \(enrolment.confirmed),
                \(enrolment.lastUsedStep), \(Self.seconds(enrolment.createdAt)))
            ON CONFLICT (account_key) DO UPDATE SET account = excluded.account, sealed_secret = excluded.sealed_secret,
                confirmed = excluded.confirmed, last_used_step = excluded.last_used_step, created_at = excluded.created_at
            """)
    }

    public func confirmTOTP(account: String, step: Int64) async throws -> Bool {
        try await !rows("""
            UPDATE totp_enrolments SET confirmed = TRUE, last_used_step = \(step)
            WHERE account_key = \(account.key) AND NOT confirmed AND (last_used_step IS NULL OR last_used_step < \(step))
            RETURNING 1
            """).isEmpty
    }

    public func confirmTOTP(account: String, step: Int64, firstFactorRecoveryCodes codes: [RecoveryCodeRecord]) async throws -> Bool? {
        let logger = logger
        let key = account.key
        return try await transaction { connection -> Bool? in
            // The lock of replaceRecoveryCodes: a first passkey added at the same time waits, so
            // exactly one of them is the first factor.
            try await Self.lock(.recoveryCodes, key, on: connection, logger: logger)
            let confirmed = try await connection.all("""
                UPDATE totp_enrolments SET confirmed = TRUE, last_used_step = \(step)
                WHERE account_key = \(key) AND NOT confirmed AND (last_used_step IS NULL OR last_used_step < \(step))
                RETURNING 1
                """, logger)
            guard !confirmed.isEmpty else { return nil }
            guard try await connection.all("SELECT 1 FROM passkeys WHERE account_key = \(key) LIMIT 1", logger).isEmpty else { return false }
            try await Self.writeRecoveryCodes(key: key, codes: codes, on: connection, logger: logger)
            return true
        }
    }

    public func advanceTOTPStep(account: String, to step: Int64) async throws -> Bool {
        try await !rows("""
            UPDATE totp_enrolments SET last_used_step = \(step)
            WHERE account_key = \(account.key) AND confirmed AND (last_used_step IS NULL OR last_used_step < \(step))
            RETURNING 1
            """).isEmpty
    }

    public func deleteTOTP(account: String) async throws {
        try await rows("DELETE FROM totp_enrolments WHERE account_key = \(account.key)")
    }

    // MARK: Passkeys

    public func addPasskey(_ passkey: Passkey) async throws {
        let transports = String(decoding: try JSONEncoder().encode(passkey.transports), as: UTF8.self)
        do {
            try await rows("""
                INSERT INTO passkeys (id, account_key, account, name, public_key, algorithm, sign_count, backup_eligible,
                    backed_up, transports, created_at, last_used_at)
                VALUES (\(passkey.id), \(passkey.account.key), \(passkey.account), \(passkey.name), \(Data(passkey.publicKey)),
                    \(Int64(passkey.algorithm)), \(Int64(passkey.signCount)), \(passkey.backupEligible), \(passkey.backedUp), \(transports),
                    \(Self.seconds(passkey.createdAt)), \(Self.seconds(passkey.lastUsedAt)))
                """)
        } catch let error where Self.isConstraintViolation(error) {
            throw BulwarkError.conflict("this passkey is registered already")
        }
    }

    public func addPasskey(_ passkey: Passkey, firstFactorRecoveryCodes codes: [RecoveryCodeRecord]) async throws -> Bool {
        let logger = logger
        let key = passkey.account.key
        let transports = String(decoding: try JSONEncoder().encode(passkey.transports), as: UTF8.self)
        return try await transaction { connection in
            try await Self.lock(.recoveryCodes, key, on: connection, logger: logger)
            let factors = try await connection.all("""
                SELECT 1 FROM passkeys WHERE account_key = \(key)
                UNION ALL SELECT 1 FROM totp_enrolments WHERE account_key = \(key) AND confirmed LIMIT 1
                """, logger)
            do {
                try await connection.all("""
                    INSERT INTO passkeys (id, account_key, account, name, public_key, algorithm, sign_count, backup_eligible,
                        backed_up, transports, created_at, last_used_at)
                    VALUES (\(passkey.id), \(key), \(passkey.account), \(passkey.name), \(Data(passkey.publicKey)),
                        \(Int64(passkey.algorithm)), \(Int64(passkey.signCount)), \(passkey.backupEligible), \(passkey.backedUp), \(transports),
                        \(Self.seconds(passkey.createdAt)), \(Self.seconds(passkey.lastUsedAt)))
                    """, logger)
            } catch let error where Self.isConstraintViolation(error) {
                throw BulwarkError.conflict("this passkey is registered already")
            }
            guard factors.isEmpty else { return false }
            try await Self.writeRecoveryCodes(key: key, codes: codes, on: connection, logger: logger)
            return true
        }
    }

    private static let passkeyColumns = """
        SELECT id, account, name, public_key, algorithm, sign_count, backup_eligible, backed_up, transports, created_at, last_used_at
        FROM passkeys
        """

    public func passkeys(account: String) async throws -> [Passkey] {
        var query = PostgresQuery(unsafeSQL: Self.passkeyColumns + " WHERE account_key = $1 ORDER BY created_at, seq")
        query.binds.append(account.key)
        return try await rows(query).map(Self.passkey)
    }

    public func passkey(id: String) async throws -> Passkey? {
        var query = PostgresQuery(unsafeSQL: Self.passkeyColumns + " WHERE id = $1")
        query.binds.append(id)
        return try await rows(query).first.map(Self.passkey)
    }

    public func updatePasskeyUse(id: String, signCount: UInt32, backedUp: Bool, at date: Date) async throws {
        try await rows("""
            UPDATE passkeys SET sign_count = \(Int64(signCount)), backed_up = \(backedUp), last_used_at = \(Self.seconds(date)) WHERE id = \(id)
            """)
    }

    public func deletePasskey(id: String, account: String) async throws -> Bool {
        try await !rows("DELETE FROM passkeys WHERE id = \(id) AND account_key = \(account.key) RETURNING 1").isEmpty
    }

    private static func passkey(_ row: PostgresRow) throws -> Passkey {
        let (id, account, name, publicKey, algorithm, signCount, eligible, backedUp, transportsJSON, created, lastUsed) = try row.decode(
            (String, String, String, Data, Int64, Int64, Bool, Bool, String, Int64, Int64?).self
        )
        guard let transports = try? JSONDecoder().decode([String].self, from: Data(transportsJSON.utf8)) else {
            throw BulwarkError.internalError("a stored passkey is incomplete")
        }
        return Passkey(
            id: id, account: account, name: name, publicKey: Array(publicKey), algorithm: Int(algorithm),
            signCount: UInt32(clamping: signCount), backupEligible: eligible, backedUp: backedUp,
            transports: transports, createdAt: date(created), lastUsedAt: date(lastUsed)
        )
    }

    // MARK: Recovery codes

    public func replaceRecoveryCodes(account: String, codes: [RecoveryCodeRecord]) async throws {
        let logger = logger
        let key = account.key
        try await transaction { connection in
            // Serialise replacements of one account's codes, so two at once can't leave both sets.
            try await Self.lock(.recoveryCodes, key, on: connection, logger: logger)
            try await Self.writeRecoveryCodes(key: key, codes: codes, on: connection, logger: logger)
        }
    }

    /// Replaces an account's codes inside the caller's transaction (which holds the
    /// `recoveryCodes` lock of the account).
    static func writeRecoveryCodes(key: String, codes: [RecoveryCodeRecord], on connection: PostgresConnection, logger: Logger) async throws {
        do {
            try await connection.all("DELETE FROM recovery_codes WHERE account_key = \(key)", logger)
            for (position, code) in codes.enumerated() {
                try await connection.all("""
                    INSERT INTO recovery_codes (id, account_key, account, hash, position, used_at)
                    VALUES (\(code.id), \(key), \(code.account), \(code.hash), \(position), \(Self.seconds(code.usedAt)))
                    """, logger)
            }
        } catch let error where isConstraintViolation(error) {
            throw BulwarkError.conflict("a recovery code with this id exists already")
        }
    }

    public func unusedRecoveryCodes(account: String) async throws -> [RecoveryCodeRecord] {
        let rows = try await rows("""
            SELECT id, account, hash FROM recovery_codes WHERE account_key = \(account.key) AND used_at IS NULL ORDER BY position
            """)
        return try rows.map { row in
            let (id, account, hash) = try row.decode((String, String, String).self)
            return RecoveryCodeRecord(id: id, account: account, hash: hash)
        }
    }

    public func consumeRecoveryCode(id: String, at date: Date) async throws -> Bool {
        try await !rows("UPDATE recovery_codes SET used_at = \(Self.seconds(date)) WHERE id = \(id) AND used_at IS NULL RETURNING 1").isEmpty
    }

    // MARK: Sessions

    /// `seq` is renewed on every save, so that it orders sessions by their last save like SQLite's
    /// `rowid` after `INSERT OR REPLACE`.
    public func saveSession(_ session: SessionRecord) async throws {
        try await rows("""
            INSERT INTO sessions (id, account_key, account, state, created_at, last_seen_at, second_factor_at, passkey_at)
            VALUES (\(session.id), \(session.account.key), \(session.account), \(session.state.rawValue), \(Self.seconds(session.createdAt)),
                \(Self.seconds(session.lastSeenAt)), \(Self.seconds(session.secondFactorAt)), \(Self.seconds(session.passkeyAt)))
            ON CONFLICT (id) DO UPDATE SET account_key = excluded.account_key, account = excluded.account, state = excluded.state,
                created_at = excluded.created_at, last_seen_at = excluded.last_seen_at, second_factor_at = excluded.second_factor_at,
                passkey_at = excluded.passkey_at, seq = DEFAULT
            """)
    }

    public func session(id: String) async throws -> SessionRecord? {
        let rows = try await rows("""
            SELECT id, account, state, created_at, last_seen_at, second_factor_at, passkey_at FROM sessions WHERE id = \(id)
            """)
        guard let row = rows.first else { return nil }
        let (id, account, stateName, created, lastSeen, secondFactor, passkey) = try row.decode(
            (String, String, String, Int64, Int64, Int64?, Int64?).self
        )
        guard let state = SessionState(rawValue: stateName) else { throw BulwarkError.internalError("a stored session is incomplete") }
        return SessionRecord(
            id: id, account: account, state: state, createdAt: Self.date(created), lastSeenAt: Self.date(lastSeen),
            secondFactorAt: Self.date(secondFactor), passkeyAt: Self.date(passkey)
        )
    }

    public func deleteSession(id: String) async throws {
        try await rows("DELETE FROM sessions WHERE id = \(id)")
    }

    public func deleteSessions(account: String) async throws {
        try await rows("DELETE FROM sessions WHERE account_key = \(account.key)")
    }

    // MARK: WebAuthn challenges

    public func saveChallenge(_ challenge: ChallengeRecord) async throws {
        try await rows("""
            INSERT INTO challenges (id, purpose, bytes, account, expires_at)
            VALUES (\(challenge.id), \(challenge.purpose.rawValue), \(Data(challenge.bytes)), \(challenge.account), \(Self.seconds(challenge.expiresAt)))
            ON CONFLICT (id) DO UPDATE SET purpose = excluded.purpose, bytes = excluded.bytes, account = excluded.account,
                expires_at = excluded.expires_at
            """)
    }

    /// One DELETE … RETURNING: of concurrent takes (on any instance) exactly one gets the challenge.
    public func takeChallenge(id: String) async throws -> ChallengeRecord? {
        let rows = try await rows("DELETE FROM challenges WHERE id = \(id) RETURNING id, purpose, bytes, account, expires_at")
        guard let row = rows.first else { return nil }
        let (id, purposeName, bytes, account, expires) = try row.decode((String, String, Data, String?, Int64).self)
        guard let purpose = ChallengeRecord.Purpose(rawValue: purposeName) else {
            throw BulwarkError.internalError("a stored challenge is incomplete")
        }
        return ChallengeRecord(id: id, purpose: purpose, bytes: Array(bytes), account: account, expiresAt: Self.date(expires))
    }

    // MARK: Security log

    public func recordEvent(_ event: SecurityEvent) async throws {
        try await rows("""
            INSERT INTO security_events (account_key, account, kind, detail, ip, at)
            VALUES (\(event.account.key), \(event.account), \(event.kind.rawValue), \(event.detail), \(event.ip), \(Self.seconds(event.at)))
            """)
    }

    public func events(account: String, limit: Int) async throws -> [SecurityEvent] {
        guard limit > 0 else { return [] }
        let rows = try await rows("""
            SELECT account, kind, detail, ip, at FROM security_events WHERE account_key = \(account.key)
            ORDER BY at DESC, id DESC LIMIT \(Int64(limit))
            """)
        return try rows.map { row in
            let (account, kindName, detail, ip, at) = try row.decode((String, String, String, String?, Int64).self)
            guard let kind = SecurityEvent.Kind(rawValue: kindName) else { throw BulwarkError.internalError("a stored security event is incomplete") }
            return SecurityEvent(account: account, kind: kind, detail: detail, ip: ip, at: Self.date(at))
        }
    }

    // MARK: Throttling

    /// The insert and the count are one statement, so the count includes this failure and every
    /// failure committed before it, whichever instance recorded them.
    public func recordFailure(key: String, at date: Date, countingSince since: Date) async throws -> Int {
        let rows = try await rows("""
            WITH inserted AS (INSERT INTO throttle_failures (key, at) VALUES (\(key.key), \(Self.seconds(date))) RETURNING at)
            SELECT (SELECT COUNT(*) FROM throttle_failures WHERE key = \(key.key) AND at >= \(Self.seconds(since)))
                 + (SELECT COUNT(*) FROM inserted WHERE at >= \(Self.seconds(since)))
            """)
        return Int(try rows.first?.decode(Int64.self) ?? 0)
    }

    public func failures(key: String, since: Date) async throws -> Int {
        let rows = try await rows("SELECT COUNT(*) FROM throttle_failures WHERE key = \(key.key) AND at >= \(Self.seconds(since))")
        return Int(try rows.first?.decode(Int64.self) ?? 0)
    }

    // MARK: Housekeeping

    public func purgeExpired(now: Date, sessionsIdleSince: Date, sessionsCreatedSince: Date, failuresSince: Date) async throws -> Int {
        let logger = logger
        return try await transaction { connection in
            var removed = 0
            removed += try await connection.all("DELETE FROM challenges WHERE expires_at <= \(Self.seconds(now)) RETURNING 1", logger).count
            removed += try await connection.all("""
                DELETE FROM sessions WHERE last_seen_at < \(Self.seconds(sessionsIdleSince)) OR created_at < \(Self.seconds(sessionsCreatedSince))
                RETURNING 1
                """, logger).count
            removed += try await connection.all("DELETE FROM throttle_failures WHERE at < \(Self.seconds(failuresSince)) RETURNING 1", logger).count
            return removed
        }
    }
}

extension PostgresStore: SessionLimiting {
    public func trimSessions(account: String, keep: Int, sparing: String) async throws -> Int {
        let key = account.key
        return try await rows("""
            DELETE FROM sessions WHERE account_key = \(key) AND id NOT IN (
                SELECT id FROM sessions WHERE account_key = \(key)
                ORDER BY (id = \(sparing)) DESC, last_seen_at DESC, seq DESC LIMIT \(Int64(max(0, keep)))
            )
            RETURNING 1
            """).count
    }
}

// MARK: Advisory locks

extension PostgresStore {
    /// Namespaces of transaction-scoped advisory locks (the first key of `pg_advisory_xact_lock(int, int)`).
    enum LockSpace: Int32 {
        case migrations = 0x4257_0001
        case scopes = 0x4257_0002
        case staged = 0x4257_0003
        case recoveryCodes = 0x4257_0004
        case members = 0x4257_0005
        case invitations = 0x4257_0006
        case archives = 0x4257_0007
    }

    /// Takes a transaction-scoped advisory lock on `name` in `space`: held until the transaction
    /// ends, so check-then-insert sequences on the same name are serialised across instances.
    /// Different names may hash alike; that only serialises them needlessly.
    static func lock(_ space: LockSpace, _ name: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.all("SELECT pg_advisory_xact_lock(\(space.rawValue), hashtext(\(name)))", logger)
    }
}
