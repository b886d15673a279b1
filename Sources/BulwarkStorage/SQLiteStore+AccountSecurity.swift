import BulwarkCore
import Foundation

/// Account security in SQLite (tables of migration 3). Per-account rows carry the lower-cased
/// name as `account_key` and the name as given as `account`. Every replay guard is one SQL
/// statement or one transaction, so it holds across connections and processes too.
extension SQLiteStore: AccountSecurityStore {
    // MARK: TOTP

    public func totp(account: String) throws -> TOTPEnrolment? {
        let rows = try connection.locked {
            try connection.query(
                "SELECT account, sealed_secret, confirmed, last_used_step, created_at FROM totp_enrolments WHERE account_key = ?",
                [.text(account.lowercased())]
            )
        }
        guard let r = rows.first else { return nil }
        guard let name = r[0].string, let secret = r[1].bytes, let confirmed = r[2].int, let created = r[4].date else {
            throw BulwarkError.internalError("a stored TOTP enrolment is incomplete")
        }
        return TOTPEnrolment(account: name, sealedSecret: secret, confirmed: confirmed != 0, lastUsedStep: r[3].int, createdAt: created)
    }

    public func saveTOTP(_ enrolment: TOTPEnrolment) throws {
        try connection.transaction {
            try connection.query("""
                INSERT OR REPLACE INTO totp_enrolments (account_key, account, sealed_secret, confirmed, last_used_step, created_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """, [
                    .text(enrolment.account.lowercased()), .text(enrolment.account), .blob(enrolment.sealedSecret),
                    .integer(enrolment.confirmed ? 1 : 0), enrolment.lastUsedStep.map { .integer($0) } ?? .null,
                    .date(enrolment.createdAt),
                ])
        }
    }

    public func confirmTOTP(account: String, step: Int64) throws -> Bool {
        try connection.locked { try confirmPendingTOTP(account: account, step: step) }
    }

    /// The conditional UPDATE of ``confirmTOTP(account:step:)``; the caller holds the connection.
    private func confirmPendingTOTP(account: String, step: Int64) throws -> Bool {
        try connection.query("""
            UPDATE totp_enrolments SET confirmed = 1, last_used_step = ?
            WHERE account_key = ? AND confirmed = 0 AND (last_used_step IS NULL OR last_used_step < ?)
            """, [.integer(step), .text(account.lowercased()), .integer(step)])
        return connection.changes == 1
    }

    public func confirmTOTP(account: String, step: Int64, firstFactorRecoveryCodes codes: [RecoveryCodeRecord]) throws -> Bool? {
        try connection.transaction { () throws -> Bool? in
            guard try confirmPendingTOTP(account: account, step: step) else { return nil }
            let passkeys = try connection.query("SELECT 1 FROM passkeys WHERE account_key = ? LIMIT 1", [.text(account.lowercased())])
            guard passkeys.isEmpty else { return false }
            try writeRecoveryCodes(account: account, codes: codes)
            return true
        }
    }

    public func advanceTOTPStep(account: String, to step: Int64) throws -> Bool {
        try connection.locked {
            try connection.query("""
                UPDATE totp_enrolments SET last_used_step = ?
                WHERE account_key = ? AND confirmed = 1 AND (last_used_step IS NULL OR last_used_step < ?)
                """, [.integer(step), .text(account.lowercased()), .integer(step)])
            return connection.changes == 1
        }
    }

    public func deleteTOTP(account: String) throws {
        try connection.locked {
            _ = try connection.query("DELETE FROM totp_enrolments WHERE account_key = ?", [.text(account.lowercased())])
        }
    }

    // MARK: Passkeys

    public func addPasskey(_ passkey: Passkey) throws {
        try connection.transaction { try insertPasskey(passkey) }
    }

    public func addPasskey(_ passkey: Passkey, firstFactorRecoveryCodes codes: [RecoveryCodeRecord]) throws -> Bool {
        try connection.transaction {
            let key = SQLiteValue.text(passkey.account.lowercased())
            let factors = try connection.query("""
                SELECT 1 FROM passkeys WHERE account_key = ? UNION ALL SELECT 1 FROM totp_enrolments WHERE account_key = ? AND confirmed = 1
                LIMIT 1
                """, [key, key])
            try insertPasskey(passkey)
            guard factors.isEmpty else { return false }
            try writeRecoveryCodes(account: passkey.account, codes: codes)
            return true
        }
    }

    /// Inserts a passkey; the caller holds a transaction.
    private func insertPasskey(_ passkey: Passkey) throws {
        let transports = String(decoding: try JSONEncoder().encode(passkey.transports), as: UTF8.self)
        do {
            try connection.query("""
                INSERT INTO passkeys (id, account_key, account, name, public_key, algorithm, sign_count, backup_eligible,
                    backed_up, transports, created_at, last_used_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [
                    .text(passkey.id), .text(passkey.account.lowercased()), .text(passkey.account), .text(passkey.name),
                    .blob(passkey.publicKey), .integer(Int64(passkey.algorithm)), .integer(Int64(passkey.signCount)),
                    .integer(passkey.backupEligible ? 1 : 0), .integer(passkey.backedUp ? 1 : 0), .text(transports),
                    .date(passkey.createdAt), .date(passkey.lastUsedAt),
                ])
        } catch is SQLiteConstraintViolation {
            throw BulwarkError.conflict("this passkey is registered already")
        }
    }

    private static let passkeyColumns = """
        SELECT id, account, name, public_key, algorithm, sign_count, backup_eligible, backed_up, transports, created_at, last_used_at
        FROM passkeys
        """

    public func passkeys(account: String) throws -> [Passkey] {
        let rows = try connection.locked {
            try connection.query(Self.passkeyColumns + " WHERE account_key = ? ORDER BY created_at, rowid", [.text(account.lowercased())])
        }
        return try rows.map(Self.passkey)
    }

    public func passkey(id: String) throws -> Passkey? {
        let rows = try connection.locked { try connection.query(Self.passkeyColumns + " WHERE id = ?", [.text(id)]) }
        return try rows.first.map(Self.passkey)
    }

    public func updatePasskeyUse(id: String, signCount: UInt32, backedUp: Bool, at date: Date) throws {
        try connection.locked {
            _ = try connection.query(
                "UPDATE passkeys SET sign_count = ?, backed_up = ?, last_used_at = ? WHERE id = ?",
                [.integer(Int64(signCount)), .integer(backedUp ? 1 : 0), .date(date), .text(id)]
            )
        }
    }

    public func deletePasskey(id: String, account: String) throws -> Bool {
        try connection.locked {
            try connection.query("DELETE FROM passkeys WHERE id = ? AND account_key = ?", [.text(id), .text(account.lowercased())])
            return connection.changes == 1
        }
    }

    private static func passkey(_ r: [SQLiteValue]) throws -> Passkey {
        guard let id = r[0].string, let account = r[1].string, let name = r[2].string, let publicKey = r[3].bytes,
            let algorithm = r[4].int, let signCount = r[5].int, let eligible = r[6].int, let backedUp = r[7].int,
            let transportsJSON = r[8].string, let created = r[9].date,
            let transports = try? JSONDecoder().decode([String].self, from: Data(transportsJSON.utf8))
        else { throw BulwarkError.internalError("a stored passkey is incomplete") }
        return Passkey(
            id: id, account: account, name: name, publicKey: publicKey, algorithm: Int(algorithm),
            signCount: UInt32(clamping: signCount), backupEligible: eligible != 0, backedUp: backedUp != 0,
            transports: transports, createdAt: created, lastUsedAt: r[10].date
        )
    }

    // MARK: Recovery codes

    public func replaceRecoveryCodes(account: String, codes: [RecoveryCodeRecord]) throws {
        try connection.transaction { try writeRecoveryCodes(account: account, codes: codes) }
    }

    /// Replaces the account's codes; the caller holds a transaction.
    private func writeRecoveryCodes(account: String, codes: [RecoveryCodeRecord]) throws {
        let key = SQLiteValue.text(account.lowercased())
        do {
            try connection.query("DELETE FROM recovery_codes WHERE account_key = ?", [key])
            for (position, code) in codes.enumerated() {
                try connection.query(
                    "INSERT INTO recovery_codes (id, account_key, account, hash, position, used_at) VALUES (?, ?, ?, ?, ?, ?)",
                    [.text(code.id), key, .text(code.account), .text(code.hash), .integer(Int64(position)), .date(code.usedAt)]
                )
            }
        } catch is SQLiteConstraintViolation {
            throw BulwarkError.conflict("a recovery code with this id exists already")
        }
    }

    public func unusedRecoveryCodes(account: String) throws -> [RecoveryCodeRecord] {
        let rows = try connection.locked {
            try connection.query(
                "SELECT id, account, hash FROM recovery_codes WHERE account_key = ? AND used_at IS NULL ORDER BY position",
                [.text(account.lowercased())]
            )
        }
        return try rows.map { r in
            guard let id = r[0].string, let account = r[1].string, let hash = r[2].string else {
                throw BulwarkError.internalError("a stored recovery code is incomplete")
            }
            return RecoveryCodeRecord(id: id, account: account, hash: hash)
        }
    }

    public func consumeRecoveryCode(id: String, at date: Date) throws -> Bool {
        try connection.locked {
            try connection.query("UPDATE recovery_codes SET used_at = ? WHERE id = ? AND used_at IS NULL", [.date(date), .text(id)])
            return connection.changes == 1
        }
    }

    // MARK: Sessions

    public func saveSession(_ session: SessionRecord) throws {
        try connection.transaction {
            try connection.query("""
                INSERT OR REPLACE INTO sessions (id, account_key, account, state, created_at, last_seen_at, second_factor_at, passkey_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, [
                    .text(session.id), .text(session.account.lowercased()), .text(session.account), .text(session.state.rawValue),
                    .date(session.createdAt), .date(session.lastSeenAt), .date(session.secondFactorAt), .date(session.passkeyAt),
                ])
        }
    }

    public func session(id: String) throws -> SessionRecord? {
        let rows = try connection.locked {
            try connection.query(
                "SELECT id, account, state, created_at, last_seen_at, second_factor_at, passkey_at FROM sessions WHERE id = ?", [.text(id)]
            )
        }
        guard let r = rows.first else { return nil }
        guard let id = r[0].string, let account = r[1].string, let state = r[2].string.flatMap(SessionState.init(rawValue:)),
            let created = r[3].date, let lastSeen = r[4].date
        else { throw BulwarkError.internalError("a stored session is incomplete") }
        return SessionRecord(
            id: id, account: account, state: state, createdAt: created, lastSeenAt: lastSeen, secondFactorAt: r[5].date,
            passkeyAt: r[6].date
        )
    }

    public func deleteSession(id: String) throws {
        try connection.locked { _ = try connection.query("DELETE FROM sessions WHERE id = ?", [.text(id)]) }
    }

    public func deleteSessions(account: String) throws {
        try connection.locked { _ = try connection.query("DELETE FROM sessions WHERE account_key = ?", [.text(account.lowercased())]) }
    }

    // MARK: WebAuthn challenges

    public func saveChallenge(_ challenge: ChallengeRecord) throws {
        try connection.transaction {
            try connection.query(
                "INSERT OR REPLACE INTO challenges (id, purpose, bytes, account, expires_at) VALUES (?, ?, ?, ?, ?)",
                [.text(challenge.id), .text(challenge.purpose.rawValue), .blob(challenge.bytes), .optionalText(challenge.account),
                 .date(challenge.expiresAt)]
            )
        }
    }

    public func takeChallenge(id: String) throws -> ChallengeRecord? {
        let rows = try connection.transaction {
            let rows = try connection.query("SELECT id, purpose, bytes, account, expires_at FROM challenges WHERE id = ?", [.text(id)])
            if !rows.isEmpty { try connection.query("DELETE FROM challenges WHERE id = ?", [.text(id)]) }
            return rows
        }
        guard let r = rows.first else { return nil }
        guard let id = r[0].string, let purpose = r[1].string.flatMap(ChallengeRecord.Purpose.init(rawValue:)), let bytes = r[2].bytes,
            let expires = r[4].date
        else { throw BulwarkError.internalError("a stored challenge is incomplete") }
        return ChallengeRecord(id: id, purpose: purpose, bytes: bytes, account: r[3].string, expiresAt: expires)
    }

    // MARK: Security log

    public func recordEvent(_ event: SecurityEvent) throws {
        try connection.transaction {
            try connection.query(
                "INSERT INTO security_events (account_key, account, kind, detail, ip, at) VALUES (?, ?, ?, ?, ?, ?)",
                [.text(event.account.lowercased()), .text(event.account), .text(event.kind.rawValue), .text(event.detail),
                 .optionalText(event.ip), .date(event.at)]
            )
        }
    }

    public func events(account: String, limit: Int) throws -> [SecurityEvent] {
        guard limit > 0 else { return [] }
        let rows = try connection.locked {
            try connection.query(
                "SELECT account, kind, detail, ip, at FROM security_events WHERE account_key = ? ORDER BY at DESC, id DESC LIMIT ?",
                [.text(account.lowercased()), .integer(Int64(limit))]
            )
        }
        return try rows.map { r in
            guard let account = r[0].string, let kind = r[1].string.flatMap(SecurityEvent.Kind.init(rawValue:)),
                let detail = r[2].string, let at = r[4].date
            else { throw BulwarkError.internalError("a stored security event is incomplete") }
            return SecurityEvent(account: account, kind: kind, detail: detail, ip: r[3].string, at: at)
        }
    }

    // MARK: Throttling

    public func recordFailure(key: String, at date: Date, countingSince since: Date) throws -> Int {
        let k = SQLiteValue.text(key.lowercased())
        return try connection.transaction {
            try connection.query("INSERT INTO throttle_failures (key, at) VALUES (?, ?)", [k, .date(date)])
            let rows = try connection.query("SELECT COUNT(*) FROM throttle_failures WHERE key = ? AND at >= ?", [k, .date(since)])
            return Int(rows.first?.first?.int ?? 0)
        }
    }

    public func failures(key: String, since: Date) throws -> Int {
        let rows = try connection.locked {
            try connection.query(
                "SELECT COUNT(*) FROM throttle_failures WHERE key = ? AND at >= ?", [.text(key.lowercased()), .date(since)]
            )
        }
        return Int(rows.first?.first?.int ?? 0)
    }
}
