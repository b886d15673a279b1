// libFuzzer target: everything a browser posts during a passkey ceremony — the registration and
// assertion JSON, clientDataJSON, the CBOR attestation object, authenticator data and COSE keys —
// parsed and then verified by the relying party. Every input must end in a result or a thrown
// WebAuthnError, never a trap, and nothing random may verify.
// Fuzz build: scripts/fuzz.sh FuzzWebAuthn. Normal build: `FuzzWebAuthn FILE…` replays inputs.
import BulwarkWebAuthn

let relyingParty = RelyingParty(id: "localhost", name: "Bulwark", origins: ["http://localhost:8080"])
// The challenges of the first registration and assertion vectors (Tests/BulwarkWebAuthnTests/Fixtures),
// so that seeds made from them get past the client-data checks and the fuzzer explores the rest.
let registrationChallenge = Base64URL.decode("UjZLCSkMVu7M5kkhR7XWokNGYmB_dxB-Pc_h1e70oaU")!
let assertionChallenge = Base64URL.decode("5HtcFlAsjopCmT5NIJ0pXDZOw2RICCnW9qPYo6HqI58")!

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebAuthn(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    guard let selector = bytes.first else { return 0 }
    let rest = Array(bytes.dropFirst())
    switch selector % 6 {
    case 0: _ = try? AttestationObject(bytes: rest)
    case 1: _ = try? AuthenticatorData(bytes: rest)
    case 2: _ = try? CollectedClientData(json: rest)
    case 3:
        if let key = try? COSEKey(bytes: rest) {
            // A parsed key must refuse a signature that isn't one.
            guard !key.isValidSignature([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01], for: rest) else {
                fatalError("a garbage signature verified under a fuzzed COSE key")
            }
        }
    case 4:
        if let response = try? RegistrationResponse(json: rest) {
            // A registration may verify only if its client data carries exactly the expected challenge.
            if (try? relyingParty.verifyRegistration(response, expectedChallenge: registrationChallenge)) != nil {
                let clientData = try? CollectedClientData(json: response.clientDataJSON)
                guard clientData?.challenge == registrationChallenge else { fatalError("a registration verified without the challenge") }
            }
        }
    default:
        if let response = try? AuthenticationResponse(json: rest) {
            // No private key exists for this public key's counterpart in the fuzzer's reach: any
            // assertion against it must fail.
            let credential = StoredCredential(id: response.rawId, publicKey: fixedPublicKey, algorithm: .es256, signCount: 0)
            if (try? relyingParty.verifyAuthentication(response, expectedChallenge: assertionChallenge, credential: credential)) != nil {
                fatalError("an assertion verified against a key the fuzzer has no private key for")
            }
        }
    }
    return 0
}

/// A P-256 COSE key (kty 2, alg -7, crv 1) whose private key was thrown away.
let fixedPublicKey: [UInt8] = [
    0xA5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01,
    0x21, 0x58, 0x20,
    0x6B, 0x17, 0xD1, 0xF2, 0xE1, 0x2C, 0x42, 0x47, 0xF8, 0xBC, 0xE6, 0xE5, 0x63, 0xA4, 0x40, 0xF2,
    0x77, 0x03, 0x7D, 0x81, 0x2D, 0xEB, 0x33, 0xA0, 0xF4, 0xA1, 0x39, 0x45, 0xD8, 0x98, 0xC2, 0x96,
    0x22, 0x58, 0x20,
    0x4F, 0xE3, 0x42, 0xE2, 0xFE, 0x1A, 0x7F, 0x9B, 0x8E, 0xE7, 0xEB, 0x4A, 0x7C, 0x0F, 0x9E, 0x16,
    0x2B, 0xCE, 0x33, 0x57, 0x6B, 0x31, 0x5E, 0xCE, 0xCB, 0xB6, 0x40, 0x68, 0x37, 0xBF, 0x51, 0xF5,
]

#if !FUZZING
import FuzzReplay

@main struct ReplayWebAuthn {
    static func main() throws { try replay(CommandLine.arguments.dropFirst(), fuzzWebAuthn) }
}
#endif
