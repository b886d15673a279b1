import Mustache

/// The pages' Mustache templates. `{{x}}` escapes HTML; the only unescaped values are the page
/// body (rendered from these templates) and the server-rendered QR code SVG.
enum WebTemplates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        let templates: [String: String] = [
            "layout": layout, "home": home, "sign-up": signUp, "sign-in": signIn, "verify": verify,
            "account": account, "totp": totp, "security-log": securityLog, "message": message,
        ]
        for (name, text) in templates {
            do { try library.register(text, named: name) } catch {
                preconditionFailure("the \(name) template does not parse: \(error)")
            }
        }
        return library
    }()

    static let layout = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}} · Bulwark</title>
<link rel="stylesheet" href="/static/bulwark.css">
<script src="/static/bulwark.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site">
  <div class="bar">
    <a class="brand" href="/">Bul<span>wark</span></a>
    <nav aria-label="Main">
      {{#signedIn}}
      <a href="/account">Account</a>
      <a href="/account/security-log">Security log</a>
      <button type="button" class="secondary small" data-sign-out>Sign out</button>
      {{/signedIn}}
      {{^signedIn}}
      <a href="/sign-in">Sign in</a>
      <a href="/sign-up">Sign up</a>
      {{/signedIn}}
    </nav>
  </div>
</header>
<main id="main"{{#narrow}} class="narrow"{{/narrow}}>
{{{body}}}
</main>
<footer class="site">Bulwark — a package registry where a stolen password is never enough to ship code.</footer>
</body>
</html>
"""#

    static let home = #"""
<h1>A registry where a password alone never ships code</h1>
<p class="lead">Bulwark is a Swift package registry. Every publish needs a scoped, expiring API token, and
every token needs a second factor: a passkey, an authenticator app, or a single-use recovery code.</p>
<div class="grid2">
  <section class="card" aria-labelledby="why">
    <h2 id="why">How your account is protected</h2>
    <ul>
      <li><strong>Passkeys</strong> with user verification sign you in on their own, no password typed.</li>
      <li><strong>Authenticator apps</strong> (TOTP): each code works once.</li>
      <li><strong>Recovery codes</strong> for the day you lose a device.</li>
      <li>No SMS or e-mail codes: whoever controls a phone number or mailbox could read them.</li>
    </ul>
  </section>
  <section class="card" aria-labelledby="start">
    <h2 id="start">Get started</h2>
    {{#signedIn}}
    <p>You are signed in as <strong>{{username}}</strong>.</p>
    <a class="button" href="/account">Your account</a>
    {{/signedIn}}
    {{^signedIn}}
    <p>Publish Swift packages with the unmodified <code>swift package-registry</code> client.</p>
    <a class="button" href="/sign-in">Sign in</a>
    {{#signUpOpen}}<a class="button secondary" href="/sign-up">Create an account</a>{{/signUpOpen}}
    {{/signedIn}}
  </section>
</div>
"""#

    static let signUp = #"""
<h1>Create an account</h1>
{{#open}}
<form id="sign-up-form" class="card" novalidate>
  <label for="username">Username</label>
  <input id="username" name="username" type="text" autocomplete="username" required maxlength="39" autocapitalize="none" spellcheck="false">
  <p class="hint">Letters, digits, single hyphens or underscores.</p>
  <label for="email">E-mail</label>
  <input id="email" name="email" type="email" autocomplete="email" required>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="new-password" required minlength="{{minimumPasswordLength}}" aria-describedby="password-hint">
  <p class="hint" id="password-hint">At least {{minimumPasswordLength}} characters. You will add a second factor next.</p>
  <button type="submit">Create account</button>
  <p class="status" role="status" aria-live="polite"></p>
</form>
<p>Already have an account? <a href="/sign-in">Sign in</a>.</p>
{{/open}}
{{^open}}
<p class="notice">Sign-up is closed on this registry: ask its operator for an account.</p>
{{/open}}
"""#

    static let signIn = #"""
<h1>Sign in</h1>
<section class="card" aria-labelledby="with-passkey">
  <h2 id="with-passkey">With a passkey</h2>
  <p class="hint">No username or password needed: your device checks it's you.</p>
  <button type="button" id="passkey-sign-in">Sign in with a passkey</button>
  <p class="status" role="status" aria-live="polite"></p>
</section>
<div class="or">or</div>
<form id="sign-in-form" class="card" novalidate>
  <h2>With your password</h2>
  <label for="username">Username</label>
  <input id="username" name="username" type="text" autocomplete="username" required autocapitalize="none" spellcheck="false">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <button type="submit">Continue</button>
  <p class="status" role="status" aria-live="polite"></p>
</form>
{{#signUpOpen}}<p>New here? <a href="/sign-up">Create an account</a>.</p>{{/signUpOpen}}
"""#

    static let verify = #"""
<h1>Confirm it's you</h1>
<p>Signing in as <strong>{{username}}</strong>. Use one of your second factors.</p>
{{#passkey}}
<section class="card" aria-labelledby="v-passkey">
  <h2 id="v-passkey">Passkey</h2>
  <button type="button" id="second-factor-passkey" data-username="{{username}}">Use a passkey</button>
  <p class="status" role="status" aria-live="polite"></p>
</section>
{{/passkey}}
{{#totp}}
<form id="totp-form" class="card" novalidate>
  <h2>Authenticator app</h2>
  <label for="totp-code">6-digit code</label>
  <input id="totp-code" name="code" class="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required>
  <button type="submit">Verify</button>
  <p class="status" role="status" aria-live="polite"></p>
</form>
{{/totp}}
{{#recoveryCode}}
<form id="recovery-form" class="card" novalidate>
  <h2>Recovery code</h2>
  <label for="recovery-code">One of your recovery codes</label>
  <input id="recovery-code" name="code" class="code wide" type="text" autocomplete="off" autocapitalize="none" spellcheck="false" required>
  <p class="hint">Each code works once.</p>
  <button type="submit" class="secondary">Use recovery code</button>
  <p class="status" role="status" aria-live="polite"></p>
</form>
{{/recoveryCode}}
<p><button type="button" class="secondary small" data-sign-out>Cancel and sign out</button></p>
"""#

    static let account = #"""
<h1>Your account</h1>
<p><strong>{{username}}</strong> · {{email}}</p>
{{#enrolmentRequired}}
<p class="notice" role="alert">This registry requires a second factor. Add a passkey or an authenticator app to finish setting up your account.</p>
{{/enrolmentRequired}}

<section id="recovery-codes" class="card hidden" aria-labelledby="codes-title">
  <h2 id="codes-title" tabindex="-1">Your recovery codes</h2>
  <p>Save these ten codes somewhere safe now: they are shown only once. Each works once when you can't use your other factors.</p>
  <ol class="codes"></ol>
  <a class="button" href="/account">I have saved them</a>
</section>

<section id="step-up" class="card hidden" aria-labelledby="step-up-title">
  <h2 id="step-up-title">Confirm it's you</h2>
  <p>This action needs a second factor from the last few minutes.</p>
  {{#hasPasskeys}}<button type="button" id="step-up-passkey">Use a passkey</button>{{/hasPasskeys}}
  {{#totp}}
  <form id="step-up-totp" novalidate>
    <label for="step-up-code">Authenticator app code</label>
    <input id="step-up-code" name="code" class="code" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="6">
    <button type="submit">Verify</button>
  </form>
  {{/totp}}
  <p class="status" role="status" aria-live="polite"></p>
</section>

<section class="card" aria-labelledby="passkeys-title">
  <h2 id="passkeys-title">Passkeys</h2>
  {{#hasPasskeys}}
  <table>
    <thead><tr><th scope="col">Name</th><th scope="col">Added</th><th scope="col">Last used</th><th scope="col">Kind</th><th scope="col"><span class="skip">Actions</span></th></tr></thead>
    <tbody>
    {{#passkeys}}
    <tr>
      <td>{{name}}</td>
      <td><time datetime="{{createdISO}}">{{created}}</time></td>
      <td>{{#lastUsedISO}}<time datetime="{{lastUsedISO}}">{{lastUsed}}</time>{{/lastUsedISO}}{{^lastUsedISO}}never{{/lastUsedISO}}</td>
      <td>{{kind}}</td>
      <td class="actions"><button type="button" class="danger small" data-remove-passkey="{{id}}" data-name="{{name}}">Remove</button></td>
    </tr>
    {{/passkeys}}
    </tbody>
  </table>
  {{/hasPasskeys}}
  {{^hasPasskeys}}<p class="hint">No passkeys yet.</p>{{/hasPasskeys}}
  <p id="passkeys-status" class="status" role="status" aria-live="polite"></p>
  {{#passkeysAvailable}}
  <form id="add-passkey-form" novalidate>
    <div class="row">
      <div><label for="passkey-name">Name for a new passkey</label>
      <input id="passkey-name" name="name" type="text" maxlength="64" placeholder="e.g. Work laptop"></div>
      <div><button type="submit">Add a passkey</button></div>
    </div>
    <p class="status" role="status" aria-live="polite"></p>
  </form>
  {{/passkeysAvailable}}
  {{^passkeysAvailable}}<p class="hint">Passkeys need the registry's public URL (<code>serve --base-url</code>).</p>{{/passkeysAvailable}}
</section>

<section class="card" aria-labelledby="totp-title">
  <h2 id="totp-title">Authenticator app</h2>
  {{#totp}}
  <p><span class="pill on">Active</span>{{#totpCreated}} since <time datetime="{{totpCreatedISO}}">{{totpCreated}}</time>{{/totpCreated}}</p>
  <button type="button" id="remove-totp" class="danger">Remove authenticator app</button>
  <p class="status" role="status" aria-live="polite"></p>
  {{/totp}}
  {{^totp}}
  <p class="hint">Use an app such as a password manager or authenticator to generate 6-digit codes.</p>
  <a class="button secondary" href="/account/totp" id="add-totp">Add an authenticator app</a>
  {{/totp}}
</section>

<section class="card" aria-labelledby="rc-title">
  <h2 id="rc-title">Recovery codes</h2>
  <p><strong id="recovery-codes-left">{{recoveryCodesLeft}}</strong> of 10 left.</p>
  {{#hasFactor}}
  <button type="button" id="regenerate-codes" class="secondary">Make new recovery codes</button>
  <p class="status" role="status" aria-live="polite"></p>
  {{/hasFactor}}
</section>

<section class="card" aria-labelledby="tokens-title">
  <h2 id="tokens-title">API tokens</h2>
  {{#authenticated}}
  <p class="hint">Tokens let <code>swift package-registry publish</code> publish the packages you name. Use them with <code>swift package-registry login URL --token …</code>.</p>
  <h3 id="scopes-title">Your scopes</h3>
  {{#hasScopes}}<p id="owned-scopes">{{#scopes}}<span class="pill mono">{{.}}</span> {{/scopes}}</p>{{/hasScopes}}
  {{^hasScopes}}<p class="hint">You own no scope yet. Tokens can only publish into scopes you own: claim one first.</p>{{/hasScopes}}
  <form id="claim-scope-form" novalidate>
    <div class="row">
      <div><label for="scope-name">Claim a scope</label>
      <input id="scope-name" name="name" type="text" value="{{suggestedScope}}" maxlength="39" spellcheck="false" autocapitalize="none"></div>
      <div><button type="submit" class="secondary">Claim scope</button></div>
    </div>
    <p class="status" role="status" aria-live="polite"></p>
  </form>
  <h3>Tokens</h3>
  {{#hasTokens}}
  <table>
    <thead><tr><th scope="col">Packages</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col">Last used</th><th scope="col"><span class="skip">Actions</span></th></tr></thead>
    <tbody>
    {{#tokens}}
    <tr>
      <td class="mono">{{packages}}</td>
      <td><time datetime="{{createdISO}}">{{created}}</time></td>
      <td>{{expires}}</td>
      <td>{{lastUsed}}</td>
      <td class="actions">{{#revoked}}<span class="pill">revoked</span>{{/revoked}}{{^revoked}}<button type="button" class="danger small" data-revoke-token="{{id}}">Revoke</button>{{/revoked}}</td>
    </tr>
    {{/tokens}}
    </tbody>
  </table>
  {{/hasTokens}}
  {{^hasTokens}}<p class="hint">No tokens yet.</p>{{/hasTokens}}
  <p id="tokens-status" class="status" role="status" aria-live="polite"></p>
  <form id="create-token-form" novalidate>
    <div class="row">
      <div><label for="token-packages">Packages</label>
      <input id="token-packages" name="packages" type="text" value="{{tokenPackages}}" required spellcheck="false" aria-describedby="token-packages-hint"></div>
      <div><label for="token-days">Expires in (days)</label>
      <input id="token-days" name="days" type="number" min="1" max="366" value="90"></div>
    </div>
    <input type="hidden" name="name" value="">
    <p class="hint" id="token-packages-hint"><code>scope.name</code> or <code>scope.*</code>, separated by commas. Publish scope.</p>
    <button type="submit">Create token</button>
    <p class="status" role="status" aria-live="polite"></p>
  </form>
  <div id="new-token" class="notice hidden" role="alert">
    <p>Copy your new token now; it is shown only once:</p>
    <p><code id="new-token-value" class="secret"></code></p>
  </div>
  {{/authenticated}}
  {{^authenticated}}<p class="hint">Add a second factor first.</p>{{/authenticated}}
</section>

<p><a href="/account/security-log">Security log</a> · <button type="button" class="secondary small" data-sign-out>Sign out</button></p>
"""#

    static let totp = #"""
<h1>Add an authenticator app</h1>
{{#alreadyActive}}
<p class="notice">This account already has an authenticator app. Remove it on your <a href="/account">account page</a> to set up another.</p>
{{/alreadyActive}}
{{^alreadyActive}}
<div id="enrol-details" class="card enrol">
  <figure class="qr" role="img" aria-label="QR code for your authenticator app">{{{qrSVG}}}</figure>
  <div>
    <h2>1. Scan the code</h2>
    <p>Scan it with your authenticator app. If you can't scan, enter this key by hand (time-based, 6 digits, 30 seconds):</p>
    <p><code id="totp-secret" class="secret">{{secretGrouped}}</code></p>
    <p class="hint">Account: {{username}} · Issuer: {{issuer}}</p>
    <p><a id="otpauth-link" href="{{otpauthURI}}">Open in an authenticator app on this device</a></p>
  </div>
</div>
<form id="confirm-totp-form" class="card" novalidate>
  <h2>2. Enter the code it shows</h2>
  <label for="confirm-code">6-digit code</label>
  <input id="confirm-code" name="code" class="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required>
  <p class="hint">The app is active only after one correct code.</p>
  <button type="submit">Activate</button>
  <p class="status" role="status" aria-live="polite"></p>
</form>
<section id="recovery-codes" class="card hidden" aria-labelledby="codes-title">
  <h2 id="codes-title" tabindex="-1">Your recovery codes</h2>
  <p>Your authenticator app is active. Save these ten codes somewhere safe now: they are shown only once. Each works once when you can't use your other factors.</p>
  <ol class="codes"></ol>
  <a class="button" href="/account">I have saved them</a>
</section>
{{/alreadyActive}}
<p><a href="/account">Back to your account</a></p>
"""#

    static let securityLog = #"""
<h1>Security log</h1>
<p class="hint">Sign-ins, second factors, recovery codes and tokens on <strong>{{username}}</strong>, newest first.</p>
<section class="card">
{{#hasEvents}}
<table>
  <thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Detail</th><th scope="col">IP</th></tr></thead>
  <tbody>
  {{#events}}
  <tr><td class="when"><time datetime="{{atISO}}">{{at}}</time></td><td>{{label}}</td><td>{{detail}}</td><td class="mono">{{ip}}</td></tr>
  {{/events}}
  </tbody>
</table>
{{/hasEvents}}
{{^hasEvents}}<p>No events yet.</p>{{/hasEvents}}
</section>
<p><a href="/account">Back to your account</a></p>
"""#

    static let message = #"""
<h1>{{title}}</h1>
<p>{{message}}</p>
<p><a href="/">Home</a></p>
"""#
}
