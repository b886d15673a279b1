#!/usr/bin/env python3
"""Generates the WebAuthn test vectors for BulwarkWebAuthnTests from an independent software
authenticator, written against the W3C WebAuthn Level 3 specification with `cryptography` and `cbor2`.

Every credential is the JSON a browser posts (`PublicKeyCredential.toJSON()`, base64url fields), so
the Swift relying party is tested on exactly what it will receive. The output is committed: the Swift
tests never run Python.

    python3 -m venv /tmp/wa-venv && /tmp/wa-venv/bin/pip install cryptography cbor2
    /tmp/wa-venv/bin/python Tests/BulwarkWebAuthnTests/Fixtures/make_vectors.py

With `webauthn` (py_webauthn) also installed, every case is cross-checked: py_webauthn must accept
the cases expected to pass and reject those expected to fail (where it checks the same thing), and
`options.json` is written from py_webauthn's option builders for the Swift builders to match.
"""
import base64
import copy
import datetime
import hashlib
import json
import os
import struct
import sys

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
RP_ID, RP_NAME, ORIGIN = "localhost", "Bulwark", "http://localhost:8080"
UP, UV, BE, BS, AT, ED = 0x01, 0x04, 0x08, 0x10, 0x40, 0x80
AAGUID = bytes.fromhex("b17a7a3c0ffee0000000000000000042")
USER_HANDLE = b"bulwark-user-0001"


def b64u(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def sha256(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def challenge(label: str) -> bytes:
    return sha256(b"challenge:" + label.encode())


# --- keys ------------------------------------------------------------------------------------
class Key:
    """A credential key pair for one COSE algorithm; deterministic for ES256/Ed25519/ES384."""

    def __init__(self, alg: int, seed: str):
        self.alg = alg
        s = sha256(seed.encode())
        if alg == -7:
            self.priv = ec.derive_private_key(int.from_bytes(s, "big") % (2**255), ec.SECP256R1())
        elif alg == -35:
            self.priv = ec.derive_private_key(int.from_bytes(s, "big"), ec.SECP384R1())
        elif alg == -8:
            self.priv = ed25519.Ed25519PrivateKey.from_private_bytes(s)
        elif alg == -257:
            self.priv = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            raise ValueError(alg)

    def cose(self) -> dict:
        pub = self.priv.public_key()
        if self.alg in (-7, -35):
            n = pub.public_numbers()
            size = 32 if self.alg == -7 else 48
            return {1: 2, 3: self.alg, -1: 1 if self.alg == -7 else 2,
                    -2: n.x.to_bytes(size, "big"), -3: n.y.to_bytes(size, "big")}
        if self.alg == -8:
            return {1: 1, 3: -8, -1: 6, -2: pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)}
        n = pub.public_numbers()
        return {1: 3, 3: -257, -1: n.n.to_bytes((n.n.bit_length() + 7) // 8, "big"),
                -2: n.e.to_bytes((n.e.bit_length() + 7) // 8, "big")}

    def cose_bytes(self) -> bytes:
        return cbor2.dumps(self.cose())

    def sign(self, data: bytes) -> bytes:
        if self.alg == -7:
            return self.priv.sign(data, ec.ECDSA(hashes.SHA256()))  # ASN.1 DER, as WebAuthn wants
        if self.alg == -35:
            return self.priv.sign(data, ec.ECDSA(hashes.SHA384()))
        if self.alg == -8:
            return self.priv.sign(data)
        return self.priv.sign(data, padding.PKCS1v15(), hashes.SHA256())


# --- attestation certificates ----------------------------------------------------------------
def name(cn, ou="Authenticator Attestation"):
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
             x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Bulwark Test Vendor")]
    if ou is not None:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


NOT_BEFORE = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
NOT_AFTER = datetime.datetime(2045, 1, 1, tzinfo=datetime.timezone.utc)
CA_KEY = ec.derive_private_key(int.from_bytes(sha256(b"test-ca"), "big") % (2**255), ec.SECP256R1())
CA_CERT = (x509.CertificateBuilder()
           .subject_name(name("Bulwark Test Attestation Root", ou=None))
           .issuer_name(name("Bulwark Test Attestation Root", ou=None))
           .public_key(CA_KEY.public_key()).serial_number(1)
           .not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
           .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
           .sign(CA_KEY, hashes.SHA256()))
ATT_KEY = ec.derive_private_key(int.from_bytes(sha256(b"attestation-key"), "big") % (2**255), ec.SECP256R1())


def att_cert(ou="Authenticator Attestation", ca=False, aaguid=AAGUID):
    b = (x509.CertificateBuilder()
         .subject_name(name("Bulwark Test Authenticator", ou=ou)).issuer_name(CA_CERT.subject)
         .public_key(ATT_KEY.public_key()).serial_number(2)
         .not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if aaguid is not None:  # id-fido-gen-ce-aaguid: an OCTET STRING holding the AAGUID, not critical
        b = b.add_extension(x509.UnrecognizedExtension(
            x509.ObjectIdentifier("1.3.6.1.4.1.45724.1.1.4"), b"\x04\x10" + aaguid), critical=False)
    return b.sign(CA_KEY, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


# --- the authenticator -----------------------------------------------------------------------
def client_data(typ, chal: bytes, origin=ORIGIN, cross_origin=False, top_origin=None) -> bytes:
    d = {"type": typ, "challenge": b64u(chal), "origin": origin, "crossOrigin": cross_origin}
    if top_origin is not None:
        d["topOrigin"] = top_origin
    return json.dumps(d, separators=(",", ":")).encode()


def auth_data(rp_id, flags, count, attested=b"", extensions=None) -> bytes:
    ext = cbor2.dumps(extensions) if extensions is not None else b""
    return sha256(rp_id.encode()) + bytes([flags]) + struct.pack(">I", count) + attested + ext


def register(key, cred_id, chal, *, fmt="none", rp_id=RP_ID, origin=ORIGIN, flags=UP | UV, typ="webauthn.create",
             aaguid=AAGUID, att_stmt=None, extensions=None, cross_origin=False, transports=("internal",),
             raw_id=None, x5c_cert=None, bad_sig=False, stmt_alg=None):
    cdj = client_data(typ, chal, origin, cross_origin)
    attested = aaguid + struct.pack(">H", len(cred_id)) + cred_id + key.cose_bytes()
    if extensions is not None:
        flags |= ED
    ad = auth_data(rp_id, flags | AT, 0, attested, extensions)
    signed = ad + sha256(cdj)
    if att_stmt is None:
        if fmt == "packed" and x5c_cert is None:
            sig = key.sign(signed)
            att_stmt = {"alg": key.alg if stmt_alg is None else stmt_alg, "sig": sig}
        elif fmt == "packed":
            sig = ATT_KEY.sign(signed, ec.ECDSA(hashes.SHA256()))
            att_stmt = {"alg": -7, "sig": sig, "x5c": [x5c_cert, CA_CERT.public_bytes(serialization.Encoding.DER)]}
        else:
            att_stmt = {}
        if bad_sig:
            s = bytearray(att_stmt["sig"])
            s[-1] ^= 0x01
            att_stmt["sig"] = bytes(s)
    att_obj = cbor2.dumps({"fmt": fmt, "attStmt": att_stmt, "authData": ad})
    rid = raw_id if raw_id is not None else cred_id
    return {"id": b64u(rid), "rawId": b64u(rid), "type": "public-key", "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {"clientDataJSON": b64u(cdj), "attestationObject": b64u(att_obj),
                         "transports": list(transports)}}


def assert_(key, cred_id, chal, count, *, rp_id=RP_ID, origin=ORIGIN, flags=UP | UV, typ="webauthn.get",
            user_handle=USER_HANDLE, flip_sig=False, raw_id=None):
    cdj = client_data(typ, chal, origin)
    ad = auth_data(rp_id, flags, count)
    sig = key.sign(ad + sha256(cdj))
    if flip_sig:
        s = bytearray(sig)
        s[len(s) // 2] ^= 0x01
        sig = bytes(s)
    rid = raw_id if raw_id is not None else cred_id
    resp = {"clientDataJSON": b64u(cdj), "authenticatorData": b64u(ad), "signature": b64u(sig)}
    if user_handle is not None:
        resp["userHandle"] = b64u(user_handle)
    return {"id": b64u(rid), "rawId": b64u(rid), "type": "public-key", "authenticatorAttachment": "platform",
            "clientExtensionResults": {}, "response": resp}


# --- the cases -------------------------------------------------------------------------------
def build():
    keys = {alg: Key(alg, f"credential-{alg}") for alg in (-7, -8, -257)}
    cred_ids = {alg: sha256(f"credential-id-{alg}".encode()) for alg in keys}
    reg, auth = [], []

    def r(name, expect, credential, chal, key=None, fmt="none", require_uv=True, expected=None):
        case = {"name": name, "expect": expect, "challenge": b64u(chal), "requireUserVerification": require_uv,
                "credential": credential}
        if expect == "ok":
            k = key
            case["expected"] = dict({"id": credential["rawId"], "publicKey": b64u(k.cose_bytes()), "alg": k.alg,
                                     "signCount": 0, "aaguid": AAGUID.hex(), "attestationFormat": fmt,
                                     "attestationType": {"none": "none"}.get(fmt, "self"),
                                     "backupEligible": False, "backedUp": False, "userVerified": True,
                                     "transports": credential["response"]["transports"]}, **(expected or {}))
        reg.append(case)

    # Accepted registrations.
    for alg, label in ((-7, "es256"), (-8, "ed25519"), (-257, "rs256")):
        c = challenge(f"reg-{label}")
        r(f"{label}-none", "ok", register(keys[alg], cred_ids[alg], c), c, keys[alg])
        c = challenge(f"reg-{label}-packed-self")
        r(f"{label}-packed-self", "ok", register(keys[alg], cred_ids[alg], c, fmt="packed"), c, keys[alg], "packed")
    c = challenge("reg-x5c")
    r("es256-packed-x5c", "ok", register(keys[-7], cred_ids[-7], c, fmt="packed", x5c_cert=att_cert()), c, keys[-7],
      "packed", expected={"attestationType": "certificate", "attestationCertificates": 2})
    c = challenge("reg-x5c-ed25519")
    r("ed25519-packed-x5c-no-aaguid-ext", "ok",
      register(keys[-8], cred_ids[-8], c, fmt="packed", x5c_cert=att_cert(aaguid=None)), c, keys[-8], "packed",
      expected={"attestationType": "certificate", "attestationCertificates": 2})
    c = challenge("reg-synced")
    r("es256-backed-up", "ok", register(keys[-7], cred_ids[-7], c, flags=UP | UV | BE | BS, transports=("hybrid", "internal")),
      c, keys[-7], expected={"backupEligible": True, "backedUp": True})
    c = challenge("reg-ext")
    r("es256-with-extensions", "ok", register(keys[-7], cred_ids[-7], c, extensions={"credProtect": 2}), c, keys[-7])
    c = challenge("reg-no-uv-optional")
    r("es256-no-uv-not-required", "ok", register(keys[-7], cred_ids[-7], c, flags=UP), c, keys[-7],
      require_uv=False, expected={"userVerified": False})

    # Refused registrations.
    k, cid = keys[-7], cred_ids[-7]
    c = challenge("reg-bad")
    r("wrong-origin", "wrongOrigin", register(k, cid, c, origin="https://evil.example"), c)
    r("wrong-origin-port", "wrongOrigin", register(k, cid, c, origin="http://localhost:8081"), c)
    r("cross-origin", "wrongOrigin", register(k, cid, c, cross_origin=True), c)
    r("wrong-rp-id", "wrongRpId", register(k, cid, c, rp_id="evil.example"), c)
    r("challenge-mismatch", "challengeMismatch", register(k, cid, challenge("another")), c)
    r("type-get-for-create", "wrongType", register(k, cid, c, typ="webauthn.get"), c)
    r("missing-uv", "userNotVerified", register(k, cid, c, flags=UP), c)
    r("missing-up", "userNotPresent", register(k, cid, c, flags=UV), c)
    r("bs-without-be", "invalidBackupState", register(k, cid, c, flags=UP | UV | BS), c)
    r("unsupported-alg-es384", "unsupportedAlgorithm", register(Key(-35, "es384"), cid, c), c)
    r("none-with-statement", "invalidAttestation", register(k, cid, c, att_stmt={"alg": -7, "sig": b"\x01"}), c)
    r("unknown-format", "unsupportedAttestation", register(k, cid, c, fmt="tpm", att_stmt={"ver": "2.0"}), c)
    r("fido-u2f-format", "unsupportedAttestation", register(k, cid, c, fmt="fido-u2f", att_stmt={"sig": b"x", "x5c": [b"y"]}), c)
    r("packed-self-bad-signature", "badSignature", register(k, cid, c, fmt="packed", bad_sig=True), c)
    r("packed-self-alg-mismatch", "invalidAttestation", register(k, cid, c, fmt="packed", stmt_alg=-257), c)
    r("packed-x5c-bad-signature", "badSignature", register(k, cid, c, fmt="packed", x5c_cert=att_cert(), bad_sig=True), c)
    r("packed-x5c-aaguid-mismatch", "invalidAttestation",
      register(k, cid, c, fmt="packed", x5c_cert=att_cert(aaguid=b"\x99" * 16)), c)
    r("packed-x5c-wrong-ou", "invalidAttestation", register(k, cid, c, fmt="packed", x5c_cert=att_cert(ou="Engineering")), c)
    r("packed-x5c-ca-cert", "invalidAttestation", register(k, cid, c, fmt="packed", x5c_cert=att_cert(ca=True)), c)
    r("raw-id-mismatch", "credentialMismatch", register(k, cid, c, raw_id=b"someone-else"), c)

    def a(name, expect, credential, chal, stored_alg, stored_count=0, require_uv=True, expected=None, stored=None):
        st = {"id": b64u(cred_ids[stored_alg]), "publicKey": b64u(keys[stored_alg].cose_bytes()), "alg": stored_alg,
              "signCount": stored_count}
        st.update(stored or {})
        case = {"name": name, "expect": expect, "challenge": b64u(chal), "requireUserVerification": require_uv,
                "stored": st, "credential": credential}
        if expect == "ok":
            case["expected"] = dict({"signCount": None, "userHandle": b64u(USER_HANDLE), "backedUp": False,
                                     "userVerified": True}, **(expected or {}))
        auth.append(case)

    # Accepted assertions.
    for alg, label in ((-7, "es256"), (-8, "ed25519"), (-257, "rs256")):
        c = challenge(f"auth-{label}")
        a(f"{label}", "ok", assert_(keys[alg], cred_ids[alg], c, 1), c, alg, expected={"signCount": 1})
        c = challenge(f"auth-{label}-2")
        a(f"{label}-next", "ok", assert_(keys[alg], cred_ids[alg], c, 7), c, alg, 6, expected={"signCount": 7})
    c = challenge("auth-zero")
    a("es256-no-counter", "ok", assert_(k, cid, c, 0), c, -7, expected={"signCount": 0})
    a("es256-no-user-handle", "ok", assert_(k, cid, c, 3, user_handle=None), c, -7,
      expected={"signCount": 3, "userHandle": None})
    a("es256-backed-up", "ok", assert_(k, cid, c, 3, flags=UP | UV | BE | BS), c, -7,
      expected={"signCount": 3, "backedUp": True}, stored={"backupEligible": True})
    a("es256-no-uv-not-required", "ok", assert_(k, cid, c, 3, flags=UP), c, -7, require_uv=False,
      expected={"signCount": 3, "userVerified": False})

    # Refused assertions.
    c = challenge("auth-bad")
    a("wrong-origin", "wrongOrigin", assert_(k, cid, c, 1, origin="https://evil.example"), c, -7)
    a("wrong-rp-id", "wrongRpId", assert_(k, cid, c, 1, rp_id="evil.example"), c, -7)
    a("challenge-mismatch", "challengeMismatch", assert_(k, cid, challenge("replayed"), 1), c, -7)
    a("type-create-for-get", "wrongType", assert_(k, cid, c, 1, typ="webauthn.create"), c, -7)
    a("missing-uv", "userNotVerified", assert_(k, cid, c, 1, flags=UP), c, -7)
    a("missing-up", "userNotPresent", assert_(k, cid, c, 1, flags=UV), c, -7)
    a("bs-without-be", "invalidBackupState", assert_(k, cid, c, 1, flags=UP | UV | BS), c, -7)
    a("be-changed", "invalidBackupState", assert_(k, cid, c, 1, flags=UP | UV | BE), c, -7,
      stored={"backupEligible": False})
    for alg, label in ((-7, "es256"), (-8, "ed25519"), (-257, "rs256")):
        a(f"bad-signature-{label}", "badSignature", assert_(keys[alg], cred_ids[alg], c, 1, flip_sig=True), c, alg)
    other = Key(-7, "another-es256-key")
    a("signed-by-another-key", "badSignature", assert_(other, cid, c, 1), c, -7)
    a("counter-regression", "counterRegression", assert_(k, cid, c, 4), c, -7, 5)
    a("counter-repeated", "counterRegression", assert_(k, cid, c, 5), c, -7, 5)
    a("counter-reset-to-zero", "counterRegression", assert_(k, cid, c, 0), c, -7, 5)
    a("credential-id-mismatch", "credentialMismatch", assert_(k, cid, c, 1, raw_id=b"another-credential"), c, -7)
    a("user-handle-mismatch", "credentialMismatch", assert_(k, cid, c, 1, user_handle=b"another-user"), c, -7,
      stored={"userHandle": b64u(USER_HANDLE)})
    return {"rp": {"id": RP_ID, "name": RP_NAME, "origin": ORIGIN},
            "registrations": reg, "authentications": auth}


# --- cross-check with py_webauthn ------------------------------------------------------------
def cross_check(vectors):
    import webauthn
    from webauthn.helpers import base64url_to_bytes as d
    from webauthn.helpers.structs import COSEAlgorithmIdentifier

    # Only the reasons py_webauthn checks the same way; the rest are Bulwark policy or stricter.
    comparable_reg = {"ok", "wrongOrigin", "wrongRpId", "challengeMismatch", "wrongType", "userNotVerified",
                      "userNotPresent", "unsupportedAlgorithm", "badSignature", "unsupportedAttestation"}
    agree = 0
    for case in vectors["registrations"]:
        if case["expect"] not in comparable_reg or case["name"] in ("cross-origin", "fido-u2f-format"):
            continue
        # Bulwark accepts ES256, EdDSA and RS256 only; say so to py_webauthn.
        algs = {"supported_pub_key_algs": [COSEAlgorithmIdentifier.ECDSA_SHA_256, COSEAlgorithmIdentifier.EDDSA,
                                           COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256]}
        try:
            webauthn.verify_registration_response(
                credential=case["credential"], expected_challenge=d(case["challenge"]), expected_rp_id=RP_ID,
                expected_origin=ORIGIN, require_user_verification=case["requireUserVerification"], **algs)
            ok = True
        except Exception as e:  # noqa: BLE001 - any refusal counts
            ok, why = False, e
        if ok != (case["expect"] == "ok"):
            raise SystemExit(f"py_webauthn disagrees on registration {case['name']}: accepted={ok}"
                             + ("" if ok else f" ({why})"))
        agree += 1
    comparable_auth = {"ok", "wrongOrigin", "wrongRpId", "challengeMismatch", "wrongType", "userNotVerified",
                       "userNotPresent", "badSignature", "counterRegression"}
    for case in vectors["authentications"]:
        if case["expect"] not in comparable_auth:
            continue
        st = case["stored"]
        try:
            webauthn.verify_authentication_response(
                credential=case["credential"], expected_challenge=d(case["challenge"]), expected_rp_id=RP_ID,
                expected_origin=ORIGIN, credential_public_key=d(st["publicKey"]),
                credential_current_sign_count=st["signCount"],
                require_user_verification=case["requireUserVerification"])
            ok = True
        except Exception:  # noqa: BLE001
            ok = False
        if ok != (case["expect"] == "ok"):
            raise SystemExit(f"py_webauthn disagrees on authentication {case['name']}: accepted={ok}")
        agree += 1
    print(f"py_webauthn {getattr(webauthn, '__version__', '?')} agrees on {agree} cases")


def py_webauthn_options():
    import webauthn
    from webauthn.helpers.structs import (AttestationConveyancePreference, AuthenticatorSelectionCriteria,
                                          AuthenticatorTransport, COSEAlgorithmIdentifier,
                                          PublicKeyCredentialDescriptor, ResidentKeyRequirement,
                                          UserVerificationRequirement)
    uv = UserVerificationRequirement.REQUIRED
    create = webauthn.generate_registration_options(
        rp_id=RP_ID, rp_name=RP_NAME, user_id=USER_HANDLE, user_name="alice", user_display_name="Alice A.",
        challenge=challenge("options"), timeout=300000, attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(resident_key=ResidentKeyRequirement.REQUIRED,
                                                               user_verification=uv),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=b"old-credential",
                                                           transports=[AuthenticatorTransport.INTERNAL])],
        supported_pub_key_algs=[COSEAlgorithmIdentifier.ECDSA_SHA_256, COSEAlgorithmIdentifier.EDDSA,
                                COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256])
    get = webauthn.generate_authentication_options(rp_id=RP_ID, challenge=challenge("options"), timeout=300000,
                                                   user_verification=uv)
    return {"inputs": {"userId": b64u(USER_HANDLE), "userName": "alice", "displayName": "Alice A.",
                       "challenge": b64u(challenge("options")), "exclude": b64u(b"old-credential"),
                       "excludeTransports": ["internal"], "timeout": 300000},
            "creation": json.loads(webauthn.options_to_json(create)),
            "request": json.loads(webauthn.options_to_json(get))}


def main():
    vectors = build()
    with open(os.path.join(HERE, "vectors.json"), "w") as f:
        json.dump(vectors, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote vectors.json: {len(vectors['registrations'])} registrations, "
          f"{len(vectors['authentications'])} authentications")
    try:
        import webauthn  # noqa: F401
    except ImportError:
        print("py_webauthn not installed: no cross-check, options.json left as it is", file=sys.stderr)
        return
    cross_check(vectors)
    with open(os.path.join(HERE, "options.json"), "w") as f:
        json.dump(py_webauthn_options(), f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote options.json from py_webauthn's builders")


if __name__ == "__main__":
    main()
