#!/usr/bin/env python3
"""A package's policy on its page, in a real browser: headless Chromium with virtual passkey authenticators.

Run by BrowserEndToEndTests.swift against a running `bulwark serve --base-url http://localhost:PORT`:

  package_policy_flow.py --base-url http://localhost:PORT --api-url http://127.0.0.1:PORT \
      --archive pkg.zip --out DIR

The flow (browser A is mona's, browser B hubot's, each with its own virtual authenticator; the
other requests go straight to the HTTP API, as a CI job or a script would):
  1. mona signs up in A, adds a passkey (keeping the recovery codes shown), signs in with it, claims
     the scope `mona` and creates a publish token on the account page.
  2. The token publishes mona.pkg 1.0.0 (201).
  3. hubot signs up through the API with an authenticator app (TOTP) only; mona invites hubot as a
     maintainer (through the page's own `api` helper, with her session); hubot accepts.
  4. On the package page mona asks for `secondFactor: passkey`: refused, and the page names hubot
     as the one without a passkey.
  5. In B hubot signs in with password + TOTP and adds a passkey on the account page.
  6. mona asks again: accepted (the page and GET …/security say `passkey`); then she sets
     `publishing: approval`.
  7. The token publishes 1.1.0: 202, staged, invisible to the registry API.
  8. mona signs in again with her password and a recovery code (so her session has no fresh
     passkey), clicks Approve on the package page, and the step-up panel asks for a passkey: the
     virtual authenticator answers, and 1.1.0 is published (listed by the registry API, the staged
     status URL answers 301).

Writes DIR/results.json ({"ok", "steps", "error"?, ...}) and screenshots: policy-form.png,
policy-refused.png, hubot-passkey.png, policy-passkey.png, approve-step-up.png, approved.png.
Exit status 0 when every step passed. Needs selenium and pyotp (the venv scripts/test makes),
/usr/bin/chromium and /usr/bin/chromedriver; the browser and the steps flows share are in
browser_support.py, next to this script.
"""
import argparse
import http.client
import json
import os
import sys
import time
import urllib.parse
import uuid

import pyotp
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from browser_support import PASSWORD, BrowserPage, add_authenticator, make_driver, make_logger, run_flow

PACKAGE_PAGE = "/packages/mona/pkg"
REGISTRY_JSON = "application/vnd.swift.registry.v1+json"

log = make_logger("package_policy_flow")


class HTTPResult:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body or b"{}")

    def __str__(self):
        return f"{self.status} {self.text[:500]}"


class Client:
    """Plain HTTP to the API (no redirects followed), with the session cookie kept by hand."""

    def __init__(self, api_url, origin):
        parts = urllib.parse.urlsplit(api_url)
        self.host, self.port, self.origin = parts.hostname, parts.port, origin
        self.session = None

    def request(self, method, path, json_body=None, headers=None, body=None, content_type=None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        sent = {"Accept": "application/json"}
        if self.session:
            sent["Cookie"] = f"bulwark_session={self.session}"
            sent["Origin"] = self.origin  # state-changing requests with the cookie must carry it
        if json_body is not None:
            body, content_type = json.dumps(json_body).encode(), "application/json"
        if content_type:
            sent["Content-Type"] = content_type
        sent.update(headers or {})
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            payload = response.read()
            headers = {name.lower(): value for name, value in response.getheaders()}
            for name, value in response.getheaders():
                if name.lower() == "set-cookie" and value.startswith("bulwark_session="):
                    self.session = value.split(";", 1)[0].split("=", 1)[1] or None
            return HTTPResult(response.status, headers, payload)
        finally:
            connection.close()

    def publish(self, token, version, archive):
        """`PUT /mona/pkg/{version}`, multipart, the way `swift package-registry publish` sends it."""
        boundary = "bulwark-" + uuid.uuid4().hex
        with open(archive, "rb") as f:
            zipped = f.read()
        metadata = json.dumps({"description": f"mona.pkg {version}, published with a token"}).encode()
        body = b"".join([
            f"--{boundary}\r\n".encode(),
            b'Content-Disposition: form-data; name="source-archive"; filename="pkg.zip"\r\n',
            b"Content-Type: application/zip\r\n\r\n", zipped, b"\r\n",
            f"--{boundary}\r\n".encode(),
            b'Content-Disposition: form-data; name="metadata"\r\n',
            b"Content-Type: application/json\r\n\r\n", metadata, b"\r\n",
            f"--{boundary}--\r\n".encode(),
        ])
        return self.request("PUT", f"/mona/pkg/{version}", body=body, content_type=f"multipart/form-data; boundary={boundary}",
                            headers={"Authorization": f"Bearer {token}", "Accept": REGISTRY_JSON})

    def registry_versions(self):
        listed = self.request("GET", "/mona/pkg", headers={"Accept": REGISTRY_JSON})
        assert listed.status == 200, f"GET /mona/pkg: {listed}"
        return sorted(listed.json().get("releases", {}).keys())

    def security(self):
        answer = self.request("GET", "/api/v1/packages/mona/pkg/security")
        assert answer.status == 200, f"GET …/security: {answer}"
        return answer.json()


class Page(BrowserPage):
    """One browser, signed in as one account."""

    poll_frequency = 0.1

    def __init__(self, driver, base, out, username):
        super().__init__(driver, base, out, username, log)

    def text_of(self, selector):
        """The element's text, or None while it is missing or being replaced by a reload."""
        try:
            return self.driver.find_element(By.CSS_SELECTOR, selector).text
        except Exception:
            return None

    def wait_for_text(self, selector, expected, timeout=20):
        try:
            self.wait(lambda d: expected in (self.text_of(selector) or ""), timeout)
        except Exception:
            raise AssertionError(f"{selector} never said {expected!r}: it says {self.text_of(selector)!r}; "
                                 f"page says: {self.visible_status()}")

    def screenshot(self, name):
        self.full_screenshot(name)

    def call_api(self, method, path, body=None):
        """The page's own `api` helper (bulwark.js), so the request carries this browser's session."""
        return self.driver.execute_async_script(
            """
            const [method, path, body, done] = arguments;
            api(method, path, body === null ? undefined : body).then(
              (json) => done({ ok: true, json }),
              (error) => done({ ok: false, status: error.status, type: error.type, detail: error.message }));
            """, method, path, body)

    def policy_pill(self, which):
        """The effective policy the page shows: 0 the second factor, 1 publishing (None mid-reload)."""
        try:
            pills = self.driver.find_elements(By.CSS_SELECTOR, "section[aria-labelledby=policy-title] .pill")
            return pills[which].text if len(pills) > which else None
        except Exception:
            return None

    def maintainers(self):
        rows = self.driver.find_elements(By.CSS_SELECTOR, "section[aria-labelledby=maintainers-title] tbody tr")
        return [tuple(td.text for td in row.find_elements(By.TAG_NAME, "td")) for row in rows]

    def submit_policy(self, second_factor, publishing):
        self.loaded()  # package.js (deferred) handles the form only once the page has loaded
        Select(self.driver.find_element(By.ID, "policy-second-factor")).select_by_value(second_factor)
        Select(self.driver.find_element(By.ID, "policy-publishing")).select_by_value(publishing)
        self.click("#policy-form button[type=submit]")

        def settled(driver):
            # One snapshot of the page (separate reads could straddle the script's update).
            try:
                return driver.execute_script("""
                    const status = document.getElementById("policy-status");
                    const panel = document.getElementById("step-up");
                    if (!status) return false;
                    if (status.textContent.trim()) return status.classList.contains("error") ? "refused" : "saved";
                    return panel && !panel.classList.contains("hidden") ? "step-up" : false;
                """)
            except Exception:  # the page reloading under us
                return False
        outcome = self.wait(settled, message="the policy form never answered")
        if outcome == "step-up":
            # Only if the session's second factor has gone stale meanwhile: the passkey answers it.
            log("the policy change asked for a step-up: using the passkey")
            self.click("#step-up-passkey")
            outcome = self.wait(lambda d: {"refused": "refused", "saved": "saved"}.get(settled(d), False),
                                message="no answer after the step-up")
        return outcome, self.text_of("#policy-status") or ""


class Flow:
    def __init__(self, base, api_url, archive, out):
        self.base, self.archive, self.out = base.rstrip("/"), archive, out
        self.api_url = api_url.rstrip("/")
        self.results = {"steps": []}
        self.drivers = []
        self.anonymous = Client(self.api_url, self.base)

    def step(self, name):
        log(name)
        self.results["steps"].append(name)

    def browser(self, username):
        driver = make_driver()
        self.drivers.append(driver)
        add_authenticator(driver)
        return Page(driver, self.base, self.out, username)

    def run(self):
        mona = self.browser("mona")

        self.step("mona signs up and adds a passkey")
        mona.open("/sign-up")
        mona.submit_sign_up("mona@example.com")
        codes = mona.add_first_passkey("Mona's laptop")
        mona.sign_out()
        mona.open("/sign-in")
        mona.click("#passkey-sign-in")
        mona.wait_for_path("/account")

        self.step("mona claims the scope and creates a publish token")
        token = mona.claim_scope_and_create_token("mona")

        self.step("the token publishes mona.pkg 1.0.0")
        published = self.anonymous.publish(token, "1.0.0", self.archive)
        assert published.status == 201, f"publish 1.0.0: {published}"

        self.step("hubot signs up with an authenticator app only (API)")
        hubot_api = Client(self.api_url, self.base)
        created = hubot_api.request("POST", "/api/v1/accounts", {"username": "hubot", "email": "hubot@example.com", "password": PASSWORD})
        assert created.status == 201, f"sign-up: {created}"
        signed_in = hubot_api.request("POST", "/api/v1/session", {"username": "hubot", "password": PASSWORD})
        assert signed_in.status == 200, f"sign-in: {signed_in}"
        enrolment = hubot_api.request("POST", "/api/v1/account/totp")
        assert enrolment.status in (200, 201), f"TOTP enrolment: {enrolment}"
        totp = pyotp.TOTP(enrolment.json()["secret"])
        confirmed = hubot_api.request("POST", "/api/v1/account/totp/confirm", {"code": totp.now()})
        assert confirmed.status == 200, f"TOTP confirmation: {confirmed}"

        self.step("mona invites hubot as a maintainer; hubot accepts")
        invited = mona.call_api("POST", "/api/v1/packages/mona/pkg/maintainers", {"username": "hubot", "role": "maintainer"})
        assert invited["ok"], f"invitation refused: {invited}"
        pending = hubot_api.request("GET", "/api/v1/invitations")
        assert pending.status == 200, f"invitations: {pending}"
        invitation = [i for i in pending.json()["invitations"] if i["package"] == "mona.pkg"]
        assert len(invitation) == 1, f"hubot's invitations: {pending}"
        accepted = hubot_api.request("POST", f"/api/v1/invitations/{invitation[0]['id']}/accept", {})
        assert accepted.status == 200, f"accept: {accepted}"

        self.step("mona asks for passkeys only: refused, hubot named")
        mona.open(PACKAGE_PAGE)
        maintainers = mona.maintainers()
        assert ("hubot", "maintainer") in maintainers, f"hubot is not listed as a maintainer: {maintainers}"
        assert mona.policy_pill(0) == "any", f"policy pill: {mona.policy_pill(0)}"
        mona.screenshot("policy-form.png")
        outcome, status = mona.submit_policy("passkey", "tokens")
        assert outcome == "refused", f"passkeys only was not refused: {outcome} {status!r}"
        assert "hubot" in status, f"the refusal doesn't name hubot: {status!r}"
        missing = mona.wait(EC.visibility_of_element_located((By.ID, "policy-missing")))
        rows = missing.find_elements(By.CSS_SELECTOR, "li")
        assert [r.get_attribute("data-username") for r in rows] == ["hubot"], f"missing list: {[r.text for r in rows]}"
        assert "authenticator app" in rows[0].text, f"the missing list doesn't say what hubot has: {rows[0].text!r}"
        self.results["refusal"] = status
        self.results["missing"] = rows[0].text
        mona.screenshot("policy-refused.png")
        mona.open(PACKAGE_PAGE)
        assert mona.policy_pill(0) == "any", "the refused policy was applied"
        assert self.anonymous.security()["policy"]["secondFactor"] != "passkey", "the refused policy was applied"

        self.step("hubot signs in with password + TOTP in another browser and adds a passkey")
        hubot = self.browser("hubot")
        hubot.password_step()
        # The code used for the enrolment can't be replayed: take the next time step's, which the
        # server accepts (±1 step) and which is newer than the one it saw.
        hubot.fill("totp-code", totp.at(time.time() + 30))
        hubot.click("#totp-form button[type=submit]")
        hubot.wait_for_path("/account")
        hubot.fill("passkey-name", "Hubot's key")
        hubot.click("#add-passkey-form button[type=submit]")
        # Not hubot's first factor: no recovery codes, the page reloads with the passkey listed.
        hubot.wait(lambda d: [b.get_attribute("data-name") for b in d.find_elements(By.CSS_SELECTOR, "button[data-remove-passkey]")] == ["Hubot's key"],
                   message="hubot's passkey is not listed")
        hubot.screenshot("hubot-passkey.png")
        hubot.driver.quit()
        self.drivers.remove(hubot.driver)

        self.step("mona asks for passkeys only again: accepted")
        mona.open(PACKAGE_PAGE)
        outcome, status = mona.submit_policy("passkey", "tokens")
        assert outcome == "saved", f"passkeys only was refused: {status!r}"
        mona.wait(lambda d: mona.policy_pill(0) == "passkey", message="the page doesn't show the passkey policy")
        mona.loaded()
        assert "accept only passkeys" in mona.text_of("section[aria-labelledby=policy-title]")
        security = self.anonymous.security()
        assert security["policy"]["secondFactor"] == "passkey", f"GET …/security: {security}"
        assert all(m["passkeys"] > 0 for m in security["owners"] + security["maintainers"]), f"GET …/security: {security}"
        self.results["securityAfterPasskey"] = security["policy"]
        mona.screenshot("policy-passkey.png")

        self.step("mona sets publishing: approval")
        outcome, status = mona.submit_policy("passkey", "approval")
        assert outcome == "saved", f"publishing: approval was refused: {status!r}"
        mona.wait(lambda d: mona.policy_pill(1) == "approval", message="the page doesn't show publishing: approval")
        mona.loaded()
        assert self.anonymous.security()["policy"]["publishing"] == "approval"

        self.step("the token publishes 1.1.0: staged")
        staged = self.anonymous.publish(token, "1.1.0", self.archive)
        assert staged.status == 202, f"publish 1.1.0 under approval: {staged}"
        location = staged.headers.get("location", "")
        status_path = urllib.parse.urlsplit(location).path
        assert "/staged/" in status_path, f"no status URL: {location!r}"
        waiting = self.anonymous.request("GET", status_path)
        assert waiting.status == 202, f"staged status: {waiting}"
        assert "1.1.0" not in self.anonymous.registry_versions(), "a staged version is listed"

        self.step("mona signs in with a recovery code and approves 1.1.0 with her passkey")
        mona.sign_out()
        mona.sign_in_with_recovery_code(codes[0])
        mona.open(PACKAGE_PAGE)
        approve = mona.driver.find_element(By.CSS_SELECTOR, "button[data-approve][data-version='1.1.0']")
        assert not mona.driver.find_elements(By.ID, "step-up-totp"), "a passkey policy offers a TOTP step-up"
        approve.click()
        panel = mona.wait(EC.visibility_of_element_located((By.ID, "step-up")),
                          message="approving without a fresh passkey didn't ask for one")
        assert "accepts only passkeys" in panel.text, f"step-up panel: {panel.text!r}"
        mona.screenshot("approve-step-up.png")
        mona.click("#step-up-passkey")
        mona.wait_for_text("#staged-status", "approved")
        mona.wait(lambda d: "approved by mona (passkey" in (mona.text_of("section[aria-labelledby=releases-title]") or ""),
                  message="the releases don't show 1.1.0 approved by mona with a passkey")
        assert "Nothing is waiting for approval." in mona.text_of("#staged")
        mona.screenshot("approved.png")

        self.step("the registry API lists 1.1.0")
        versions = self.anonymous.registry_versions()
        assert versions == ["1.0.0", "1.1.0"], f"registry lists {versions}"
        moved = self.anonymous.request("GET", status_path)
        assert moved.status == 301 and moved.headers.get("location", "").endswith("/mona/pkg/1.1.0"), f"staged status: {moved}"
        self.results["versions"] = versions

    def quit(self):
        for driver in self.drivers:
            try:
                driver.quit()
            except Exception:
                pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True, help="what the browser opens (the server's --base-url)")
    parser.add_argument("--api-url", help="where the API requests go (default: --base-url)")
    parser.add_argument("--archive", required=True, help="a source archive whose top directory is mona.pkg")
    parser.add_argument("--out", required=True)
    arguments = parser.parse_args()
    os.makedirs(arguments.out, exist_ok=True)

    flow = Flow(arguments.base_url, arguments.api_url or arguments.base_url, arguments.archive, arguments.out)

    def save_failure():  # a screenshot of where each browser stopped
        for index, driver in enumerate(flow.drivers):
            try:
                driver.save_screenshot(os.path.join(arguments.out, f"failure-{index}.png"))
                with open(os.path.join(arguments.out, f"failure-{index}.html"), "w") as f:
                    f.write(driver.page_source)
                for entry in driver.get_log("browser"):
                    log(f"browser {index} console: {entry}")
            except Exception:
                pass

    return run_flow(flow.run, flow.results, arguments.out, save_failure, flow.quit, log)


if __name__ == "__main__":
    sys.exit(main())
