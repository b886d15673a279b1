import BulwarkCore
import Foundation

/// The account-security state of a ``MemoryStore``. Every dictionary is keyed by lower-cased
/// account name where it is per account, so names compare case-insensitively as in SQLite.
struct MemorySecurityState: Sendable {
    var totpByAccount: [String: TOTPEnrolment] = [:]
    /// Passkeys by credential id, with an insertion number to keep listing order stable.
    var passkeysByID: [String: (sequence: Int, passkey: Passkey)] = [:]
    /// Recovery codes per account key, in the order they were given.
    var recoveryCodesByAccount: [String: [RecoveryCodeRecord]] = [:]
    var sessionsByID: [String: SessionRecord] = [:]
    var challengesByID: [String: ChallengeRecord] = [:]
    /// Every event, in insertion order.
    var events: [SecurityEvent] = []
    /// Failure times per lower-cased throttling key.
    var failuresByKey: [String: [Date]] = [:]
    var nextSequence = 0
}

extension MemoryStore: AccountSecurityStore {
    // MARK: TOTP

    public func totp(account: String) -> TOTPEnrolment? { security.totpByAccount[account.lowercased()] }

    public func saveTOTP(_ enrolment: TOTPEnrolment) { security.totpByAccount[enrolment.account.lowercased()] = enrolment }

    public func confirmTOTP(account: String, step: Int64) -> Bool {
        let key = account.lowercased()
        guard var enrolment = security.totpByAccount[key], !enrolment.confirmed else { return false }
        if let last = enrolment.lastUsedStep, last >= step { return false }
        enrolment.confirmed = true
        enrolment.lastUsedStep = step
        security.totpByAccount[key] = enrolment
        return true
    }

    public func advanceTOTPStep(account: String, to step: Int64) -> Bool {
        let key = account.lowercased()
        guard var enrolment = security.totpByAccount[key], enrolment.confirmed else { return false }
        if let last = enrolment.lastUsedStep, last >= step { return false }
        enrolment.lastUsedStep = step
        security.totpByAccount[key] = enrolment
        return true
    }

    public func deleteTOTP(account: String) { security.totpByAccount[account.lowercased()] = nil }

    public func confirmTOTP(account: String, step: Int64, firstFactorRecoveryCodes codes: [RecoveryCodeRecord]) throws -> Bool? {
        let before = security
        guard confirmTOTP(account: account, step: step) else { return nil }
        guard passkeys(account: account).isEmpty else { return false }
        do { try replaceRecoveryCodes(account: account, codes: codes) } catch {
            security = before  // all or nothing, as in a transaction
            throw error
        }
        return true
    }

    // MARK: Passkeys

    public func addPasskey(_ passkey: Passkey) throws {
        guard security.passkeysByID[passkey.id] == nil else {
            throw BulwarkError.conflict("this passkey is registered already")
        }
        security.passkeysByID[passkey.id] = (security.nextSequence, passkey)
        security.nextSequence += 1
    }

    public func addPasskey(_ passkey: Passkey, firstFactorRecoveryCodes codes: [RecoveryCodeRecord]) throws -> Bool {
        let first = passkeys(account: passkey.account).isEmpty && totp(account: passkey.account)?.confirmed != true
        let before = security
        try addPasskey(passkey)
        guard first else { return false }
        do { try replaceRecoveryCodes(account: passkey.account, codes: codes) } catch {
            security = before
            throw error
        }
        return true
    }

    public func passkeys(account: String) -> [Passkey] {
        let key = account.lowercased()
        return security.passkeysByID.values
            .filter { $0.passkey.account.lowercased() == key }
            .sorted { ($0.passkey.createdAt, $0.sequence) < ($1.passkey.createdAt, $1.sequence) }
            .map(\.passkey)
    }

    public func passkey(id: String) -> Passkey? { security.passkeysByID[id]?.passkey }

    public func updatePasskeyUse(id: String, signCount: UInt32, backedUp: Bool, at date: Date) {
        guard var entry = security.passkeysByID[id] else { return }
        entry.passkey.signCount = signCount
        entry.passkey.backedUp = backedUp
        entry.passkey.lastUsedAt = date
        security.passkeysByID[id] = entry
    }

    public func deletePasskey(id: String, account: String) -> Bool {
        guard let entry = security.passkeysByID[id], entry.passkey.account.lowercased() == account.lowercased() else { return false }
        security.passkeysByID[id] = nil
        return true
    }

    // MARK: Recovery codes

    public func replaceRecoveryCodes(account: String, codes: [RecoveryCodeRecord]) throws {
        let key = account.lowercased()
        // Ids are unique across accounts, as in SQLite (where `id` is the primary key).
        var ids = Set<String>()
        for (otherKey, others) in security.recoveryCodesByAccount where otherKey != key {
            ids.formUnion(others.map(\.id))
        }
        for code in codes {
            guard ids.insert(code.id).inserted else { throw BulwarkError.conflict("a recovery code with this id exists already") }
        }
        security.recoveryCodesByAccount[key] = codes.isEmpty ? nil : codes
    }

    public func unusedRecoveryCodes(account: String) -> [RecoveryCodeRecord] {
        (security.recoveryCodesByAccount[account.lowercased()] ?? []).filter { $0.usedAt == nil }
    }

    public func consumeRecoveryCode(id: String, at date: Date) -> Bool {
        for (key, codes) in security.recoveryCodesByAccount {
            guard let index = codes.firstIndex(where: { $0.id == id }) else { continue }
            guard codes[index].usedAt == nil else { return false }
            security.recoveryCodesByAccount[key]?[index].usedAt = date
            return true
        }
        return false
    }

    // MARK: Sessions

    public func saveSession(_ session: SessionRecord) { security.sessionsByID[session.id] = session }

    public func session(id: String) -> SessionRecord? { security.sessionsByID[id] }

    public func deleteSession(id: String) { security.sessionsByID[id] = nil }

    public func deleteSessions(account: String) {
        let key = account.lowercased()
        security.sessionsByID = security.sessionsByID.filter { $0.value.account.lowercased() != key }
    }

    // MARK: WebAuthn challenges

    public func saveChallenge(_ challenge: ChallengeRecord) { security.challengesByID[challenge.id] = challenge }

    public func takeChallenge(id: String) -> ChallengeRecord? { security.challengesByID.removeValue(forKey: id) }

    // MARK: Security log

    public func recordEvent(_ event: SecurityEvent) { security.events.append(event) }

    public func events(account: String, limit: Int) -> [SecurityEvent] {
        guard limit > 0 else { return [] }
        let key = account.lowercased()
        // Newest first; of events at the same time, the one recorded last first.
        let matching = security.events.enumerated().filter { $0.element.account.lowercased() == key }
        let ordered = matching.sorted { ($0.element.at, $0.offset) > ($1.element.at, $1.offset) }
        return ordered.prefix(limit).map(\.element)
    }

    // MARK: Throttling

    public func recordFailure(key: String, at date: Date, countingSince since: Date) -> Int {
        let k = key.lowercased()
        security.failuresByKey[k, default: []].append(date)
        return failures(key: k, since: since)
    }

    public func failures(key: String, since: Date) -> Int {
        (security.failuresByKey[key.lowercased()] ?? []).count { $0 >= since }
    }
}
