#!/usr/bin/env python3
"""Bulwark's pages in a real browser: headless Chromium with a virtual passkey authenticator.

Run by BrowserEndToEndTests.swift against a running `bulwark serve --base-url http://localhost:PORT`:

  passkey_flow.py --base-url http://localhost:PORT --out DIR

The flow: sign up; add a passkey on the account page (first factor: recovery codes shown once);
sign out; sign in with the passkey alone (no username typed); add an authenticator app from the
secret shown on the enrolment page, confirmed with a pyotp code; sign out; sign in with password
and an authenticator code; sign out; sign in with password and a recovery code; claim a scope and
create an API token on the account page.

Writes DIR/results.json ({"username","token","otpauthURI","scope",...}) and screenshots:
home.png, sign-up.png, recovery-codes.png, sign-in.png, second-step.png, totp-enrolment.png,
totp-qr.png, account.png, security-log.png.
Exit status 0 when every step passed. Needs selenium and pyotp (the venv scripts/test makes),
/usr/bin/chromium and /usr/bin/chromedriver; the browser and the steps flows share are in
browser_support.py, next to this script.
"""
import argparse
import os
import sys
import time

import pyotp
from selenium.webdriver.common.by import By

from browser_support import BrowserPage, add_authenticator, make_driver, make_logger, run_flow

USERNAME = "mona"
EMAIL = "mona@example.com"

log = make_logger("passkey_flow")


class Flow(BrowserPage):
    def __init__(self, driver, base, out):
        super().__init__(driver, base, out, USERNAME, log)
        self.results = {"username": USERNAME, "steps": []}

    def step(self, name):
        log(name)
        self.results["steps"].append(name)

    def sign_out(self):
        super().sign_out()
        assert "Sign in" in self.driver.find_element(By.TAG_NAME, "header").text

    # The flow.
    def run(self):
        self.step("sign up")
        self.open("/")
        assert "registry" in self.driver.page_source
        self.screenshot("home.png")
        self.open("/sign-up")
        self.screenshot("sign-up.png")
        self.submit_sign_up(EMAIL)
        assert "requires a second factor" in self.driver.page_source

        self.step("add a passkey on the account page")
        codes = self.add_first_passkey("Laptop", screenshot="recovery-codes.png")
        self.results["recoveryCodes"] = len(codes)
        rows = self.driver.find_elements(By.CSS_SELECTOR, "button[data-remove-passkey]")
        assert [r.get_attribute("data-name") for r in rows] == ["Laptop"], "the new passkey is not listed"
        self.sign_out()

        self.step("sign in with the passkey only")
        self.open("/sign-in")
        self.screenshot("sign-in.png")
        self.click("#passkey-sign-in")
        self.wait_for_path("/account")
        assert USERNAME in self.driver.find_element(By.TAG_NAME, "main").text
        last_used = self.driver.find_element(By.CSS_SELECTOR, "main table tbody tr td:nth-child(3)").text
        assert last_used != "never", "the passkey's last use is not shown"

        self.step("add an authenticator app")
        self.click("#add-totp")
        self.wait_for_path("/account/totp")
        secret = self.driver.find_element(By.ID, "totp-secret").text.replace(" ", "")
        uri = self.driver.find_element(By.ID, "otpauth-link").get_attribute("href")
        assert f"secret={secret}" in uri, f"{uri} does not carry the secret shown"
        self.results["otpauthURI"] = uri
        self.full_screenshot("totp-enrolment.png")
        self.driver.find_element(By.CSS_SELECTOR, "figure.qr svg").screenshot(os.path.join(self.out, "totp-qr.png"))
        totp = pyotp.TOTP(secret)
        self.fill("confirm-code", totp.now())
        self.click("#confirm-totp-form button[type=submit]")
        # Not the first factor: no new recovery codes, straight back to the account page.
        self.wait_for_path("/account")
        assert self.driver.find_element(By.CSS_SELECTOR, ".pill.on").text == "Active"
        self.sign_out()

        self.step("sign in with password and an authenticator code")
        self.password_step()
        self.screenshot("second-step.png")
        # The code just used for the confirmation can't be replayed: take the next time step's,
        # which the server accepts (±1 step) and which is newer than the one it saw.
        self.fill("totp-code", totp.at(time.time() + 30))
        self.click("#totp-form button[type=submit]")
        self.wait_for_path("/account")
        self.sign_out()

        self.step("sign in with password and a recovery code")
        # Read the codes shown at enrolment from the results, not the page (they are gone).
        self.sign_in_with_recovery_code(codes[0])
        left = self.driver.find_element(By.ID, "recovery-codes-left").text
        assert left == "9", f"expected 9 recovery codes left, the page says {left}"

        self.step("claim a scope and create an API token")
        token = self.claim_scope_and_create_token(USERNAME)
        self.results["token"] = token
        self.results["scope"] = USERNAME
        self.open("/account")
        assert self.driver.find_elements(By.CSS_SELECTOR, "button[data-revoke-token]"), "the token is not listed"
        assert token not in self.driver.page_source, "the account page shows a token's secret"
        self.full_screenshot("account.png")

        self.step("security log")
        self.open("/account/security-log")
        page = self.driver.find_element(By.TAG_NAME, "main").text
        for label in ("Signed in", "Factor added", "Recovery code used", "Token created"):
            assert label in page, f"the security log has no '{label}' entry"
        self.full_screenshot("security-log.png")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--out", required=True)
    arguments = parser.parse_args()
    os.makedirs(arguments.out, exist_ok=True)

    driver = make_driver()
    flow = Flow(driver, arguments.base_url, arguments.out)

    def run():
        add_authenticator(driver)
        flow.run()

    def save_failure():
        flow.screenshot("failure.png")
        with open(os.path.join(arguments.out, "failure.html"), "w") as f:
            f.write(driver.page_source)
        for entry in driver.get_log("browser"):
            log(f"browser console: {entry}")

    return run_flow(run, flow.results, arguments.out, save_failure, driver.quit, log)


if __name__ == "__main__":
    sys.exit(main())
