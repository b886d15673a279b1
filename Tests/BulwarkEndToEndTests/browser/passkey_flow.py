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
/usr/bin/chromium and /usr/bin/chromedriver.
"""
import argparse
import json
import os
import sys
import time
import traceback

import pyotp
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.virtual_authenticator import VirtualAuthenticatorOptions
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

USERNAME = "mona"
PASSWORD = "correct horse battery staple"
EMAIL = "mona@example.com"


def log(message):
    print(f"[passkey_flow] {message}", flush=True)


def make_driver():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("BULWARK_CHROMIUM", "/usr/bin/chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--no-first-run", "--no-default-browser-check", "--window-size=1200,1000",
                     "--force-device-scale-factor=1"):
        options.add_argument(argument)
    # An explicit driver path keeps Selenium Manager from trying to download one.
    service = Service(executable_path=os.environ.get("BULWARK_CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_script_timeout(30)
    return driver


def add_authenticator(driver):
    """A CTAP2 platform authenticator with resident keys and user verification (always verified)."""
    options = VirtualAuthenticatorOptions()
    options.protocol = VirtualAuthenticatorOptions.Protocol.CTAP2
    options.transport = VirtualAuthenticatorOptions.Transport.INTERNAL
    options.has_resident_key = True
    options.has_user_verification = True
    options.is_user_verified = True
    options.is_user_consenting = True
    driver.add_virtual_authenticator(options)


class Flow:
    def __init__(self, driver, base, out):
        self.driver, self.base, self.out = driver, base.rstrip("/"), out
        self.results = {"username": USERNAME, "steps": []}

    # Helpers.
    def wait(self, condition, timeout=20):
        return WebDriverWait(self.driver, timeout).until(condition)

    def wait_for_path(self, path, timeout=20):
        def at_path(driver):
            url = driver.current_url
            return url.split("?")[0].split("#")[0] == self.base + path
        try:
            self.wait(at_path, timeout)
        except Exception:
            raise AssertionError(f"expected to reach {path}, still at {self.driver.current_url}; "
                                 f"page says: {self.visible_status()}")
        self.wait(lambda d: d.execute_script("return document.readyState") == "complete")

    def visible_status(self):
        texts = [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, ".status") if e.text.strip()]
        return " | ".join(texts) or "(no status message)"

    def open(self, path):
        self.driver.get(self.base + path)
        self.wait(lambda d: d.execute_script("return document.readyState") == "complete")

    def fill(self, element_id, value):
        field = self.driver.find_element(By.ID, element_id)
        field.clear()
        field.send_keys(value)

    def click(self, selector):
        self.driver.find_element(By.CSS_SELECTOR, selector).click()

    def screenshot(self, name):
        path = os.path.join(self.out, name)
        self.driver.save_screenshot(path)
        log(f"screenshot {path}")

    def full_screenshot(self, name):
        """The whole page, however long: resize the window to the document's height first."""
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(1200, max(1000, min(height + 40, 4000)))
        self.screenshot(name)
        self.driver.set_window_size(1200, 1000)

    def step(self, name):
        log(name)
        self.results["steps"].append(name)

    def sign_out(self):
        self.click("header button[data-sign-out]")
        self.wait_for_path("/")
        assert "Sign in" in self.driver.find_element(By.TAG_NAME, "header").text

    def password_step(self):
        self.open("/sign-in")
        self.fill("username", USERNAME)
        self.fill("password", PASSWORD)
        self.click("#sign-in-form button[type=submit]")
        self.wait_for_path("/sign-in/verify")

    # The flow.
    def run(self):
        self.step("sign up")
        self.open("/")
        assert "registry" in self.driver.page_source
        self.screenshot("home.png")
        self.open("/sign-up")
        self.screenshot("sign-up.png")
        self.fill("username", USERNAME)
        self.fill("email", EMAIL)
        self.fill("password", PASSWORD)
        self.click("#sign-up-form button[type=submit]")
        self.wait_for_path("/account")
        assert "requires a second factor" in self.driver.page_source

        self.step("add a passkey on the account page")
        self.fill("passkey-name", "Laptop")
        self.click("#add-passkey-form button[type=submit]")
        codes_box = self.wait(EC.visibility_of_element_located((By.ID, "recovery-codes")))
        codes = [li.text.strip() for li in codes_box.find_elements(By.CSS_SELECTOR, "ol li")]
        assert len(codes) == 10, f"expected 10 recovery codes, got {codes}"
        self.results["recoveryCodes"] = len(codes)
        self.screenshot("recovery-codes.png")
        self.click("#recovery-codes a.button")
        self.wait_for_path("/account")
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
        self.password_step()
        # Read the codes shown at enrolment from the results, not the page (they are gone).
        self.fill("recovery-code", codes[0])
        self.click("#recovery-form button[type=submit]")
        self.wait_for_path("/account")
        left = self.driver.find_element(By.ID, "recovery-codes-left").text
        assert left == "9", f"expected 9 recovery codes left, the page says {left}"

        self.step("claim a scope and create an API token")
        self.fill("scope-name", USERNAME)
        self.click("#claim-scope-form button[type=submit]")
        self.wait(EC.presence_of_element_located((By.ID, "owned-scopes")))
        self.fill("token-packages", f"{USERNAME}.*")
        self.fill("token-days", "7")
        self.click("#create-token-form button[type=submit]")
        token_box = self.wait(EC.visibility_of_element_located((By.ID, "new-token")))
        token = token_box.find_element(By.TAG_NAME, "code").text.strip()
        assert token.startswith("bwk_"), f"not a token: {token!r}"
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
    status = 1
    try:
        add_authenticator(driver)
        flow.run()
        flow.results["ok"] = True
        status = 0
    except Exception as error:  # report, with a screenshot of where it stopped
        flow.results["ok"] = False
        flow.results["error"] = f"{type(error).__name__}: {error}"
        traceback.print_exc()
        try:
            flow.screenshot("failure.png")
            with open(os.path.join(arguments.out, "failure.html"), "w") as f:
                f.write(driver.page_source)
            for entry in driver.get_log("browser"):
                log(f"browser console: {entry}")
        except Exception:
            pass
    finally:
        driver.quit()
        with open(os.path.join(arguments.out, "results.json"), "w") as f:
            json.dump(flow.results, f, indent=2)
    log("PASS" if status == 0 else f"FAIL: {flow.results.get('error')}")
    return status


if __name__ == "__main__":
    sys.exit(main())
