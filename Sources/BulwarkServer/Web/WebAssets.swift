/// The pages' only stylesheet and script, served from `/static/` so that the Content-Security-Policy
/// can forbid inline scripts and styles.
enum WebAssets {
    static let stylesheet = #"""
:root {
  --ink: #1d2330; --muted: #5b6476; --line: #d9dde5; --paper: #ffffff; --wash: #f5f6f9;
  --accent: #1f4fd1; --accent-dark: #173c9f; --danger: #b3261e; --ok: #1b6e3a; --warn-bg: #fff6db; --warn-line: #e8c763;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); background: var(--wash); line-height: 1.5;
}
* { box-sizing: border-box; }
body { margin: 0; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid #8fb0ff; outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 1rem; background: var(--paper); padding: .5rem; }
header.site { background: var(--ink); color: #fff; }
header.site .bar { max-width: 60rem; margin: 0 auto; padding: .75rem 1.25rem; display: flex; align-items: center; gap: 1rem; }
header.site .brand { color: #fff; font-weight: 700; font-size: 1.15rem; text-decoration: none; letter-spacing: .02em; }
header.site .brand span { color: #9db6ff; }
header.site nav { margin-left: auto; display: flex; gap: 1rem; align-items: center; }
header.site nav a { color: #dfe6ff; text-decoration: none; }
header.site nav a:hover { text-decoration: underline; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }
main.narrow { max-width: 28rem; }
h1 { font-size: 1.6rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 0 0 .75rem; }
h3 { font-size: 1rem; margin: 1.25rem 0 .5rem; }
p.lead { font-size: 1.1rem; color: var(--muted); }
.card { background: var(--paper); border: 1px solid var(--line); border-radius: 10px; padding: 1.25rem 1.25rem; margin: 0 0 1.25rem; }
label { display: block; font-weight: 600; margin: .75rem 0 .25rem; }
.card > label:first-child, .card > h2 + label { margin-top: 0; }
.hint { color: var(--muted); font-size: .9rem; margin: .25rem 0; }
input[type=text], input[type=email], input[type=password], input[type=number] {
  width: 100%; padding: .55rem .65rem; border: 1px solid #b9c0cc; border-radius: 6px; font: inherit; background: #fff;
}
select { width: 100%; padding: .5rem .6rem; border: 1px solid #b9c0cc; border-radius: 6px; font: inherit; background: #fff; }
input.code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; letter-spacing: .2em; font-size: 1.2rem; max-width: 12rem; }
input.code.wide { max-width: 20rem; letter-spacing: .08em; }
button, .button {
  display: inline-block; font: inherit; font-weight: 600; border-radius: 6px; border: 1px solid var(--accent);
  background: var(--accent); color: #fff; padding: .5rem 1rem; cursor: pointer; text-decoration: none; margin-top: .75rem;
}
button:hover, .button:hover { background: var(--accent-dark); }
button.secondary, .button.secondary { background: #fff; color: var(--accent); }
.button + .button { margin-left: .5rem; }
button.secondary:hover { background: #eef2ff; }
button.danger { background: #fff; color: var(--danger); border-color: var(--danger); }
button.danger:hover { background: #fdeeee; }
button.small { padding: .2rem .6rem; margin: 0; font-size: .9rem; }
.or { display: flex; align-items: center; gap: .75rem; color: var(--muted); margin: 1.25rem 0; }
.or::before, .or::after { content: ""; flex: 1; border-top: 1px solid var(--line); }
.status { margin: .75rem 0 0; min-height: 1.5rem; }
.status:empty { min-height: 0; margin: 0; }
.status.error { color: var(--danger); font-weight: 600; }
.status.ok { color: var(--ok); font-weight: 600; }
.notice { background: var(--warn-bg); border: 1px solid var(--warn-line); border-radius: 8px; padding: .75rem 1rem; margin: 0 0 1.25rem; }
table { border-collapse: collapse; width: 100%; font-size: .95rem; }
th, td { text-align: left; padding: .5rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: .85rem; text-transform: uppercase; letter-spacing: .03em; }
td.actions { text-align: right; white-space: nowrap; }
td.when { white-space: nowrap; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
.secret { font-size: 1.15rem; letter-spacing: .08em; word-break: break-all; background: var(--wash); padding: .5rem .75rem; border-radius: 6px; display: inline-block; }
.qr { margin: 0 0 1rem; }
.qr svg { width: 232px; height: 232px; display: block; border: 1px solid var(--line); border-radius: 8px; }
.enrol { display: grid; grid-template-columns: auto 1fr; gap: 1.5rem; align-items: start; }
@media (max-width: 40rem) { .enrol { grid-template-columns: 1fr; } }
ol.codes { columns: 2; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 1.1rem; padding-left: 2.75rem; }
.pill { display: inline-block; padding: .05rem .5rem; border-radius: 999px; font-size: .8rem; background: var(--wash); border: 1px solid var(--line); }
.pill.on { background: #e6f4ea; border-color: #a8d5b5; color: var(--ok); }
.row { display: flex; gap: .75rem; flex-wrap: wrap; align-items: end; }
.row > div { flex: 1 1 12rem; }
.hidden { display: none; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 1.25rem; }
@media (max-width: 48rem) { .grid2 { grid-template-columns: 1fr; } }
footer.site { max-width: 60rem; margin: 0 auto; padding: 0 1.25rem 2rem; color: var(--muted); font-size: .85rem; }
"""#

    static let script = #"""
// Bulwark's pages: every action goes through the JSON API (/api/v1) with fetch, same-origin, so
// the browser sends the Origin header the API checks. WebAuthn uses the JSON helpers of
// WebAuthn Level 3 (parseCreationOptionsFromJSON, parseRequestOptionsFromJSON, toJSON).
"use strict";

class ProblemError extends Error {
  constructor(problem, status) {
    super(problem.detail || ("request failed with status " + status));
    this.type = problem.type; this.status = status;
    this.problem = problem;  // the whole problem details: some carry more (e.g. `withoutPasskey`)
  }
}

async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: { "accept": "application/json" } };
  if (body !== undefined) { init.headers["content-type"] = "application/json"; init.body = JSON.stringify(body); }
  const response = await fetch(path, init);
  if (response.status === 204) return {};
  let json = {};
  try { json = await response.json(); } catch (_) { json = {}; }
  if (!response.ok) throw new ProblemError(json, response.status);
  return json;
}

function $(selector, root) { return (root || document).querySelector(selector); }
function $all(selector, root) { return Array.from((root || document).querySelectorAll(selector)); }

function say(element, message, kind) {
  if (!element) return;
  element.textContent = message;
  element.className = "status" + (kind ? " " + kind : "");
}

function describe(error) {
  if (error && error.name === "NotAllowedError") return "The passkey prompt was cancelled or timed out.";
  if (error && error.name === "InvalidStateError") return "This passkey is already registered.";
  return (error && error.message) || String(error);
}

function supportsPasskeys() {
  return window.PublicKeyCredential && typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function";
}

async function passkeyAssertion(username) {
  const options = await api("POST", "/api/v1/session/webauthn/options", username ? { username } : {});
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options);
  const credential = await navigator.credentials.get({ publicKey });
  return api("POST", "/api/v1/session/webauthn", credential.toJSON());
}

async function passkeyRegistration(name) {
  const options = await api("POST", "/api/v1/account/passkeys/options");
  const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(options);
  const credential = await navigator.credentials.create({ publicKey });
  return api("POST", "/api/v1/account/passkeys", { credential: credential.toJSON(), name });
}

function showRecoveryCodes(codes) {
  const box = $("#recovery-codes");
  if (!box || !codes) return false;
  const list = $("ol", box);
  list.textContent = "";
  for (const code of codes) { const item = document.createElement("li"); item.textContent = code; list.appendChild(item); }
  box.classList.remove("hidden");
  box.scrollIntoView();
  $("h2", box).focus();
  return true;
}

// Runs an action that may need a recent second factor; on `…/step-up-required` it shows the
// step-up panel, waits for a factor, then tries once more.
async function withStepUp(action) {
  try { return await action(); } catch (error) {
    if (!(error instanceof ProblemError) || !String(error.type).endsWith("/step-up-required")) throw error;
    await stepUp();
    return action();
  }
}

function stepUp() {
  const panel = $("#step-up");
  if (!panel) return Promise.reject(new Error("this action needs a recent second factor: sign in again"));
  panel.classList.remove("hidden");
  panel.scrollIntoView();
  const status = $(".status", panel);
  return new Promise((resolve) => {
    const done = () => { panel.classList.add("hidden"); say(status, ""); resolve(); };
    const form = $("#step-up-totp", panel);
    if (form) form.onsubmit = async (event) => {
      event.preventDefault();
      try { await api("POST", "/api/v1/session/totp", { code: form.code.value.trim() }); form.reset(); done(); }
      catch (error) { say(status, describe(error), "error"); }
    };
    const button = $("#step-up-passkey", panel);
    if (button) button.onclick = async () => {
      try { await passkeyAssertion(); done(); } catch (error) { say(status, describe(error), "error"); }
    };
  });
}

function onSubmit(id, handler) {
  const form = document.getElementById(id);
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = $(".status", form);
    const button = $("button[type=submit]", form);
    if (button) button.disabled = true;
    say(status, "");
    try { await handler(form, status); } catch (error) { say(status, describe(error), "error"); }
    finally { if (button) button.disabled = false; }
  });
}

function onClick(id, handler) {
  const button = document.getElementById(id);
  if (!button) return;
  button.addEventListener("click", async () => {
    const status = document.getElementById(button.dataset.status || "") || $(".status", button.parentElement);
    button.disabled = true;
    say(status, "");
    try { await handler(button, status); } catch (error) { say(status, describe(error), "error"); }
    finally { button.disabled = false; }
  });
}

// Sign-up: create the account, then sign in with the same password.
onSubmit("sign-up-form", async (form) => {
  const username = form.username.value.trim(), password = form.password.value;
  await api("POST", "/api/v1/accounts", { username, email: form.email.value.trim(), password });
  await api("POST", "/api/v1/session", { username, password });
  location.assign("/account");
});

// Sign-in, password step.
onSubmit("sign-in-form", async (form) => {
  const result = await api("POST", "/api/v1/session", { username: form.username.value.trim(), password: form.password.value });
  location.assign(result.state === "second-factor-required" ? "/sign-in/verify" : "/account");
});

// Sign-in with a passkey alone (discoverable credential: no username).
onClick("passkey-sign-in", async (button, status) => {
  if (!supportsPasskeys()) throw new Error("This browser cannot use passkeys.");
  say(status, "Waiting for your passkey…");
  await passkeyAssertion();
  location.assign("/account");
});

// Second step of a sign-in.
onSubmit("totp-form", async (form) => {
  await api("POST", "/api/v1/session/totp", { code: form.code.value.trim() });
  location.assign("/account");
});
onSubmit("recovery-form", async (form) => {
  await api("POST", "/api/v1/session/recovery-code", { code: form.code.value.trim() });
  location.assign("/account");
});
onClick("second-factor-passkey", async (button, status) => {
  say(status, "Waiting for your passkey…");
  await passkeyAssertion(button.dataset.username);
  location.assign("/account");
});

// Account page.
onSubmit("add-passkey-form", async (form, status) => {
  if (!supportsPasskeys()) throw new Error("This browser cannot use passkeys.");
  say(status, "Waiting for your authenticator…");
  const result = await passkeyRegistration(form.name.value.trim() || "Passkey");
  if (result.recoveryCodes) { say(status, "Passkey added.", "ok"); showRecoveryCodes(result.recoveryCodes); }
  else location.reload();
});
for (const button of $all("button[data-remove-passkey]")) {
  button.addEventListener("click", async () => {
    const status = $("#passkeys-status");
    if (!confirm("Remove the passkey “" + button.dataset.name + "”?")) return;
    try {
      await withStepUp(() => api("DELETE", "/api/v1/account/passkeys/" + encodeURIComponent(button.dataset.removePasskey)));
      location.reload();
    } catch (error) { say(status, describe(error), "error"); }
  });
}
onClick("remove-totp", async (button, status) => {
  if (!confirm("Remove your authenticator app?")) return;
  await withStepUp(() => api("DELETE", "/api/v1/account/totp"));
  location.reload();
});
onClick("regenerate-codes", async (button, status) => {
  const result = await withStepUp(() => api("POST", "/api/v1/account/recovery-codes"));
  say(status, "New recovery codes made; the old ones no longer work.", "ok");
  showRecoveryCodes(result.recoveryCodes);
});
onSubmit("claim-scope-form", async (form, status) => {
  await api("POST", "/api/v1/scopes", { name: form.name.value.trim() });
  location.reload();
});
onSubmit("create-token-form", async (form, status) => {
  const packages = form.packages.value.split(/[\s,]+/).filter(Boolean);
  const body = { name: form.name.value.trim() || undefined, scopes: ["publish"], packages, expiresInDays: Number(form.days.value || 90) };
  const result = await withStepUp(() => api("POST", "/api/v1/tokens", body));
  const box = $("#new-token");
  $("code", box).textContent = result.token;
  box.classList.remove("hidden");
  say(status, "Token created.", "ok");
});
for (const button of $all("button[data-revoke-token]")) {
  button.addEventListener("click", async () => {
    if (!confirm("Revoke this token? Anything using it stops working.")) return;
    try { await api("DELETE", "/api/v1/tokens/" + encodeURIComponent(button.dataset.revokeToken)); location.reload(); }
    catch (error) { say($("#tokens-status"), describe(error), "error"); }
  });
}
for (const button of $all("button[data-sign-out]")) {
  button.addEventListener("click", async () => {
    try { await api("DELETE", "/api/v1/session"); } finally { location.assign("/"); }
  });
}

// Authenticator-app enrolment.
onSubmit("confirm-totp-form", async (form, status) => {
  const result = await api("POST", "/api/v1/account/totp/confirm", { code: form.code.value.trim() });
  form.classList.add("hidden");
  $("#enrol-details") && $("#enrol-details").classList.add("hidden");
  if (!showRecoveryCodes(result.recoveryCodes)) location.assign("/account");
});
"""#
}
