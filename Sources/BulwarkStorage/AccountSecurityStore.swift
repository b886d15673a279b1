import BulwarkCore
import Foundation

/// Second factors, sessions, challenges, the security log and throttling counters.
///
/// Everything that must be shared between server instances lives here, and every operation that
/// guards against replay is atomic in the store (not read-then-write in the caller).
public protocol AccountSecurityStore: Sendable {
    // MARK: TOTP
    /// The account's TOTP authenticator, confirmed or pending.
    func totp(account: String) async throws -> TOTPEnrolment?
    /// Stores a new pending enrolment, replacing any earlier one of the account.
    func saveTOTP(_ enrolment: TOTPEnrolment) async throws
    /// Marks the account's enrolment confirmed and records `step` as used; false if there is none.
    /// Only a pending enrolment can be confirmed: for a confirmed one (or a concurrent second
    /// confirmation) this returns false and changes nothing.
    func confirmTOTP(account: String, step: Int64) async throws -> Bool
    /// Records `step` as the last used one only if it is greater than the stored one. Returns false
    /// for a replay, so that of concurrent submissions of one code at most one wins.
    func advanceTOTPStep(account: String, to step: Int64) async throws -> Bool
    func deleteTOTP(account: String) async throws
    /// ``confirmTOTP(account:step:)`` and, in the same transaction, when the account has no
    /// passkey (the authenticator app becomes its first factor), its recovery codes replaced by
    /// `recoveryCodes`: no crash or failure can leave a first factor without its codes. Returns
    /// nil when there was nothing to confirm (nothing changed), else whether the codes were stored.
    func confirmTOTP(account: String, step: Int64, firstFactorRecoveryCodes recoveryCodes: [RecoveryCodeRecord]) async throws -> Bool?

    // MARK: Passkeys
    /// Adds a passkey; throws `.conflict` if the credential id is registered already.
    func addPasskey(_ passkey: Passkey) async throws
    /// ``addPasskey(_:)`` and, in the same transaction, when the account had neither a passkey nor a
    /// confirmed authenticator app (the passkey is its first factor), its recovery codes replaced
    /// by `recoveryCodes`. Returns whether the codes were stored.
    func addPasskey(_ passkey: Passkey, firstFactorRecoveryCodes recoveryCodes: [RecoveryCodeRecord]) async throws -> Bool
    /// The account's passkeys, oldest first.
    func passkeys(account: String) async throws -> [Passkey]
    func passkey(id: String) async throws -> Passkey?
    /// Records a successful use.
    func updatePasskeyUse(id: String, signCount: UInt32, backedUp: Bool, at date: Date) async throws
    /// Deletes the account's passkey; false if it has none with this id.
    func deletePasskey(id: String, account: String) async throws -> Bool

    // MARK: Recovery codes
    /// Replaces all of the account's recovery codes. Code ids are unique across accounts (`.conflict`).
    func replaceRecoveryCodes(account: String, codes: [RecoveryCodeRecord]) async throws
    /// The account's unused codes, in the order they were given.
    func unusedRecoveryCodes(account: String) async throws -> [RecoveryCodeRecord]
    /// Marks a code used; false if it was used already (so a code works once, even concurrently).
    func consumeRecoveryCode(id: String, at date: Date) async throws -> Bool

    // MARK: Sessions
    /// Stores a session, replacing the one with the same id (so it also updates state and times).
    func saveSession(_ session: SessionRecord) async throws
    func session(id: String) async throws -> SessionRecord?
    func deleteSession(id: String) async throws
    /// Deletes every session of an account (e.g. after a password change).
    func deleteSessions(account: String) async throws

    // MARK: WebAuthn challenges
    /// Stores a challenge, replacing one with the same id. Expiry is checked by the caller on `takeChallenge`.
    func saveChallenge(_ challenge: ChallengeRecord) async throws
    /// Returns and deletes the challenge in one step: a challenge can be taken once.
    func takeChallenge(id: String) async throws -> ChallengeRecord?

    // MARK: Security log
    func recordEvent(_ event: SecurityEvent) async throws
    /// Newest first.
    func events(account: String, limit: Int) async throws -> [SecurityEvent]

    // MARK: Throttling
    /// Records a failure under `key` (e.g. `totp:alice`, `password-ip:1.2.3.4`) and returns how many
    /// failures the key has at or after `since`, this one included. Keys compare case-insensitively.
    func recordFailure(key: String, at date: Date, countingSince since: Date) async throws -> Int
    /// Failures under `key` at or after `since`.
    func failures(key: String, since: Date) async throws -> Int

    // MARK: Housekeeping
    /// Deletes challenges that expired before `now`, sessions last seen before `sessionsIdleSince`
    /// or created before `sessionsCreatedSince`, and throttling failures older than `failuresSince`.
    /// Anyone can make such rows (failed sign-ins, username-less challenges), so they must not pile up.
    /// Returns how many rows went.
    func purgeExpired(now: Date, sessionsIdleSince: Date, sessionsCreatedSince: Date, failuresSince: Date) async throws -> Int
}
