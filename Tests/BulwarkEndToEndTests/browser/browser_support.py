"""What the browser flows share: headless Chromium with a virtual passkey authenticator, and a page
object with the steps every flow takes (sign up, first passkey, sign in, scope and token).

Imported by passkey_flow.py and package_policy_flow.py, which BrowserEndToEndTests.swift runs by
path (so this directory is on sys.path). Needs selenium (the venv scripts/test makes),
/usr/bin/chromium and /usr/bin/chromedriver.
"""
import json
import os
import traceback

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.virtual_authenticator import VirtualAuthenticatorOptions
from selenium.webdriver.support import expected_conditions as EC
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.support.ui import WebDriverWait

PASSWORD = "correct horse battery staple"


def make_logger(name):
    def log(message):
        print(f"[{name}] {message}", flush=True)
    return log


def run_flow(run, results, out, save_failure, quit, log):
    """Runs a flow's steps (`run()`) and returns the script's exit status: 0 when every step passed.
    On an error, `results` records it ("ok": false, "error") and `save_failure()` keeps what the
    browsers show; `quit()` closes them either way, then OUT/results.json is written."""
    status = 1
    try:
        run()
        results["ok"] = True
        status = 0
    except Exception as error:  # report, with a screenshot of where it stopped
        results["ok"] = False
        results["error"] = f"{type(error).__name__}: {error}"
        traceback.print_exc()
        try:
            save_failure()
        except Exception:
            pass
    finally:
        quit()
        with open(os.path.join(out, "results.json"), "w") as f:
            json.dump(results, f, indent=2)
    log("PASS" if status == 0 else f"FAIL: {results.get('error')}")
    return status


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


class BrowserPage:
    """One browser on Bulwark's pages, for one account (`username`)."""

    poll_frequency = 0.5  # WebDriverWait's default

    def __init__(self, driver, base, out, username, log):
        self.driver, self.base, self.out, self.username, self.log = driver, base.rstrip("/"), out, username, log

    def wait(self, condition, timeout=20, message=""):
        # A page that reloads while the condition looks at it ("aborted by navigation", a stale
        # element) is polled again rather than failing the step.
        return WebDriverWait(
            self.driver, timeout, poll_frequency=self.poll_frequency,
            ignored_exceptions=(NoSuchElementException, StaleElementReferenceException, WebDriverException),
        ).until(condition, message)

    def loaded(self):
        self.wait(lambda d: d.execute_script("return document.readyState") == "complete")

    def wait_for_path(self, path, timeout=20):
        def at_path(driver):
            return driver.current_url.split("?")[0].split("#")[0] == self.base + path
        try:
            self.wait(at_path, timeout)
        except Exception:
            raise AssertionError(f"expected to reach {path}, still at {self.driver.current_url}; "
                                 f"page says: {self.visible_status()}")
        self.loaded()

    def visible_status(self):
        texts = [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, ".status") if e.text.strip()]
        return " | ".join(texts) or "(no status message)"

    def open(self, path):
        self.driver.get(self.base + path)
        self.loaded()

    def fill(self, element_id, value):
        field = self.driver.find_element(By.ID, element_id)
        field.clear()
        field.send_keys(value)

    def click(self, selector):
        self.driver.find_element(By.CSS_SELECTOR, selector).click()

    def screenshot(self, name):
        path = os.path.join(self.out, name)
        self.driver.save_screenshot(path)
        self.log(f"screenshot {path}")

    def full_screenshot(self, name):
        """The whole page, however long: resize the window to the document's height first."""
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(1200, max(1000, min(height + 40, 4000)))
        BrowserPage.screenshot(self, name)
        self.driver.set_window_size(1200, 1000)

    # Steps.
    def sign_out(self):
        self.click("header button[data-sign-out]")
        self.wait_for_path("/")

    def submit_sign_up(self, email):
        """On /sign-up: the account's username, `email` and PASSWORD; lands on the account page."""
        self.fill("username", self.username)
        self.fill("email", email)
        self.fill("password", PASSWORD)
        self.click("#sign-up-form button[type=submit]")
        self.wait_for_path("/account")

    def add_first_passkey(self, name, screenshot=None):
        """On the account page, the account's first factor: returns the 10 recovery codes shown
        (after the optional screenshot of them), and is back on the account page."""
        self.fill("passkey-name", name)
        self.click("#add-passkey-form button[type=submit]")
        codes_box = self.wait(EC.visibility_of_element_located((By.ID, "recovery-codes")))
        codes = [li.text.strip() for li in codes_box.find_elements(By.CSS_SELECTOR, "ol li")]
        assert len(codes) == 10, f"expected 10 recovery codes, got {codes}"
        if screenshot:
            self.screenshot(screenshot)
        self.click("#recovery-codes a.button")
        self.wait_for_path("/account")
        return codes

    def password_step(self):
        self.open("/sign-in")
        self.fill("username", self.username)
        self.fill("password", PASSWORD)
        self.click("#sign-in-form button[type=submit]")
        self.wait_for_path("/sign-in/verify")

    def sign_in_with_recovery_code(self, code):
        self.password_step()
        self.fill("recovery-code", code)
        self.click("#recovery-form button[type=submit]")
        self.wait_for_path("/account")

    def claim_scope_and_create_token(self, scope):
        """On the account page: claims `scope`, creates a 7-day token for `scope.*`, returns it."""
        self.fill("scope-name", scope)
        self.click("#claim-scope-form button[type=submit]")
        self.wait(EC.presence_of_element_located((By.ID, "owned-scopes")))
        self.fill("token-packages", f"{scope}.*")
        self.fill("token-days", "7")
        self.click("#create-token-form button[type=submit]")
        token_box = self.wait(EC.visibility_of_element_located((By.ID, "new-token")))
        token = token_box.find_element(By.TAG_NAME, "code").text.strip()
        assert token.startswith("bwk_"), f"not a token: {token!r}"
        return token
