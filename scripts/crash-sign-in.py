#!/usr/bin/env python3
"""The sign-in workload of `scripts/crash-test.sh --sign-in` (Python 3 standard library and oathtool).

    crash-sign-in.py mutate --state FILE --port P --origin O --iteration I [--clients C] [--seed S]
    crash-sign-in.py verify --state FILE --port P --origin O --label L [--all] [--seed S]

`mutate` runs C clients at once against `bulwark serve`, each driving its own account through the
real JSON API until the server goes away (crash-test.sh `kill -9`s it at a random moment): sign
up, sign in with the password, then a passkey, an authenticator code (oathtool) or a recovery code,
enrol an authenticator app (POST /api/v1/account/totp, then .../confirm), regenerate recovery
codes, remove the authenticator, add and remove passkeys (a software ES256 authenticator, below),
sign out. Every answer is recorded in a model of each account kept in FILE (JSON); a request that
got no answer is remembered as the account's `last_op`, whose effect may or may not have been
committed.

`verify` runs after the restart and checks every account of the current clients (and a few
retired ones; all of them with --all) against the model, resolving the cut-off request one way or
the other, never half:
  - an acknowledged sign-up signs in with its password (an unanswered one: absent or complete);
  - the factors the password step lists are the model's: an acknowledged authenticator app is
    listed and accepts a current code; an acknowledged passkey signs in; an acknowledged removal
    is gone;
  - an enrolment whose confirmation got no answer is either not active at all (the password step
    doesn't offer `totp`, and a code for the pending secret is refused with 422) or fully active
    (a code for that secret signs in, and a first factor came with its 10 recovery codes);
  - recovery codes: the number left is the model's; after an acknowledged regeneration the new set
    works and the old set is refused; an unanswered regeneration left either the whole old set or
    a whole new one.
Prints one line per problem and exits 1 if there was any.
"""

import argparse
import base64
import concurrent.futures
import hashlib
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time

# ---------------------------------------------------------------------------------------------
# HTTP


class Unanswered(Exception):
    """No complete HTTP answer: the server was killed before, during or after the request."""


class Answer:
    def __init__(self, status, body, cookie):
        self.status = status
        self.body = body
        self.cookie = cookie  # the bulwark_session value set by this answer, "" when cleared, else None
        try:
            self.json = json.loads(body) if body else {}
        except ValueError:
            self.json = {}

    def summary(self):
        return f"{self.status} {self.body[:300].decode('utf-8', 'replace')}"


class API:
    def __init__(self, port, origin):
        self.port = port
        self.origin = origin

    def call(self, method, path, body=None, cookie=None, timeout=30):
        headers = {"Accept": "application/json", "Origin": self.origin}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if cookie:
            headers["Cookie"] = f"bulwark_session={cookie}"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            new_cookie = None
            for name, value in response.getheaders():
                if name.lower() == "set-cookie" and value.startswith("bulwark_session="):
                    new_cookie = value.split(";", 1)[0].split("=", 1)[1]
            return Answer(response.status, raw, new_cookie)
        except (OSError, http.client.HTTPException) as error:
            raise Unanswered(f"{method} {path}: {error!r}")
        finally:
            conn.close()


# ---------------------------------------------------------------------------------------------
# TOTP: codes from oathtool; steps chosen so that no code is used twice (the server refuses any
# step at or below the last accepted one) and every code is inside the server's ±1 step window.

STEP = 30


def totp_code(secret, step):
    out = subprocess.run(
        ["oathtool", "--totp", "--base32", secret, "--now", f"@{step * STEP}"],
        capture_output=True, text=True, check=True,
    )
    return out.stdout.strip()


def usable_step(last, reserve_next=False):
    """The lowest step after `last` that the server accepts now, or None. `reserve_next` keeps the
    step after the current one free (mutate leaves it for verify)."""
    now = time.time()
    current = int(now // STEP)
    low = current - 1 if STEP - now % STEP > 4 else current  # the previous step expires at the boundary
    high = current if reserve_next else current + 1
    step = low if last is None else max(low, last + 1)
    return step if step <= high else None


def wait_for_step(last):
    """verify: waits (at most one period) until a step after `last` is accepted."""
    deadline = time.time() + STEP + 5
    while True:
        step = usable_step(last)
        if step is not None or time.time() > deadline:
            return step
        time.sleep(0.5)


# ---------------------------------------------------------------------------------------------
# A software passkey: ES256 (P-256) in pure Python, "none" attestation, user verification.

P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
GX = 0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296
GY = 0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5


def point_add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    (x1, y1), (x2, y2) = a, b
    if x1 == x2 and (y1 + y2) % P == 0:
        return None
    if a == b:
        slope = (3 * x1 * x1 - 3) * pow(2 * y1, -1, P) % P
    else:
        slope = (y2 - y1) * pow(x2 - x1, -1, P) % P
    x3 = (slope * slope - x1 - x2) % P
    return (x3, (slope * (x1 - x3) - y1) % P)


def scalar_mult(k, point=(GX, GY)):
    result = None
    while k:
        if k & 1:
            result = point_add(result, point)
        point = point_add(point, point)
        k >>= 1
    return result


def der_integer(value):
    raw = value.to_bytes(32, "big").lstrip(b"\0") or b"\0"
    if raw[0] & 0x80:
        raw = b"\0" + raw
    return b"\x02" + bytes([len(raw)]) + raw


def ecdsa_sign(d, message, rng):
    z = int.from_bytes(hashlib.sha256(message).digest(), "big")
    while True:
        k = rng.randrange(1, N)
        r = scalar_mult(k)[0] % N
        s = pow(k, -1, N) * (z + r * d) % N
        if r and s:
            body = der_integer(r) + der_integer(s)
            return b"\x30" + bytes([len(body)]) + body


def cbor(value):
    def head(major, n):
        if n < 24:
            return bytes([major << 5 | n])
        if n < 256:
            return bytes([major << 5 | 24, n])
        return bytes([major << 5 | 25]) + n.to_bytes(2, "big")

    if isinstance(value, int):
        return head(0, value) if value >= 0 else head(1, -1 - value)
    if isinstance(value, bytes):
        return head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode()
        return head(3, len(raw)) + raw
    if isinstance(value, dict):
        return head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())
    raise TypeError(value)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class SoftPasskey:
    """Model entry: {"id": b64url credential id, "d": private key (hex), "count": signature counter}."""

    @staticmethod
    def new(rng):
        return {"id": b64url(rng.randbytes(16)), "d": format(rng.randrange(1, N), "x"), "count": 0}

    @staticmethod
    def client_data(kind, challenge, origin):
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}, separators=(",", ":")
        ).encode()

    @staticmethod
    def register(passkey, options, origin):
        x, y = scalar_mult(int(passkey["d"], 16))
        raw_id = base64.urlsafe_b64decode(passkey["id"] + "==")
        cose = cbor({1: 2, 3: -7, -1: 1, -2: x.to_bytes(32, "big"), -3: y.to_bytes(32, "big")})
        auth_data = (
            hashlib.sha256(options["rp"]["id"].encode()).digest() + bytes([0x45]) + (0).to_bytes(4, "big")
            + bytes(16) + len(raw_id).to_bytes(2, "big") + raw_id + cose
        )
        attestation = cbor({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": passkey["id"], "rawId": passkey["id"], "type": "public-key",
            "response": {
                "clientDataJSON": b64url(SoftPasskey.client_data("webauthn.create", options["challenge"], origin)),
                "attestationObject": b64url(attestation), "transports": ["internal"],
            },
            "clientExtensionResults": {}, "authenticatorAttachment": "platform",
        }

    @staticmethod
    def assert_(passkey, options, origin, rng):
        passkey["count"] += 1
        auth_data = hashlib.sha256(options["rpId"].encode()).digest() + bytes([0x05]) + passkey["count"].to_bytes(4, "big")
        client = SoftPasskey.client_data("webauthn.get", options["challenge"], origin)
        signature = ecdsa_sign(int(passkey["d"], 16), auth_data + hashlib.sha256(client).digest(), rng)
        return {
            "id": passkey["id"], "rawId": passkey["id"], "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client), "authenticatorData": b64url(auth_data), "signature": b64url(signature),
            },
            "clientExtensionResults": {}, "authenticatorAttachment": "platform",
        }


# ---------------------------------------------------------------------------------------------
# The model of an account (JSON in the state file):
#   name, password, exists (bool)
#   totp: null | {"secret": base32 or null (pending, secret unknown), "confirmed": bool, "last": step or null}
#   passkeys: [SoftPasskey entries]
#   codes: unused recovery codes we know, or null when the server holds a set we never saw
#   codes_left: how many unused codes the server holds (len(codes) when known)
#   old_codes: codes of a set replaced by an acknowledged regeneration (must be refused)
#   last_op: the request that got no answer, or null


class Failure(Exception):
    pass


def has_factor(account):
    return bool(account["passkeys"]) or bool(account["totp"] and account["totp"]["confirmed"])


def expected_methods(account):
    methods = []
    if account["passkeys"]:
        methods.append("passkey")
    if account["totp"] and account["totp"]["confirmed"]:
        methods.append("totp")
    if methods and account["codes_left"] > 0:
        methods.append("recovery-code")
    return methods


class Client:
    """Drives one account (mutate) or checks one (verify)."""

    def __init__(self, api, account, rng, problems, stats, thorough=False):
        self.thorough = thorough
        self.api = api
        self.account = account
        self.rng = rng
        self.problems = problems
        self.stats = stats
        self.cookie = None
        self.passkey_fresh = False

    def note(self, message):
        self.problems.append(f"{self.account['name']}: {message}")

    def count(self, key):
        self.stats[key] = self.stats.get(key, 0) + 1

    # A state-changing request: remembered as last_op until its answer arrives.
    def op(self, name, method, path, body=None, expect=200, params=None, cookie=True):
        self.account["last_op"] = dict(params or {}, op=name)
        answer = self.api.call(method, path, body, self.cookie if cookie else None)
        self.account["last_op"] = None
        self.count(f"answered {name}")
        if answer.status != expect:
            # Unexpected: a bug (or a broken test). The model can't follow: leave the outcome open.
            self.account["last_op"] = dict(params or {}, op=name, unexpected=True)
            self.note(f"{name} answered {answer.summary()} (expected {expect})")
            raise Failure()
        if answer.cookie is not None:
            self.cookie = answer.cookie or None
        return answer

    # -- mutate ---------------------------------------------------------------------------------

    def run(self, signed_up=lambda: None):
        # The session the last check ended with (it survives the restart), so that most requests
        # go to the second-factor paths rather than to bcrypt.
        self.cookie = self.account.get("cookie")
        self.session = self.account.get("session") if self.cookie else None
        self.passkey_fresh = False
        self.account["cookie"] = self.account["session"] = None
        if not self.account["exists"]:
            self.cycle()
        signed_up()
        while True:
            self.cycle()

    def cycle(self):
        a = self.account
        if not a["exists"]:
            self.op("signup", "POST", "/api/v1/accounts",
                    {"username": a["name"], "email": f"{a['name']}@example.com", "password": a["password"]},
                    expect=201, cookie=False)
            a["exists"] = True
        elif self.session is None:
            self.sign_in()
        elif self.session == "enrolment-required":
            if self.rng.random() < 0.6:
                self.enrol_totp(first=True)
            else:
                self.add_passkey(first=True)
        elif self.session == "second-factor-required":
            if not self.can_authenticate():
                # Authenticator steps used up and nothing else: wait, asking the server (a safe
                # GET) so that its end is noticed.
                time.sleep(0.2)
                self.api.call("GET", "/api/v1/account", cookie=self.cookie)
                return
            self.second_factor()
        else:
            roll = self.rng.random()
            if roll < 0.08:
                self.op("sign_out", "DELETE", "/api/v1/session", expect=204)
                self.cookie = self.session = None
            elif roll < 0.25 and self.can_authenticate():
                self.second_factor()  # a step-up
            else:
                self.authenticated_op()

    def sign_in(self):
        a = self.account
        answer = self.op("password", "POST", "/api/v1/session", {"username": a["name"], "password": a["password"]}, cookie=False)
        self.passkey_fresh = False
        state, methods = answer.json.get("state"), answer.json.get("methods", [])
        want = expected_methods(a)
        if sorted(methods) != sorted(want) or (state == "enrolment-required") != (not want):
            self.note(f"the password step answered {answer.summary()}, the model expects methods {want}")
            raise Failure()
        self.session = state

    def can_authenticate(self):
        a = self.account
        if a["passkeys"] or a["codes"]:
            return True
        return bool(a["totp"] and a["totp"]["confirmed"]) and usable_step(a["totp"]["last"], reserve_next=True) is not None

    def second_factor(self):
        a = self.account
        choices = []
        if a["totp"] and a["totp"]["confirmed"] and usable_step(a["totp"]["last"], reserve_next=True) is not None:
            choices += ["totp"] * 3
        if a["passkeys"]:
            choices += ["passkey"] * 2
        if a["codes"]:
            choices.append("recovery")
        choice = self.rng.choice(choices)
        if choice == "totp":
            step = usable_step(a["totp"]["last"], reserve_next=True)
            a["totp"]["last"] = step  # once sent, the step may be used up even without an answer
            self.op("totp_sign_in", "POST", "/api/v1/session/totp", {"code": totp_code(a["totp"]["secret"], step)}, params={"step": step})
        elif choice == "passkey":
            self.passkey_step(self.rng.choice(a["passkeys"]))
        else:
            code = a["codes"][0]
            self.op("recovery_sign_in", "POST", "/api/v1/session/recovery-code", {"code": code}, params={"code": code})
            a["codes"].remove(code)
            a["codes_left"] -= 1
        self.session = "authenticated"

    def passkey_step(self, passkey):
        options = self.op("passkey_options", "POST", "/api/v1/session/webauthn/options", {}).json
        assertion = SoftPasskey.assert_(passkey, options, self.api.origin, self.rng)
        self.op("passkey_sign_in", "POST", "/api/v1/session/webauthn", assertion)
        self.passkey_fresh = True

    def authenticated_op(self):
        a = self.account
        totp = a["totp"]["confirmed"] if a["totp"] else False
        choices = ["regenerate"]
        if not totp:
            choices += ["enrol_totp"] * 3
        if totp and a["passkeys"]:
            choices += ["delete_totp"] * 2
        if len(a["passkeys"]) < 3:
            choices += ["add_passkey"] * 2
        if len(a["passkeys"]) >= 2 or (a["passkeys"] and totp):
            choices.append("remove_passkey")
        choice = self.rng.choice(choices)
        if choice == "regenerate":
            answer = self.op("regenerate", "POST", "/api/v1/account/recovery-codes", params={"old": a["codes"]})
            self.new_codes(answer.json.get("recoveryCodes"), "regenerate")
        elif choice == "enrol_totp":
            self.enrol_totp(first=False)
        elif choice == "delete_totp":
            self.op("delete_totp", "DELETE", "/api/v1/account/totp", expect=204, params={"secret": a["totp"]["secret"], "last": a["totp"]["last"]})
            a["totp"] = None
        elif choice == "add_passkey":
            if a["passkeys"] and not self.passkey_fresh:
                self.passkey_step(self.rng.choice(a["passkeys"]))  # adding to an account with passkeys needs one
            self.add_passkey(first=False)
        else:
            passkey = self.rng.choice(a["passkeys"])
            self.op("remove_passkey", "DELETE", f"/api/v1/account/passkeys/{passkey['id']}", expect=204, params={"passkey": passkey})
            a["passkeys"].remove(passkey)

    def new_codes(self, codes, what):
        a = self.account
        if not isinstance(codes, list) or len(codes) != 10:
            self.note(f"{what}: expected 10 new recovery codes, got {codes!r:.200}")
            raise Failure()
        if a["codes"]:
            a["old_codes"] = a["codes"][:3]
        a["codes"] = list(codes)
        a["codes_left"] = 10

    def enrol_totp(self, first):
        a = self.account
        answer = self.op("start_totp", "POST", "/api/v1/account/totp", params={"previous": a["totp"]})
        secret = answer.json.get("secret")
        a["totp"] = {"secret": secret, "confirmed": False, "last": None}
        if self.rng.random() < 0.15:
            return  # leave it pending: a later code for it must be refused at sign-in
        step = usable_step(None, reserve_next=True)
        answer = self.op("confirm_totp", "POST", "/api/v1/account/totp/confirm", {"code": totp_code(secret, step)},
                         params={"secret": secret, "step": step, "first": first})
        a["totp"] = {"secret": secret, "confirmed": True, "last": step}
        self.session = "authenticated"
        if first:
            self.new_codes(answer.json.get("recoveryCodes"), "the first factor (authenticator app)")
        elif "recoveryCodes" in answer.json:
            self.note("confirming a second factor replaced the recovery codes")

    def add_passkey(self, first):
        a = self.account
        options = self.op("passkey_options", "POST", "/api/v1/account/passkeys/options").json
        passkey = SoftPasskey.new(self.rng)
        credential = SoftPasskey.register(passkey, options, self.api.origin)
        answer = self.op("add_passkey", "POST", "/api/v1/account/passkeys", {"credential": credential, "name": "crash"},
                         expect=201, params={"passkey": passkey, "first": first})
        a["passkeys"].append(passkey)
        self.passkey_fresh = self.passkey_fresh or first
        self.session = "authenticated"
        if first:
            self.new_codes(answer.json.get("recoveryCodes"), "the first factor (passkey)")
        elif "recoveryCodes" in answer.json:
            self.note("adding a second passkey replaced the recovery codes")

    # -- verify ---------------------------------------------------------------------------------

    def expect(self, answer, status, what):
        if answer.status != status:
            self.note(f"{what}: answered {answer.summary()} (expected {status})")
            raise Failure()
        return answer

    def call(self, method, path, body=None):
        answer = self.api.call(method, path, body, self.cookie)
        if answer.cookie is not None:
            self.cookie = answer.cookie or None
        return answer

    def verify(self):
        a = self.account
        last = a["last_op"] or {}
        cut = last.get("op")
        if cut and not last.get("unexpected"):
            self.count(f"cut off {cut}{' (first factor)' if last.get('first') else ''}")
        if not a["exists"] and cut != "signup":
            return
        answer = self.call("POST", "/api/v1/session", {"username": a["name"], "password": a["password"]})
        if cut == "signup" and answer.status == 401:
            self.count("resolved signup: absent")
            a["last_op"] = None
            a["exists"] = False
            return
        self.expect(answer, 200, "signing in with the password (sign-up acknowledged)" if cut != "signup" else "signing in after an unanswered sign-up")
        if cut == "signup":
            self.count("resolved signup: complete")
            a["exists"] = True
        state, methods = answer.json.get("state"), answer.json.get("methods", [])
        authenticated = False

        # The authenticator app: one of the model's states, whole.
        totp_listed = "totp" in methods
        model_totp = a["totp"]
        if cut == "confirm_totp":
            self.count(f"resolved confirm_totp: {'committed' if totp_listed else 'not committed'}")
            model_totp = {"secret": last["secret"], "confirmed": totp_listed, "last": last["step"] if totp_listed else None}
        elif cut == "delete_totp":
            self.count(f"resolved delete_totp: {'not committed' if totp_listed else 'committed'}")
            model_totp = {"secret": last["secret"], "confirmed": True, "last": last["last"]} if totp_listed else None
        elif cut == "start_totp":
            # Started while nothing was confirmed: a pending secret we may never have seen.
            model_totp = {"secret": None, "confirmed": False, "last": None}
            pending = [last["previous"]["secret"]] if last.get("previous") and last["previous"].get("secret") else []
        confirmed = bool(model_totp and model_totp["confirmed"])
        if totp_listed != confirmed:
            self.note(f"the password step lists {methods}: an authenticator app {'appeared' if totp_listed else 'vanished'} "
                      f"(model: {model_totp and {k: model_totp[k] for k in ('confirmed', 'last')}}, cut off: {cut})")
            raise Failure()
        if not confirmed:
            secrets = [model_totp["secret"]] if model_totp and model_totp["secret"] else []
            if cut == "start_totp":
                secrets += pending
            for secret in secrets:
                # A pending (never confirmed) secret must not work at sign-in.
                code = totp_code(secret, int(time.time() // STEP))
                refused = self.call("POST", "/api/v1/session/totp", {"code": code})
                if refused.status != 422:
                    self.note(f"a code for an unconfirmed authenticator secret answered {refused.summary()} at sign-in (expected 422; cut off: {cut})")
                    raise Failure()
        else:
            # Every code is accepted once and only inside ±1 step, so an account has about one
            # code per 30 s. When its steps are used up the code check waits only if the cut-off
            # request concerned the authenticator, when nothing else signs in, or in the final
            # check if no check after a restart has seen a code for this secret work yet;
            # otherwise it is left for a later check.
            step = usable_step(model_totp["last"])
            if step is None and ((self.thorough and not model_totp.get("checked"))
                                 or cut in ("confirm_totp", "delete_totp", "totp_sign_in")
                                 or not (a["passkeys"] or a["codes"])):
                step = wait_for_step(model_totp["last"])
                if step is None:
                    self.note("no authenticator step usable after waiting a whole period")
                    raise Failure()
            if step is None:
                self.count("authenticator code check left for later (steps used up)")
            else:
                model_totp["last"] = step
                signed_in = self.call("POST", "/api/v1/session/totp", {"code": totp_code(model_totp["secret"], step)})
                self.expect(signed_in, 200, f"signing in with the password and a current authenticator code (cut off: {cut})")
                self.count("authenticator code checked")
                model_totp["checked"] = True
                authenticated = True
        a["totp"] = model_totp

        # Passkeys: every acknowledged one signs in; a cut-off addition or removal is all or nothing.
        candidates = list(a["passkeys"])
        if cut == "add_passkey":
            candidates.append(last["passkey"])
        for passkey in candidates:
            options = self.expect(self.call("POST", "/api/v1/session/webauthn/options", {}), 200, "passkey options")
            result = self.call("POST", "/api/v1/session/webauthn", SoftPasskey.assert_(passkey, options.json, self.api.origin, self.rng))
            questioned = cut in ("remove_passkey", "add_passkey") and passkey["id"] == last["passkey"]["id"]
            if questioned:
                present = result.status == 200
                self.count(f"resolved {cut}: {'committed' if present == (cut == 'add_passkey') else 'not committed'}")
                if present and cut == "add_passkey":
                    a["passkeys"].append(passkey)
                elif not present and cut == "remove_passkey":
                    a["passkeys"] = [p for p in a["passkeys"] if p["id"] != passkey["id"]]
                if not present:
                    if result.status != 401:
                        self.note(f"a passkey that is {'not added' if cut == 'add_passkey' else 'removed'} answered {result.summary()}")
                        raise Failure()
                    continue
            self.expect(result, 200, "signing in with an acknowledged passkey")
            authenticated = True
        if ("passkey" in methods) != bool(a["passkeys"]):
            self.note(f"the password step lists {methods}, the model has {len(a['passkeys'])} passkeys (cut off: {cut})")
            raise Failure()

        # Recovery codes.
        first_factor = cut in ("confirm_totp", "add_passkey") and last.get("first")
        committed_first = first_factor and has_factor(a)
        overview = self.expect(self.call("GET", "/api/v1/account"), 200, "the account overview").json.get("secondFactors", {})
        left = overview.get("recoveryCodesLeft")
        if ("recovery-code" in methods) != (has_factor(a) and isinstance(left, int) and left > 0):
            self.note(f"the password step lists {methods} with {left} recovery codes left")
            raise Failure()
        if overview.get("totp") != bool(a["totp"] and a["totp"]["confirmed"]) or sorted(p.get("id") for p in overview.get("passkeys", [])) != sorted(p["id"] for p in a["passkeys"]):
            self.note(f"the account overview {overview} disagrees with the password step")
            raise Failure()
        if committed_first:
            # The first factor is committed: its recovery codes must be there too, all ten.
            if left != 10:
                self.note(f"the first factor ({cut}, unanswered) is active, but the account holds {left} recovery codes, not 10: a half-finished enrolment")
                raise Failure()
            a["old_codes"] = (a["codes"] or [])[:3]
            a["codes"], a["codes_left"] = None, 10
        elif cut == "regenerate":
            old = a["codes"] or []
            kept = None
            if old:
                answer = self.call("POST", "/api/v1/session/recovery-code", {"code": old[0]})
                kept = answer.status == 200
                if answer.status not in (200, 401):
                    self.note(f"an old recovery code answered {answer.summary()}")
                    raise Failure()
                if kept:
                    authenticated = True
                    a["codes"] = old[1:]
            else:
                kept = left == a["codes_left"] and left != 10
            self.count(f"resolved regenerate: {'not committed' if kept else 'committed'}")
            expected = len(old) if kept else 10
            if left != expected:
                self.note(f"recovery codes left {left} after an unanswered regeneration; expected {expected} ({'old set kept' if kept else 'new set'}): a mixed set")
                raise Failure()
            if kept:
                a["codes_left"] = len(a["codes"])
            else:
                a["old_codes"] = old[:3]
                a["codes"], a["codes_left"] = None, 10
            left = a["codes_left"]
        elif cut == "recovery_sign_in":
            code = last["code"]
            a["codes"] = [c for c in (a["codes"] or []) if c != code]
            a["codes_left"] -= 1  # used now, by the cut-off request or by the check below
            if left not in (a["codes_left"], a["codes_left"] + 1):
                self.note(f"recovery codes left {left}, expected {a['codes_left']} or {a['codes_left'] + 1} (one was being used)")
                raise Failure()
            answer = self.call("POST", "/api/v1/session/recovery-code", {"code": code})
            self.count(f"resolved recovery_sign_in: {'not committed' if answer.status == 200 else 'committed'}")
            if (answer.status == 200) != (left == a["codes_left"] + 1):
                self.note(f"recovery code cut off in use answered {answer.summary()} with {left} left")
                raise Failure()
            if answer.status == 200:
                authenticated = True
            left = a["codes_left"]
        if left != a["codes_left"] and not (cut == "recovery_sign_in"):
            self.note(f"recovery codes left {left}, the model expects {a['codes_left']} (cut off: {cut})")
            raise Failure()
        if cut == "recovery_sign_in":
            left = self.expect(self.call("GET", "/api/v1/account"), 200, "the account overview").json["secondFactors"]["recoveryCodesLeft"]
            if left != a["codes_left"]:
                self.note(f"recovery codes left {left} after checking the cut-off code, expected {a['codes_left']}")
                raise Failure()
        a["last_op"] = None

        if has_factor(a) and not authenticated and a["codes"]:
            code = a["codes"].pop(0)
            self.expect(self.call("POST", "/api/v1/session/recovery-code", {"code": code}), 200, "a current recovery code")
            a["codes_left"] -= 1
            authenticated = True
        if has_factor(a) and not authenticated:
            self.note("has a second factor but could not complete a sign-in with it")
            raise Failure()
        if not has_factor(a):
            if state != "enrolment-required":
                self.note(f"no factor, but the password step answered state {state}")
                raise Failure()
            a["cookie"], a["session"] = self.cookie, state
            return
        for code in a["old_codes"][:1]:
            answer = self.call("POST", "/api/v1/session/recovery-code", {"code": code})
            if answer.status != 401:
                self.note(f"a recovery code of a replaced set answered {answer.summary()} (expected 401)")
                raise Failure()
        a["old_codes"] = []
        if a["codes"] and len(a["codes"]) > 3 and self.rng.random() < 0.5:
            code = a["codes"].pop(0)
            self.expect(self.call("POST", "/api/v1/session/recovery-code", {"code": code}), 200, "a current recovery code")
            a["codes_left"] -= 1
        if a["codes"] is None or len(a["codes"]) <= 3:
            old = a["codes"]
            answer = self.expect(self.call("POST", "/api/v1/account/recovery-codes"), 200, "regenerating recovery codes")
            self.new_codes(answer.json.get("recoveryCodes"), "regenerate")
            if old is None:
                a["old_codes"] = []
        a["cookie"], a["session"] = self.cookie, "authenticated"


# ---------------------------------------------------------------------------------------------


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return {"accounts": {}, "slots": [], "retired": [], "stats": {}, "problems": []}


def save(path, state):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(state, f)
    os.replace(tmp, path)


def mutate(args):
    state = load(args.state)
    rng = random.Random(args.seed)
    api = API(args.port, args.origin)
    while len(state["slots"]) < args.clients:
        state["slots"].append(None)
    for i, name in enumerate(state["slots"]):
        if name is None or name not in state["accounts"] or rng.random() < 0.2:
            if name in state["accounts"]:
                state["retired"].append(name)
            name = f"si{args.iteration}c{i}"
            state["accounts"][name] = {
                "name": name, "password": "pw-" + b64url(rng.randbytes(12)), "exists": False, "totp": None, "passkeys": [],
                "codes": [], "codes_left": 0, "old_codes": [], "last_op": None, "cookie": None, "session": None,
            }
            state["slots"][i] = name
    problems, lock = [], threading.Lock()
    # --ready-file is created once every client has its account (its sign-up answered): most
    # iterations start the kill clock there, so that the slow sign-ups don't take every kill.
    waiting = [args.clients]

    def signed_up():
        with lock:
            waiting[0] -= 1
            if waiting[0] == 0 and args.ready_file:
                open(args.ready_file, "w").close()

    def client(i):
        stats = {}
        c = Client(api, state["accounts"][state["slots"][i]], random.Random(rng.random()), problems, stats)
        try:
            c.run(signed_up)
        except (Unanswered, Failure):
            pass
        except Exception as error:  # a bug of this script: say so, don't hide it
            problems.append(f"client {i}: {error!r}")
        with lock:
            for k, v in stats.items():
                state["stats"][k] = state["stats"].get(k, 0) + v

    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    state["problems"] += [f"(before the kill) {p}" for p in problems]
    save(args.state, state)
    cut = [state["accounts"][n]["last_op"]["op"] for n in state["slots"] if state["accounts"][n]["last_op"]]
    print(f"cut off: {' '.join(sorted(cut)) or 'nothing'}")


def verify(args):
    state = load(args.state)
    rng = random.Random(args.seed)
    api = API(args.port, args.origin)
    names = [n for n in state["slots"] if n in state["accounts"]]
    retired = [n for n in state["retired"] if state["accounts"][n]["exists"]]
    if args.all:
        names += retired
    else:
        # A few earlier accounts, to see that later crashes don't lose them; only ones whose
        # authenticator has a step left now (they don't wait for the next period).
        ready = [n for n in retired if not (state["accounts"][n]["totp"] or {}).get("confirmed")
                 or usable_step(state["accounts"][n]["totp"]["last"]) is not None]
        names += rng.sample(ready, min(2, len(ready)))
    problems = list(state["problems"])
    state["problems"] = []
    stats = {}
    lock = threading.Lock()

    def check(name):
        local = {}
        c = Client(api, state["accounts"][name], random.Random(rng.random()), problems, local, thorough=args.all)
        try:
            c.verify()
        except Failure:
            state["accounts"][name]["last_op"] = None
            state["accounts"][name]["broken"] = True
        except Unanswered as error:
            problems.append(f"{name}: no answer from the restarted server: {error}")
        with lock:
            for k, v in local.items():
                stats[k] = stats.get(k, 0) + v

    # Accounts a check found broken are reported once, then left out (their model can't follow).
    names = [n for n in names if not state["accounts"][n].get("broken")]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        for future in [pool.submit(check, n) for n in names]:
            future.result()
    for n in names:
        if state["accounts"][n].get("broken") and n in state["slots"]:
            state["slots"][state["slots"].index(n)] = None
    for k, v in stats.items():
        state["stats"][k] = state["stats"].get(k, 0) + v
    save(args.state, state)
    if args.summary:
        s = state["stats"]
        answered = sum(v for k, v in s.items() if k.startswith("answered "))
        cut = sorted((k[8:], v) for k, v in s.items() if k.startswith("cut off "))
        resolved = sorted((k[9:], v) for k, v in s.items() if k.startswith("resolved "))
        accounts = sum(1 for a in state["accounts"].values() if a["exists"])
        checked = sum(1 for n in names if state["accounts"][n]["exists"] and not state["accounts"][n].get("broken"))
        deferred = s.get("authenticator code check left for later (steps used up)", 0)
        print(f"sign-in: {answered} requests answered; cut off by the kill: {', '.join(f'{v}×{k}' for k, v in cut) or 'none'}; "
              f"resolved after the restart: {', '.join(f'{k} {v}' for k, v in resolved) or 'none'}; "
              f"{s.get('authenticator code checked', 0)} authenticator codes checked ({deferred} checks left for later); "
              f"{accounts} accounts, {checked} checked at the end")
    for p in problems:
        print(f"{args.label}: {p}")
    return 1 if problems else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["mutate", "verify"])
    parser.add_argument("--state", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--origin", required=True)
    parser.add_argument("--iteration", type=int, default=0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--label", default="verify")
    parser.add_argument("--all", action="store_true")
    parser.add_argument("--summary", action="store_true")
    parser.add_argument("--ready-file")
    args = parser.parse_args()
    if args.command == "mutate":
        mutate(args)
        return 0
    return verify(args)


if __name__ == "__main__":
    sys.exit(main())
