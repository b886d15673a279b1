import BulwarkCore
import BulwarkStorage
import Foundation
import Testing

/// ``AccountSecurityStore`` behaviour, on every backend. Dates are whole seconds (SQLite stores seconds).
@Suite struct AccountSecurityStoreConformanceTests {
    let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    // MARK: TOTP

    @Test(arguments: Backend.allCases)
    func aPendingTOTPEnrolmentIsConfirmedOnce(backend: Backend) async throws {
        let store = try backend.makeStorage().security
        #expect(try await store.totp(account: "alice") == nil)
        #expect(try await !store.confirmTOTP(account: "alice", step: 10))

        let pending = TOTPEnrolment(account: "Alice", sealedSecret: [1, 2, 3, 4], confirmed: false, lastUsedStep: nil, createdAt: t0)
        try await store.saveTOTP(pending)
        #expect(try await store.totp(account: "ALICE") == pending)
        // A pending enrolment does not accept codes.
        #expect(try await !store.advanceTOTPStep(account: "alice", to: 100))

        #expect(try await store.confirmTOTP(account: "alice", step: 100))
        let confirmed = try #require(try await store.totp(account: "alice"))
        #expect(confirmed.confirmed)
        #expect(confirmed.lastUsedStep == 100)
        #expect(confirmed.sealedSecret == [1, 2, 3, 4])
        // Confirming again (a replayed confirmation) is refused and changes nothing.
        #expect(try await !store.confirmTOTP(account: "alice", step: 50))
        #expect(try await store.totp(account: "alice")?.lastUsedStep == 100)
        #expect(try await !store.confirmTOTP(account: "bob", step: 100))

        // A new enrolment replaces the old one; deletion removes it.
        let replacement = TOTPEnrolment(account: "alice", sealedSecret: [9], confirmed: false, lastUsedStep: nil, createdAt: t0 + 60)
        try await store.saveTOTP(replacement)
        #expect(try await store.totp(account: "alice") == replacement)
        try await store.deleteTOTP(account: "ALICE")
        #expect(try await store.totp(account: "alice") == nil)
        #expect(try await !store.advanceTOTPStep(account: "alice", to: 1_000))
    }

    @Test(arguments: Backend.allCases)
    func onlyAGreaterTOTPStepAdvances(backend: Backend) async throws {
        let store = try backend.makeStorage().security
        try await store.saveTOTP(TOTPEnrolment(account: "alice", sealedSecret: [1], confirmed: false, lastUsedStep: nil, createdAt: t0))
        #expect(try await store.confirmTOTP(account: "alice", step: 100))
        #expect(try await !store.advanceTOTPStep(account: "alice", to: 100))
        #expect(try await !store.advanceTOTPStep(account: "alice", to: 99))
        #expect(try await store.advanceTOTPStep(account: "Alice", to: 101))
        #expect(try await !store.advanceTOTPStep(account: "alice", to: 101))
        #expect(try await store.advanceTOTPStep(account: "alice", to: 105))
        #expect(try await !store.advanceTOTPStep(account: "alice", to: 103))
        #expect(try await store.totp(account: "alice")?.lastUsedStep == 105)
        #expect(try await !store.advanceTOTPStep(account: "bob", to: 1_000))
    }

    @Test(arguments: Backend.allCases)
    func ofConcurrentSubmissionsOfOneTOTPStepExactlyOneWins(backend: Backend) async throws {
        let store = try backend.makeStorage().security
        try await store.saveTOTP(TOTPEnrolment(account: "alice", sealedSecret: [1], confirmed: false, lastUsedStep: nil, createdAt: t0))
        #expect(try await store.confirmTOTP(account: "alice", step: 100))
        let results = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 { group.addTask { (try? await store.advanceTOTPStep(account: "alice", to: 200)) ?? false } }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 20)
        #expect(results.filter { $0 }.count == 1)
        #expect(try await store.totp(account: "alice")?.lastUsedStep == 200)
    }

    // MARK: Passkeys

    func makePasskey(_ id: String, account: String, created: Date, transports: [String] = ["usb", "nfc"]) -> Passkey {
        Passkey(
            id: id, account: account, name: "key \(id)", publicKey: Array(id.utf8) + [0, 255], algorithm: -7, signCount: 0,
            backupEligible: true, backedUp: false, transports: transports, createdAt: created
        )
    }

    @Test(arguments: Backend.allCases)
    func passkeysAreAddedListedUsedAndDeletedByTheirOwner(backend: Backend) async throws {
        let store = try backend.makeStorage().security
        let first = makePasskey("cred-A", account: "Alice", created: t0)
        let second = makePasskey("cred-b", account: "alice", created: t0 + 10, transports: [])
        let bobs = makePasskey("cred-C", account: "bob", created: t0 + 5)
        try await store.addPasskey(second)
        try await store.addPasskey(first)
        try await store.addPasskey(bobs)

        do {
            try await store.addPasskey(makePasskey("cred-A", account: "bob", created: t0 + 20))
            Issue.record("expected a conflict")
        } catch let error as BulwarkError {
            #expect(error.kind == .conflict)
        }

        #expect(try await store.passkeys(account: "ALICE") == [first, second])
        #expect(try await store.passkeys(account: "bob") == [bobs])
        #expect(try await store.passkeys(account: "carol").isEmpty)
        #expect(try await store.passkey(id: "cred-b") == second)
        // Credential ids are case-sensitive (base64url).
        #expect(try await store.passkey(id: "cred-a") == nil)

        try await store.updatePasskeyUse(id: "cred-A", signCount: 7, backedUp: true, at: t0 + 100)
        let used = try #require(try await store.passkey(id: "cred-A"))
        #expect(used.signCount == 7)
        #expect(used.backedUp)
        #expect(used.lastUsedAt == t0 + 100)
        #expect(used.publicKey == first.publicKey)
        #expect(used.transports == ["usb", "nfc"])

        #expect(try await !store.deletePasskey(id: "cred-A", account: "bob"))
        #expect(try await store.passkey(id: "cred-A") != nil)
        #expect(try await store.deletePasskey(id: "cred-A", account: "ALICE"))
        #expect(try await !store.deletePasskey(id: "cred-A", account: "alice"))
        #expect(try await store.passkey(id: "cred-A") == nil)
        #expect(try await store.passkeys(account: "alice") == [second])
        #expect(try await store.passkeys(account: "bob") == [bobs])
    }

    // MARK: Recovery codes

    func makeCodes(_ prefix: String, account: String, count: Int = 3) -> [RecoveryCodeRecord] {
        (0..<count).map { RecoveryCodeRecord(id: "\(prefix)\($0)", account: account, hash: "hash-\(prefix)\($0)") }
    }

    @Test(arguments: Backend.allCases)
    func recoveryCodesAreReplacedAndWorkOnce(backend: Backend) async throws {
        let store = try backend.makeStorage().security
        let codes = makeCodes("a", account: "alice")
        try await store.replaceRecoveryCodes(account: "alice", codes: codes)
        try await store.replaceRecoveryCodes(account: "bob", codes: makeCodes("b", account: "bob"))
        #expect(try await store.unusedRecoveryCodes(account: "Alice") == codes)

        #expect(try await store.consumeRecoveryCode(id: "a1", at: t0))
        #expect(try await !store.consumeRecoveryCode(id: "a1", at: t0 + 1))
        #expect(try await !store.consumeRecoveryCode(id: "nope", at: t0))
        #expect(try await store.unusedRecoveryCodes(account: "alice") == [codes[0], codes[2]])
        #expect(try await store.unusedRecoveryCodes(account: "bob").count == 3)

        let fresh = makeCodes("n", account: "alice", count: 2)
        try await store.replaceRecoveryCodes(account: "ALICE", codes: fresh)
        #expect(try await store.unusedRecoveryCodes(account: "alice") == fresh)
        #expect(try await !store.consumeRecoveryCode(id: "a0", at: t0))
        try await store.replaceRecoveryCodes(account: "alice", codes: [])
        #expect(try await store.unusedRecoveryCodes(account: "alice").isEmpty)
        #expect(try await store.unusedRecoveryCodes(account: "bob").count == 3)
    }

    // MARK: A first factor and its recovery codes, all or nothing

    // Regression (found by `scripts/crash-test.sh --sign-in`): the first factor and its recovery
    // codes were two transactions, so a `kill -9` between them left an account with an active
    // passkey or authenticator app and no recovery codes.

    @Test(arguments: Backend.allCases)
    func confirmingAFirstAuthenticatorStoresItsRecoveryCodesInTheSameTransaction(backend: Backend) async throws {
        let store = try backend.makeStorage().security
        let codes = makeCodes("a", account: "alice", count: 10)
        #expect(try await store.confirmTOTP(account: "alice", step: 100, firstFactorRecoveryCodes: codes) == nil)
        #expect(try await store.unusedRecoveryCodes(account: "alice").isEmpty)

        try await store.saveTOTP(TOTPEnrolment(account: "Alice", sealedSecret: [1], confirmed: false, lastUsedStep: nil, createdAt: t0))
        // A failure while storing the codes (here: a code id another account holds) leaves the
        // enrolment pending and no codes, as a crash there would.
        try await store.replaceRecoveryCodes(account: "bob", codes: makeCodes("b", account: "bob"))
        let clashing = makeCodes("x", account: "alice", count: 9) + [RecoveryCodeRecord(id: "b1", account: "alice", hash: "h")]
        await #expect(throws: BulwarkError.self) {
            try await store.confirmTOTP(account: "alice", step: 100, firstFactorRecoveryCodes: clashing)
        }
        #expect(try await store.totp(account: "alice")?.confirmed == false)
        #expect(try await store.unusedRecoveryCodes(account: "alice").isEmpty)

        #expect(try await store.confirmTOTP(account: "ALICE", step: 100, firstFactorRecoveryCodes: codes) == true)
        #expect(try await store.totp(account: "alice")?.confirmed == true)
        #expect(try await store.totp(account: "alice")?.lastUsedStep == 100)
        #expect(try await store.unusedRecoveryCodes(account: "alice") == codes)
        // Confirmed already: nothing changes.
        #expect(try await store.confirmTOTP(account: "alice", step: 200, firstFactorRecoveryCodes: makeCodes("n", account: "alice")) == nil)
        #expect(try await store.unusedRecoveryCodes(account: "alice") == codes)

        // Not the first factor (the account has a passkey): confirmed, codes left alone.
        try await store.addPasskey(makePasskey("cred-C", account: "carol", created: t0))
        try await store.replaceRecoveryCodes(account: "carol", codes: makeCodes("c", account: "carol"))
        try await store.saveTOTP(TOTPEnrolment(account: "carol", sealedSecret: [2], confirmed: false, lastUsedStep: nil, createdAt: t0))
        #expect(try await store.confirmTOTP(account: "carol", step: 7, firstFactorRecoveryCodes: makeCodes("n", account: "carol")) == false)
        #expect(try await store.totp(account: "carol")?.confirmed == true)
        #expect(try await store.unusedRecoveryCodes(account: "carol") == makeCodes("c", account: "carol"))
    }

    @Test(arguments: Backend.allCases)
    func addingAFirstPasskeyStoresItsRecoveryCodesInTheSameTransaction(backend: Backend) async throws {
        let store = try backend.makeStorage().security
        try await store.replaceRecoveryCodes(account: "bob", codes: makeCodes("b", account: "bob"))
        // A failure while storing the codes leaves no passkey and no codes.
        let clashing = makeCodes("x", account: "alice", count: 9) + [RecoveryCodeRecord(id: "b0", account: "alice", hash: "h")]
        await #expect(throws: BulwarkError.self) {
            try await store.addPasskey(self.makePasskey("cred-A", account: "Alice", created: self.t0), firstFactorRecoveryCodes: clashing)
        }
        #expect(try await store.passkeys(account: "alice").isEmpty)
        #expect(try await store.unusedRecoveryCodes(account: "alice").isEmpty)

        let codes = makeCodes("a", account: "alice", count: 10)
        #expect(try await store.addPasskey(makePasskey("cred-A", account: "Alice", created: t0), firstFactorRecoveryCodes: codes))
        #expect(try await store.passkeys(account: "alice").map(\.id) == ["cred-A"])
        #expect(try await store.unusedRecoveryCodes(account: "alice") == codes)
        // A second passkey is not a first factor: the codes stay.
        #expect(try await !store.addPasskey(makePasskey("cred-A2", account: "alice", created: t0 + 1), firstFactorRecoveryCodes: makeCodes("n", account: "alice")))
        #expect(try await store.unusedRecoveryCodes(account: "alice") == codes)
        #expect(try await store.passkeys(account: "alice").count == 2)
        // A registered credential id is a conflict, and changes nothing.
        await #expect(throws: BulwarkError.self) {
            try await store.addPasskey(self.makePasskey("cred-A", account: "dave", created: self.t0), firstFactorRecoveryCodes: self.makeCodes("d", account: "dave"))
        }
        #expect(try await store.unusedRecoveryCodes(account: "dave").isEmpty)

        // Nor is a passkey of an account with a confirmed authenticator app.
        try await store.saveTOTP(TOTPEnrolment(account: "carol", sealedSecret: [2], confirmed: false, lastUsedStep: nil, createdAt: t0))
        #expect(try await store.confirmTOTP(account: "carol", step: 1))
        try await store.replaceRecoveryCodes(account: "carol", codes: makeCodes("c", account: "carol"))
        #expect(try await !store.addPasskey(makePasskey("cred-C", account: "carol", created: t0), firstFactorRecoveryCodes: makeCodes("n", account: "carol")))
        #expect(try await store.unusedRecoveryCodes(account: "carol") == makeCodes("c", account: "carol"))
    }

    @Test(arguments: Backend.allCases)
    func ofConcurrentUsesOfOneRecoveryCodeExactlyOneSucceeds(backend: Backend) async throws {
        let store = try backend.makeStorage().security
        try await store.replaceRecoveryCodes(account: "alice", codes: makeCodes("a", account: "alice"))
        let date = t0
        let results = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 { group.addTask { (try? await store.consumeRecoveryCode(id: "a2", at: date)) ?? false } }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 20)
        #expect(results.filter { $0 }.count == 1)
        #expect(try await store.unusedRecoveryCodes(account: "alice").map(\.id) == ["a0", "a1"])
    }

    // MARK: Sessions

    @Test(arguments: Backend.allCases)
    func sessionsAreSavedFoundAndDeleted(backend: Backend) async throws {
        let store = try backend.makeStorage().security
        let s1 = SessionRecord(id: "s1", account: "Alice", state: .secondFactorRequired, createdAt: t0, lastSeenAt: t0, secondFactorAt: nil)
        let s2 = SessionRecord(id: "s2", account: "alice", state: .enrolmentRequired, createdAt: t0, lastSeenAt: t0 + 1, secondFactorAt: nil)
        let s3 = SessionRecord(id: "s3", account: "bob", state: .authenticated, createdAt: t0, lastSeenAt: t0, secondFactorAt: t0)
        for s in [s1, s2, s3] { try await store.saveSession(s) }
        #expect(try await store.session(id: "s1") == s1)
        #expect(try await store.session(id: "s3") == s3)
        #expect(try await store.session(id: "missing") == nil)

        var upgraded = s1
        upgraded.state = .authenticated
        upgraded.secondFactorAt = t0 + 30
        upgraded.lastSeenAt = t0 + 30
        try await store.saveSession(upgraded)
        #expect(try await store.session(id: "s1") == upgraded)

        try await store.deleteSession(id: "s2")
        #expect(try await store.session(id: "s2") == nil)
        try await store.saveSession(s2)
        try await store.deleteSessions(account: "ALICE")
        #expect(try await store.session(id: "s1") == nil)
        #expect(try await store.session(id: "s2") == nil)
        #expect(try await store.session(id: "s3") == s3)
    }

    // MARK: Challenges

    @Test(arguments: Backend.allCases)
    func aChallengeCanBeTakenOnce(backend: Backend) async throws {
        let store = try backend.makeStorage().security
        let registration = ChallengeRecord(id: "c1", purpose: .registration, bytes: Array(0..<32), account: "alice", expiresAt: t0 + 300)
        let signIn = ChallengeRecord(id: "c2", purpose: .authentication, bytes: [7, 7, 7], account: nil, expiresAt: t0 + 60)
        try await store.saveChallenge(registration)
        try await store.saveChallenge(signIn)
        #expect(try await store.takeChallenge(id: "c1") == registration)
        #expect(try await store.takeChallenge(id: "c1") == nil)
        #expect(try await store.takeChallenge(id: "c2") == signIn)
        #expect(try await store.takeChallenge(id: "c2") == nil)
        #expect(try await store.takeChallenge(id: "never") == nil)
    }

    @Test(arguments: Backend.allCases)
    func ofConcurrentTakesOfOneChallengeExactlyOneGetsIt(backend: Backend) async throws {
        let store = try backend.makeStorage().security
        let challenge = ChallengeRecord(id: "race", purpose: .authentication, bytes: [1, 2, 3], account: nil, expiresAt: t0 + 60)
        try await store.saveChallenge(challenge)
        let results = await withTaskGroup(of: ChallengeRecord?.self) { group in
            for _ in 0..<20 { group.addTask { try? await store.takeChallenge(id: "race") } }
            return await group.reduce(into: [ChallengeRecord?]()) { $0.append($1) }
        }
        #expect(results.count == 20)
        #expect(results.compactMap { $0 } == [challenge])
    }

    // MARK: Security log

    @Test(arguments: Backend.allCases)
    func eventsComeNewestFirstUpToTheLimit(backend: Backend) async throws {
        let store = try backend.makeStorage().security
        let kinds = SecurityEvent.Kind.allCases
        // Recorded out of order; two at the same time come back in reverse order of recording.
        let offsets: [TimeInterval] = [30, 10, 50, 20, 50, 40]
        var recorded: [SecurityEvent] = []
        for (i, offset) in offsets.enumerated() {
            let event = SecurityEvent(
                account: i % 2 == 0 ? "Alice" : "alice", kind: kinds[i % kinds.count], detail: "event \(i)",
                ip: i == 0 ? nil : "192.0.2.\(i)", at: t0 + offset
            )
            recorded.append(event)
            try await store.recordEvent(event)
        }
        try await store.recordEvent(SecurityEvent(account: "bob", kind: .signInFailed, detail: "bob's", ip: nil, at: t0 + 1_000))

        let newest = try await store.events(account: "ALICE", limit: 3)
        #expect(newest == [recorded[4], recorded[2], recorded[5]])
        let all = try await store.events(account: "alice", limit: 100)
        #expect(all.map(\.detail) == ["event 4", "event 2", "event 5", "event 0", "event 3", "event 1"])
        #expect(all.last(where: { $0.detail == "event 0" })?.ip == nil)
        #expect(try await store.events(account: "alice", limit: 0).isEmpty)
        #expect(try await store.events(account: "bob", limit: 10).map(\.detail) == ["bob's"])
        #expect(try await store.events(account: "carol", limit: 10).isEmpty)
    }

    // MARK: Throttling

    @Test(arguments: Backend.allCases)
    func failuresAreCountedWithinTheWindowOnly(backend: Backend) async throws {
        let store = try backend.makeStorage().security
        let window: TimeInterval = 900
        #expect(try await store.failures(key: "totp:alice", since: t0) == 0)
        #expect(try await store.recordFailure(key: "totp:alice", at: t0, countingSince: t0 - window) == 1)
        #expect(try await store.recordFailure(key: "totp:alice", at: t0 + 100, countingSince: t0 + 100 - window) == 2)
        #expect(try await store.recordFailure(key: "password-ip:192.0.2.1", at: t0 + 100, countingSince: t0 + 100 - window) == 1)
        // The first failure has left the window.
        #expect(try await store.recordFailure(key: "totp:alice", at: t0 + 950, countingSince: t0 + 950 - window) == 2)
        #expect(try await store.failures(key: "totp:alice", since: t0) == 3)
        #expect(try await store.failures(key: "totp:alice", since: t0 + 100) == 2)
        #expect(try await store.failures(key: "totp:alice", since: t0 + 101) == 1)
        #expect(try await store.failures(key: "totp:alice", since: t0 + 2_000) == 0)
        // Keys compare case-insensitively, so changing a name's case doesn't reset the counter.
        #expect(try await store.failures(key: "TOTP:Alice", since: t0) == 3)
        #expect(try await store.failures(key: "totp:bob", since: t0) == 0)
    }
}

@Suite struct SQLiteAccountSecurityPersistenceTests {
    @Test func securityStateSurvivesReopeningTheDatabase() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-store-\(UUID().uuidString)")
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        do {
            let store = try Storage.embedded(dataDirectory: dir).security
            try await store.saveTOTP(TOTPEnrolment(account: "alice", sealedSecret: [1], confirmed: false, lastUsedStep: nil, createdAt: t0))
            #expect(try await store.confirmTOTP(account: "alice", step: 100))
            try await store.saveSession(SessionRecord(id: "s", account: "alice", state: .authenticated, createdAt: t0, lastSeenAt: t0, secondFactorAt: t0))
        }
        // Reopening runs the migrations again; applied ones are skipped.
        let reopened = try Storage.embedded(dataDirectory: dir).security
        #expect(try await reopened.totp(account: "alice")?.lastUsedStep == 100)
        #expect(try await !reopened.advanceTOTPStep(account: "alice", to: 100))
        #expect(try await reopened.session(id: "s")?.state == .authenticated)
    }
}
