// bulwark-crypto-bench: what one second-factor check costs the server, in µs per operation.
//
//   swift build -c release --product bulwark-crypto-bench
//   .build/release/bulwark-crypto-bench [--iterations N]
//
// Times the same calls the sign-in routes make: opening the sealed TOTP secret and checking a code
// (window ±1, so three HMACs), and parsing and verifying a WebAuthn ES256 assertion made by the
// test suite's software passkey. The API-token hash and one bcrypt check are printed for scale.
import BulwarkAuth
import BulwarkTestSupport
import BulwarkWebAuthn
import Crypto
import Foundation

var iterations = 20_000
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--iterations":
        guard let value = arguments.next().flatMap(Int.init), value > 0 else { fatalError("--iterations needs a positive number") }
        iterations = value
    default: fatalError("unknown option \(argument)")
    }
}

/// Runs `body` `count` times after a short warm-up; returns µs per call (best of three rounds).
func measure(_ name: String, count: Int, _ body: () throws -> Bool) rethrows {
    for _ in 0..<min(count, 100) {
        let ok = try body()
        precondition(ok, "\(name): the operation failed")
    }
    var best = Double.infinity
    for _ in 0..<3 {
        let clock = ContinuousClock()
        var ok = true
        let elapsed = try clock.measure { for _ in 0..<count { ok = try body() && ok } }
        precondition(ok, "\(name): the operation failed")
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        best = min(best, seconds * 1e6 / Double(count))
    }
    let label = name.padding(toLength: 44, withPad: " ", startingAt: 0)
    print(label + String(format: " %10.2f µs/op %12.0f op/s/core  (%d ops × 3 rounds, best round)", best, 1e6 / best, count))
}

// TOTP: the sealed secret as stored, a code for now, checked the way SessionController does.
var rng = SystemRandomNumberGenerator()
let box = try SecretBox(base64Key: SecretBox.generateBase64Key(using: &rng))
let secret = TOTP.generateSecret(using: &rng)
let context = Data("bench".utf8)
let sealed = try box.seal(secret, context: context)
let now = Date()
let code = TOTP(secret: secret).code(at: now)
measure("TOTP check (window ±1)", count: iterations) {
    TOTPVerifier(totp: TOTP(secret: secret)).verify(code, at: now, lastAcceptedStep: nil) != nil
}
try measure("TOTP open sealed secret + check", count: iterations) {
    let opened = try box.open(sealed, context: context)
    return TOTPVerifier(totp: TOTP(secret: Array(opened))).verify(code, at: now, lastAcceptedStep: nil) != nil
}

// WebAuthn: register the software passkey once, then verify one ES256 assertion repeatedly (the
// stored counter stays 0 below the assertion's, as in a first sign-in).
let origin = "https://registry.bench"
let rp = RelyingParty(id: "registry.bench", name: "Bulwark bench", origins: [origin])
let passkey = SoftPasskey(origin: origin)
let registrationChallenge = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
let registration = passkey.register(options: [
    "challenge": SoftPasskey.b64url(registrationChallenge), "rp": ["id": rp.id], "user": ["id": SoftPasskey.b64url([1, 2, 3])],
])
let registered = try rp.verifyRegistration(
    json: Array(try JSONSerialization.data(withJSONObject: registration)), expectedChallenge: registrationChallenge)
var stored = registered.stored
stored.userHandle = nil
let challenge = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
let assertion = Array(try JSONSerialization.data(withJSONObject: try passkey.assert(options: [
    "challenge": SoftPasskey.b64url(challenge), "rpId": rp.id,
])))
let webauthnCount = max(1, iterations / 4)
measure("WebAuthn ES256 assertion (parse + verify)", count: webauthnCount) {
    (try? rp.verifyAuthentication(json: assertion, expectedChallenge: challenge, credential: stored)) != nil
}
let parsed = try AuthenticationResponse(json: assertion)
measure("WebAuthn ES256 assertion (verify only)", count: webauthnCount) {
    (try? rp.verifyAuthentication(parsed, expectedChallenge: challenge, credential: stored)) != nil
}
let publicKey = passkey.key.publicKey
let signed = Array(repeating: UInt8(7), count: 100)
let signature = try passkey.key.signature(for: signed)
measure("  of which P-256 ECDSA verify (swift-crypto)", count: webauthnCount) {
    publicKey.isValidSignature(signature, for: signed)
}

// For scale: the per-request token check on a cache miss, and one password check.
let minted = APIToken.mint()
measure("API token SHA-256 hash (cache miss)", count: iterations) { APIToken.hash(minted.token) == minted.hash }
let hasher = PasswordHasher()
let passwordHash = hasher.hash("correct horse battery staple")
measure("bcrypt password check (cost \(hasher.cost))", count: 2) { hasher.verify("correct horse battery staple", against: passwordHash) }
