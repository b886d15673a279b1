import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The hand-written OpenAPI 3.1 description of the JSON API (`/api/v1`) and, briefly, of the
/// Swift package registry endpoints. Served at `GET /api/v1/openapi.json`.
enum OpenAPIDocument {
    static func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.get("/api/v1/openapi.json") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "application/json", .cacheControl: "no-cache"],
                body: .init(byteBuffer: ByteBuffer(string: served))
            )
        }
    }

    static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "Bulwark",
    "version": "1",
    "summary": "A Swift package registry where every publish is protected by a second factor.",
    "description": "The JSON API under /api/v1 is what Bulwark's web pages use; any HTTP client can use it too. Sessions are server-side behind the HttpOnly, SameSite=Strict cookie `bulwark_session` (Secure under TLS, or when --base-url is https). State-changing requests authenticated by that cookie must carry an `Origin` header equal to the registry's origin (its --base-url), or they get 403. Sensitive actions need a second factor verified within the step-up window (10 minutes by default): without one they answer 403 with problem type https://bulwark.dev/problems/step-up-required, and the client should ask for a TOTP code or a passkey (POST /api/v1/session/totp or /api/v1/session/webauthn) and retry. There are no SMS or e-mail codes: both can be intercepted or redirected by whoever controls the phone number or mailbox. Every error is an RFC 9457 problem detail (application/problem+json).",
    "license": { "name": "Apache-2.0", "identifier": "Apache-2.0" }
  },
  "servers": [ { "url": "/" } ],
  "tags": [
    { "name": "session", "description": "Sign-up, sign-in with a password and a second factor, passkey-only sign-in, step-up, sign-out." },
    { "name": "account", "description": "The signed-in account: second factors, recovery codes, security log." },
    { "name": "tokens", "description": "API tokens (bwk_…) for the Swift registry." },
    { "name": "packages", "description": "A package's owners, policy and staged releases (publishing: approval)." },
    { "name": "maintainers", "description": "A package's owners and maintainers: invitations, acceptance, removal; ownership transfer is an owner invitation." },
    { "name": "registry", "description": "The Swift Package Registry protocol (SE-0292, SE-0321, SE-0391)." },
    { "name": "meta", "description": "This document and health checks." }
  ],
  "paths": {
    "/api/v1/openapi.json": {
      "get": {
        "tags": ["meta"], "operationId": "getOpenAPI", "summary": "This OpenAPI document", "security": [],
        "responses": { "200": { "description": "The document", "content": { "application/json": { "schema": { "type": "object" } } } } }
      }
    },
    "/api/v1/accounts": {
      "post": {
        "tags": ["session"], "operationId": "signUp", "summary": "Create an account (closed with `serve --disable-sign-up`)", "security": [],
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/SignUp" } } } },
        "responses": {
          "201": { "description": "Created", "content": { "application/json": { "schema": { "type": "object", "properties": { "username": { "type": "string" } }, "required": ["username"] } } } },
          "400": { "$ref": "#/components/responses/Problem" },
          "403": { "$ref": "#/components/responses/Problem" },
          "409": { "$ref": "#/components/responses/Problem" },
          "422": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/api/v1/session": {
      "post": {
        "tags": ["session"], "operationId": "signIn", "summary": "Password step of a sign-in", "security": [],
        "description": "Starts a session (a new session id, set as the cookie). An account with second factors must then pass one; an account without any may only enrol one while 2FA is required.",
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Credentials" } } } },
        "responses": {
          "200": { "description": "Password accepted", "headers": { "Set-Cookie": { "$ref": "#/components/headers/SessionCookie" } }, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/SignInState" } } } },
          "401": { "$ref": "#/components/responses/Problem" },
          "429": { "$ref": "#/components/responses/Problem" }
        }
      },
      "delete": {
        "tags": ["session"], "operationId": "signOut", "summary": "Sign out (ends the server-side session; without one, nothing to do)", "security": [ {}, { "session": [] } ],
        "responses": { "204": { "description": "Signed out; the cookie is cleared" }, "403": { "$ref": "#/components/responses/Problem" } }
      }
    },
    "/api/v1/session/totp": {
      "post": {
        "tags": ["session"], "operationId": "signInTOTP", "summary": "Second step with an authenticator-app code, or a step-up when already signed in",
        "description": "RFC 6238 (SHA-1, 6 digits, 30 s, ±1 step). A code whose time step is at or below the last accepted one is refused. Five failures in fifteen minutes lock the factor.",
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Code" } } } },
        "responses": {
          "200": { "description": "Signed in (or stepped up)", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Authenticated" } } } },
          "401": { "$ref": "#/components/responses/Problem" },
          "403": { "$ref": "#/components/responses/Problem" },
          "422": { "$ref": "#/components/responses/Problem" },
          "429": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/api/v1/session/recovery-code": {
      "post": {
        "tags": ["session"], "operationId": "signInRecoveryCode", "summary": "Second step with a single-use recovery code",
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Code" } } } },
        "responses": {
          "200": { "description": "Signed in (or stepped up); the code is used up", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Authenticated" } } } },
          "401": { "$ref": "#/components/responses/Problem" },
          "403": { "$ref": "#/components/responses/Problem" },
          "429": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/api/v1/session/webauthn/options": {
      "post": {
        "tags": ["session"], "operationId": "passkeySignInOptions", "summary": "Options for navigator.credentials.get()", "security": [],
        "description": "Without a username: a discoverable-credential (passkey) sign-in, allowCredentials empty. The challenge is single-use and expires after 5 minutes.",
        "requestBody": { "required": false, "content": { "application/json": { "schema": { "type": "object", "properties": { "username": { "type": ["string", "null"] } } } } } },
        "responses": {
          "200": { "description": "PublicKeyCredentialRequestOptions, JSON encoding (base64url)", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/PublicKeyCredentialRequestOptionsJSON" } } } },
          "503": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/api/v1/session/webauthn": {
      "post": {
        "tags": ["session"], "operationId": "passkeySignIn", "summary": "Sign in with a passkey alone (both factors), or step up", "security": [],
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/AuthenticationResponseJSON" } } } },
        "responses": {
          "200": { "description": "Signed in", "headers": { "Set-Cookie": { "$ref": "#/components/headers/SessionCookie" } }, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Authenticated" } } } },
          "400": { "$ref": "#/components/responses/Problem" },
          "401": { "$ref": "#/components/responses/Problem" },
          "503": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/api/v1/account": {
      "get": {
        "tags": ["account"], "operationId": "getAccount", "summary": "The account, its second factors and recovery codes left",
        "responses": {
          "200": { "description": "The account", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Account" } } } },
          "401": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/api/v1/account/totp": {
      "post": {
        "tags": ["account"], "operationId": "startTOTP", "summary": "Start enrolling an authenticator app",
        "description": "Returns a new secret, pending until confirmed with one correct code. Replaces a pending one.",
        "responses": {
          "200": { "description": "The secret (base32) and its otpauth:// URI", "content": { "application/json": { "schema": { "type": "object", "properties": { "secret": { "type": "string" }, "otpauthURI": { "type": "string" } }, "required": ["secret", "otpauthURI"] } } } },
          "401": { "$ref": "#/components/responses/Problem" },
          "409": { "$ref": "#/components/responses/Problem" }
        }
      },
      "delete": {
        "tags": ["account"], "operationId": "deleteTOTP", "summary": "Remove the authenticator app (step-up; not the last factor while 2FA is required)",
        "responses": {
          "204": { "description": "Removed" },
          "401": { "$ref": "#/components/responses/Problem" },
          "403": { "$ref": "#/components/responses/StepUpRequired" },
          "404": { "$ref": "#/components/responses/Problem" },
          "409": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/api/v1/account/totp/confirm": {
      "post": {
        "tags": ["account"], "operationId": "confirmTOTP", "summary": "Activate the pending authenticator app with one correct code",
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Code" } } } },
        "responses": {
          "200": { "description": "Active. The account's first factor also gets 10 recovery codes, shown once.", "content": { "application/json": { "schema": { "type": "object", "properties": { "totp": { "type": "boolean" }, "recoveryCodes": { "$ref": "#/components/schemas/RecoveryCodes" } }, "required": ["totp"] } } } },
          "401": { "$ref": "#/components/responses/Problem" },
          "409": { "$ref": "#/components/responses/Problem" },
          "422": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/api/v1/account/passkeys/options": {
      "post": {
        "tags": ["account"], "operationId": "passkeyRegistrationOptions", "summary": "Options for navigator.credentials.create()",
        "description": "User verification required, discoverable credential required; the base URL's host is the rpId.",
        "responses": {
          "200": { "description": "PublicKeyCredentialCreationOptions, JSON encoding (base64url)", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/PublicKeyCredentialCreationOptionsJSON" } } } },
          "401": { "$ref": "#/components/responses/Problem" },
          "503": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/api/v1/account/passkeys": {
      "post": {
        "tags": ["account"], "operationId": "registerPasskey", "summary": "Register a passkey",
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": { "credential": { "$ref": "#/components/schemas/RegistrationResponseJSON" }, "name": { "type": "string", "minLength": 1, "maxLength": 64 } }, "required": ["credential"] } } } },
        "responses": {
          "201": { "description": "Registered. The account's first factor also gets 10 recovery codes, shown once.", "content": { "application/json": { "schema": { "type": "object", "properties": { "id": { "type": "string" }, "name": { "type": "string" }, "backedUp": { "type": "boolean" }, "recoveryCodes": { "$ref": "#/components/schemas/RecoveryCodes" } }, "required": ["id", "name", "backedUp"] } } } },
          "400": { "$ref": "#/components/responses/Problem" },
          "401": { "$ref": "#/components/responses/Problem" },
          "422": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/api/v1/account/passkeys/{id}": {
      "delete": {
        "tags": ["account"], "operationId": "removePasskey", "summary": "Remove a passkey (step-up; not the last factor while 2FA is required)",
        "parameters": [ { "name": "id", "in": "path", "required": true, "schema": { "type": "string" }, "description": "The credential id, base64url" } ],
        "responses": {
          "204": { "description": "Removed" },
          "401": { "$ref": "#/components/responses/Problem" },
          "403": { "$ref": "#/components/responses/StepUpRequired" },
          "404": { "$ref": "#/components/responses/Problem" },
          "409": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/api/v1/account/recovery-codes": {
      "post": {
        "tags": ["account"], "operationId": "regenerateRecoveryCodes", "summary": "Replace the recovery codes with 10 new ones (step-up)",
        "responses": {
          "200": { "description": "The new codes, shown once; the old ones stop working", "content": { "application/json": { "schema": { "type": "object", "properties": { "recoveryCodes": { "$ref": "#/components/schemas/RecoveryCodes" } }, "required": ["recoveryCodes"] } } } },
          "401": { "$ref": "#/components/responses/Problem" },
          "403": { "$ref": "#/components/responses/StepUpRequired" },
          "409": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/api/v1/account/events": {
      "get": {
        "tags": ["account"], "operationId": "securityLog", "summary": "The security log: sign-ins, factors, recovery codes, tokens (newest first, at most 200)",
        "responses": {
          "200": { "description": "Events", "content": { "application/json": { "schema": { "type": "object", "properties": { "events": { "type": "array", "items": { "$ref": "#/components/schemas/SecurityEvent" } } }, "required": ["events"] } } } },
          "401": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/api/v1/tokens": {
      "get": {
        "tags": ["tokens"], "operationId": "listTokens", "summary": "The account's API tokens (never the secrets)",
        "responses": {
          "200": { "description": "Tokens", "content": { "application/json": { "schema": { "type": "object", "properties": { "tokens": { "type": "array", "items": { "$ref": "#/components/schemas/Token" } } }, "required": ["tokens"] } } } },
          "401": { "$ref": "#/components/responses/Problem" }
        }
      },
      "post": {
        "tags": ["tokens"], "operationId": "createToken", "summary": "Create a bwk_ token for the Swift registry (step-up; only for scopes the account owns)",
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/NewToken" } } } },
        "responses": {
          "201": { "description": "The token, shown once; only its SHA-256 is stored", "content": { "application/json": { "schema": { "type": "object", "properties": { "id": { "type": "string" }, "token": { "type": "string", "pattern": "^bwk_" }, "expiresAt": { "type": "string", "format": "date-time" } }, "required": ["id", "token", "expiresAt"] } } } },
          "400": { "$ref": "#/components/responses/Problem" },
          "401": { "$ref": "#/components/responses/Problem" },
          "403": { "$ref": "#/components/responses/StepUpRequired" },
          "422": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/api/v1/tokens/{id}": {
      "delete": {
        "tags": ["tokens"], "operationId": "revokeToken", "summary": "Revoke a token",
        "parameters": [ { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } } ],
        "responses": { "204": { "description": "Revoked" }, "401": { "$ref": "#/components/responses/Problem" }, "404": { "$ref": "#/components/responses/Problem" } }
      }
    },
    "/api/v1/scopes": {
      "get": {
        "tags": ["tokens"], "operationId": "listScopes", "summary": "The scopes the account owns",
        "responses": {
          "200": { "description": "Scopes", "content": { "application/json": { "schema": { "type": "object", "properties": { "scopes": { "type": "array", "items": { "type": "string" } } }, "required": ["scopes"] } } } },
          "401": { "$ref": "#/components/responses/Problem" }
        }
      },
      "post": {
        "tags": ["tokens"], "operationId": "claimScope", "summary": "Claim an unowned scope (tokens only cover owned scopes; the first publisher into an unowned scope also becomes its owner)",
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": { "name": { "type": "string", "pattern": "^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$" } }, "required": ["name"] } } } },
        "responses": {
          "201": { "description": "Claimed", "content": { "application/json": { "schema": { "type": "object", "properties": { "name": { "type": "string" }, "owners": { "type": "array", "items": { "type": "string" } } }, "required": ["name", "owners"] } } } },
          "401": { "$ref": "#/components/responses/Problem" },
          "409": { "$ref": "#/components/responses/Problem" },
          "422": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/api/v1/packages/{scope}/{name}": {
      "get": {
        "tags": ["packages"], "operationId": "getPackage", "summary": "A package: owners, policy, releases; for a signed-in owner also the staged releases waiting for approval", "security": [ {}, { "session": [] } ],
        "parameters": [ { "$ref": "#/components/parameters/scope" }, { "$ref": "#/components/parameters/name" } ],
        "responses": {
          "200": { "description": "The package", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Package" } } } },
          "404": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/api/v1/packages/{scope}/{name}/policy": {
      "put": {
        "tags": ["packages"], "operationId": "setPackagePolicy", "summary": "Set the package's policy (an owner, step-up per policy: under secondFactor passkey only a passkey step-up)",
        "description": "`secondFactor: passkey` is refused with 409 (with `ownersWithoutPasskey`, `maintainersWithoutPasskey` and `withoutPasskey` in the problem) while any owner or maintainer has no passkey; the effective policy never goes below the registry-wide floor; under it, approving a staged release needs a passkey assertion. `publishing: approval` makes a publish with a token create a staged release that an owner must approve.",
        "parameters": [ { "$ref": "#/components/parameters/scope" }, { "$ref": "#/components/parameters/name" } ],
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/PackagePolicy" } } } },
        "responses": {
          "200": { "description": "The new policy", "content": { "application/json": { "schema": { "type": "object", "properties": { "package": { "type": "string" }, "policy": { "$ref": "#/components/schemas/PackagePolicy" } }, "required": ["package", "policy"] } } } },
          "400": { "$ref": "#/components/responses/Problem" },
          "401": { "$ref": "#/components/responses/Problem" },
          "403": { "$ref": "#/components/responses/StepUpRequired" },
          "404": { "$ref": "#/components/responses/Problem" },
          "409": { "description": "Some owners have no passkey", "content": { "application/problem+json": { "schema": { "allOf": [ { "$ref": "#/components/schemas/Problem" }, { "type": "object", "properties": { "ownersWithoutPasskey": { "type": "array", "items": { "type": "string" } } } } ] } } } }
        }
      }
    },
    "/api/v1/packages/{scope}/{name}/staged/{id}": {
      "get": {
        "tags": ["packages"], "operationId": "stagedReleaseStatus", "summary": "Status of a staged release (the Location of a 202 publish)", "security": [],
        "parameters": [ { "$ref": "#/components/parameters/scope" }, { "$ref": "#/components/parameters/name" }, { "$ref": "#/components/parameters/stagedID" } ],
        "responses": {
          "202": { "description": "Waiting for approval (with Retry-After)", "headers": { "Retry-After": { "schema": { "type": "integer" } } }, "content": { "application/json": { "schema": { "type": "object", "properties": { "state": { "const": "pending" }, "package": { "type": "string" }, "version": { "type": "string" }, "createdAt": { "type": "string", "format": "date-time" }, "expiresAt": { "type": "string", "format": "date-time" } } } } } },
          "301": { "description": "Approved: Location is the release", "headers": { "Location": { "schema": { "type": "string" } } } },
          "404": { "$ref": "#/components/responses/Problem" },
          "410": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/api/v1/packages/{scope}/{name}/staged/{id}/approve": {
      "post": {
        "tags": ["packages"], "operationId": "approveStagedRelease", "summary": "Approve a staged release: it becomes a release (an owner or maintainer, step-up; under secondFactor: passkey a passkey step-up or a passkey assertion in the body)",
        "parameters": [ { "$ref": "#/components/parameters/scope" }, { "$ref": "#/components/parameters/name" }, { "$ref": "#/components/parameters/stagedID" } ],
        "requestBody": { "required": false, "content": { "application/json": { "schema": { "type": "object", "description": "Needed when the policy's secondFactor is passkey: an assertion answering POST /api/v1/session/webauthn/options.", "properties": { "credential": { "$ref": "#/components/schemas/AuthenticationResponseJSON" } } } } } },
        "responses": {
          "200": { "description": "Approved", "content": { "application/json": { "schema": { "type": "object", "properties": { "state": { "const": "approved" }, "version": { "type": "string" }, "url": { "type": "string" } }, "required": ["state", "version", "url"] } } } },
          "401": { "$ref": "#/components/responses/Problem" },
          "403": { "description": "Not an owner, no recent second factor (type …/step-up-required) or no passkey assertion under a passkey policy (type https://bulwark.dev/problems/passkey-required)", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } },
          "404": { "$ref": "#/components/responses/Problem" },
          "409": { "$ref": "#/components/responses/Problem" },
          "410": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/api/v1/packages/{scope}/{name}/staged/{id}/reject": {
      "post": {
        "tags": ["packages"], "operationId": "rejectStagedRelease", "summary": "Reject a staged release (an owner or maintainer, step-up); its status URL then answers 410",
        "parameters": [ { "$ref": "#/components/parameters/scope" }, { "$ref": "#/components/parameters/name" }, { "$ref": "#/components/parameters/stagedID" } ],
        "responses": {
          "200": { "description": "Rejected", "content": { "application/json": { "schema": { "type": "object", "properties": { "state": { "const": "rejected" }, "version": { "type": "string" } }, "required": ["state", "version"] } } } },
          "401": { "$ref": "#/components/responses/Problem" },
          "403": { "$ref": "#/components/responses/StepUpRequired" },
          "404": { "$ref": "#/components/responses/Problem" },
          "409": { "$ref": "#/components/responses/Problem" },
          "410": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/api/v1/packages/{scope}/{name}/releases/{version}/yank": {
      "post": {
        "tags": ["packages"], "operationId": "yankRelease", "summary": "Yank a release: it stays downloadable by exact version, but the release list (and its metadata) mark it with a problem {status 410, detail: reason} so resolvers skip it. An owner or maintainer with a fresh second factor (a passkey under secondFactor: passkey), or a bearer token with the yank scope covering the package; yanking again replaces the reason",
        "parameters": [ { "$ref": "#/components/parameters/scope" }, { "$ref": "#/components/parameters/name" }, { "$ref": "#/components/parameters/version" } ],
        "security": [ {}, { "bearer": [] } ],
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": { "reason": { "type": "string", "minLength": 1, "maxLength": 500, "description": "One line; the limit is serve configuration (maxYankReasonLength)" } }, "required": ["reason"] } } } },
        "responses": {
          "200": { "description": "Yanked", "content": { "application/json": { "schema": { "type": "object", "properties": { "package": { "type": "string" }, "version": { "type": "string" }, "yanked": { "const": true }, "reason": { "type": "string" }, "yankedBy": { "type": "string" }, "yankedAt": { "type": "string", "format": "date-time" } }, "required": ["package", "version", "yanked", "reason"] } } } },
          "400": { "$ref": "#/components/responses/Problem" },
          "401": { "$ref": "#/components/responses/Problem" },
          "403": { "$ref": "#/components/responses/PackageStepUpRequired" },
          "404": { "$ref": "#/components/responses/Problem" },
          "410": { "description": "The version was deleted", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } },
          "422": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/api/v1/packages/{scope}/{name}/releases/{version}/unyank": {
      "post": {
        "tags": ["packages"], "operationId": "unyankRelease", "summary": "Un-yank a release (same rights as yank)",
        "parameters": [ { "$ref": "#/components/parameters/scope" }, { "$ref": "#/components/parameters/name" }, { "$ref": "#/components/parameters/version" } ],
        "security": [ {}, { "bearer": [] } ],
        "responses": {
          "200": { "description": "No longer yanked", "content": { "application/json": { "schema": { "type": "object", "properties": { "package": { "type": "string" }, "version": { "type": "string" }, "yanked": { "const": false } }, "required": ["package", "version", "yanked"] } } } },
          "401": { "$ref": "#/components/responses/Problem" },
          "403": { "$ref": "#/components/responses/PackageStepUpRequired" },
          "404": { "$ref": "#/components/responses/Problem" },
          "409": { "description": "The release isn't yanked", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } },
          "410": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/api/v1/packages/{scope}/{name}/releases/{version}": {
      "delete": {
        "tags": ["packages"], "operationId": "deleteRelease", "summary": "Delete a release (an owner with a fresh second factor; never a token). It leaves a tombstone forever: the version stays in the release list with a 410 problem, its metadata, manifests and archive answer 410, and publishing the version again (any build metadata) answers 409. The archive is removed unless another release uses the same bytes",
        "parameters": [ { "$ref": "#/components/parameters/scope" }, { "$ref": "#/components/parameters/name" }, { "$ref": "#/components/parameters/version" } ],
        "responses": {
          "200": { "description": "Deleted", "content": { "application/json": { "schema": { "type": "object", "properties": { "package": { "type": "string" }, "version": { "type": "string" }, "deleted": { "const": true }, "deletedAt": { "type": "string", "format": "date-time" } }, "required": ["package", "version", "deleted", "deletedAt"] } } } },
          "401": { "$ref": "#/components/responses/Problem" },
          "403": { "$ref": "#/components/responses/PackageStepUpRequired" },
          "404": { "$ref": "#/components/responses/Problem" },
          "410": { "description": "Deleted already", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
        }
      }
    },
    "/api/v1/packages/{scope}/{name}/audit-log": {
      "get": {
        "tags": ["packages"], "operationId": "packageAuditLog", "summary": "The package's audit log, newest first: publishes (with the token's id), staged publishes, approvals, rejections, yanks, un-yanks and deletions, each with the account and the credential (token, passkey, totp, recovery-code). Owners and maintainers, signed in (not with a token)",
        "parameters": [ { "$ref": "#/components/parameters/scope" }, { "$ref": "#/components/parameters/name" }, { "name": "limit", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1, "maximum": 1000, "default": 100 } } ],
        "responses": {
          "200": { "description": "Events", "content": { "application/json": { "schema": { "type": "object", "properties": { "package": { "type": "string" }, "events": { "type": "array", "items": { "$ref": "#/components/schemas/PackageEvent" } } }, "required": ["package", "events"] } } } },
          "400": { "$ref": "#/components/responses/Problem" },
          "401": { "$ref": "#/components/responses/Problem" },
          "403": { "$ref": "#/components/responses/Problem" },
          "404": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/api/v1/packages/{scope}/{name}/maintainers": {
      "post": {
        "tags": ["maintainers"], "operationId": "inviteMaintainer", "summary": "Invite an account to maintain (or own) the package (an owner, step-up per policy)",
        "description": "Creates an invitation the invitee accepts with POST /api/v1/invitations/{id}/accept; it expires after `serve --invitation-days` (7 by default). Ownership is transferred by inviting the new owner with role `owner`; once they accept, the old owner removes themselves (DELETE …/maintainers/{username}). Under an effective `secondFactor: passkey` the owner's step-up must be a passkey (else 403, type …/passkey-required) and an invitee without a passkey is refused (409, type …/passkey-missing, with `missing` and `has`).",
        "parameters": [ { "$ref": "#/components/parameters/scope" }, { "$ref": "#/components/parameters/name" } ],
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "properties": { "username": { "type": "string" }, "role": { "enum": ["owner", "maintainer"], "default": "maintainer" } }, "required": ["username"] } } } },
        "responses": {
          "201": { "description": "Invited", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Invitation" } } } },
          "400": { "$ref": "#/components/responses/Problem" },
          "401": { "$ref": "#/components/responses/Problem" },
          "403": { "$ref": "#/components/responses/PackageStepUpRequired" },
          "404": { "$ref": "#/components/responses/Problem" },
          "409": { "description": "Already a member, a pending invitation exists, or (type https://bulwark.dev/problems/passkey-missing) the package requires passkeys and the invitee has none", "content": { "application/problem+json": { "schema": { "allOf": [ { "$ref": "#/components/schemas/Problem" }, { "type": "object", "properties": { "username": { "type": "string" }, "missing": { "type": "array", "items": { "type": "string" } }, "has": { "type": "array", "items": { "type": "string" } } } } ] } } } },
          "422": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/api/v1/packages/{scope}/{name}/maintainers/{username}": {
      "delete": {
        "tags": ["maintainers"], "operationId": "removeMaintainer", "summary": "Remove a maintainer or owner, or revoke their pending invitation (an owner, or the member themselves; step-up per policy)",
        "description": "The last owner can't be removed (409); the scope's owners own every package in it and are not removed here (409).",
        "parameters": [ { "$ref": "#/components/parameters/scope" }, { "$ref": "#/components/parameters/name" }, { "name": "username", "in": "path", "required": true, "schema": { "type": "string" } } ],
        "responses": {
          "204": { "description": "Removed" },
          "401": { "$ref": "#/components/responses/Problem" },
          "403": { "$ref": "#/components/responses/PackageStepUpRequired" },
          "404": { "$ref": "#/components/responses/Problem" },
          "409": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/api/v1/invitations": {
      "get": {
        "tags": ["maintainers"], "operationId": "listInvitations", "summary": "The signed-in account's pending invitations",
        "responses": {
          "200": { "description": "Invitations", "content": { "application/json": { "schema": { "type": "object", "properties": { "invitations": { "type": "array", "items": { "$ref": "#/components/schemas/Invitation" } } }, "required": ["invitations"] } } } },
          "401": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/api/v1/invitations/{id}/accept": {
      "post": {
        "tags": ["maintainers"], "operationId": "acceptInvitation", "summary": "Accept an invitation (only the invitee; single use)",
        "description": "410 once expired; 409 once accepted, declined or revoked, or when the owner who invited has lost the package. Under a passkey policy the invitee needs a passkey (403, type …/passkey-required).",
        "parameters": [ { "$ref": "#/components/parameters/invitationID" } ],
        "responses": {
          "200": { "description": "Accepted", "content": { "application/json": { "schema": { "type": "object", "properties": { "package": { "type": "string" }, "role": { "enum": ["owner", "maintainer"] }, "state": { "const": "accepted" } }, "required": ["package", "role", "state"] } } } },
          "401": { "$ref": "#/components/responses/Problem" },
          "403": { "$ref": "#/components/responses/Problem" },
          "404": { "$ref": "#/components/responses/Problem" },
          "409": { "$ref": "#/components/responses/Problem" },
          "410": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/api/v1/invitations/{id}/decline": {
      "post": {
        "tags": ["maintainers"], "operationId": "declineInvitation", "summary": "Decline an invitation (only the invitee)",
        "parameters": [ { "$ref": "#/components/parameters/invitationID" } ],
        "responses": {
          "200": { "description": "Declined", "content": { "application/json": { "schema": { "type": "object", "properties": { "package": { "type": "string" }, "state": { "const": "declined" } }, "required": ["package", "state"] } } } },
          "401": { "$ref": "#/components/responses/Problem" },
          "403": { "$ref": "#/components/responses/Problem" },
          "404": { "$ref": "#/components/responses/Problem" },
          "409": { "$ref": "#/components/responses/Problem" },
          "410": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/api/v1/packages/{scope}/{name}/security": {
      "get": {
        "tags": ["registry"], "operationId": "packageSecurity", "summary": "A package's public security posture (what `bulwark audit --registry URL` reads)", "security": [],
        "description": "The publishing policy, how the scope's owners protect their accounts (factor kinds, never secrets) and how many releases are signed.",
        "parameters": [ { "$ref": "#/components/parameters/scope" }, { "$ref": "#/components/parameters/name" } ],
        "responses": {
          "200": { "description": "The posture", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/PackageSecurity" } } } },
          "404": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/login": {
      "post": {
        "tags": ["registry"], "operationId": "registryLogin", "summary": "SE-0378 login check: 200 for a valid token", "security": [ { "bearer": [] } ],
        "responses": { "200": { "description": "The token is valid" }, "401": { "$ref": "#/components/responses/Problem" } }
      }
    },
    "/identifiers": {
      "get": {
        "tags": ["registry"], "operationId": "lookupIdentifiers", "summary": "Package identifiers for a repository URL", "security": [],
        "parameters": [ { "name": "url", "in": "query", "required": true, "schema": { "type": "string", "minLength": 1 } } ],
        "responses": { "200": { "description": "{\"identifiers\":[…]}" }, "404": { "$ref": "#/components/responses/Problem" } }
      }
    },
    "/{scope}/{name}": {
      "get": {
        "tags": ["registry"], "operationId": "listReleases", "summary": "Releases of a package", "security": [],
        "parameters": [ { "$ref": "#/components/parameters/scope" }, { "$ref": "#/components/parameters/name" } ],
        "responses": { "200": { "description": "{\"releases\":{…}}" }, "404": { "$ref": "#/components/responses/Problem" } }
      }
    },
    "/{scope}/{name}/{version}": {
      "get": {
        "tags": ["registry"], "operationId": "fetchRelease", "summary": "Release metadata, or the source archive with the `.zip` suffix", "security": [],
        "parameters": [ { "$ref": "#/components/parameters/scope" }, { "$ref": "#/components/parameters/name" }, { "$ref": "#/components/parameters/version" } ],
        "responses": { "200": { "description": "Release metadata (JSON) or application/zip" }, "404": { "$ref": "#/components/responses/Problem" } }
      },
      "put": {
        "tags": ["registry"], "operationId": "publish", "summary": "Publish a release (needs a bwk_ token with the publish scope for this package)", "security": [ { "bearer": [] } ],
        "parameters": [ { "$ref": "#/components/parameters/scope" }, { "$ref": "#/components/parameters/name" }, { "$ref": "#/components/parameters/version" } ],
        "requestBody": { "required": true, "content": { "multipart/form-data": { "schema": { "type": "object", "properties": { "source-archive": { "type": "string", "contentMediaType": "application/zip" }, "source-archive-signature": { "type": "string" }, "metadata": { "type": "string", "contentMediaType": "application/json" }, "metadata-signature": { "type": "string" } }, "required": ["source-archive"] } } } },
        "responses": { "201": { "description": "Published" }, "202": { "description": "Staged (the package's policy is publishing: approval): invisible until an owner approves it; Location is its status URL, with Retry-After" }, "401": { "$ref": "#/components/responses/Problem" }, "403": { "$ref": "#/components/responses/Problem" }, "409": { "description": "The version exists, or is already waiting for approval (then Location is its status URL)", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }, "422": { "$ref": "#/components/responses/Problem" } }
      }
    },
    "/{scope}/{name}/{version}/Package.swift": {
      "get": {
        "tags": ["registry"], "operationId": "fetchManifest", "summary": "The release's manifest (`?swift-version=` for an alternate one)", "security": [],
        "parameters": [ { "$ref": "#/components/parameters/scope" }, { "$ref": "#/components/parameters/name" }, { "$ref": "#/components/parameters/version" } ],
        "responses": { "200": { "description": "text/x-swift" }, "404": { "$ref": "#/components/responses/Problem" } }
      }
    }
  },
  "security": [ { "session": [] } ],
  "components": {
    "securitySchemes": {
      "session": { "type": "apiKey", "in": "cookie", "name": "bulwark_session", "description": "Server-side session; state-changing requests also need a matching Origin header." },
      "bearer": { "type": "http", "scheme": "bearer", "bearerFormat": "bwk_ token" }
    },
    "headers": {
      "SessionCookie": { "description": "bulwark_session=…; HttpOnly; SameSite=Strict; Path=/ (Secure under TLS, or when --base-url is https). A new id at every sign-in.", "schema": { "type": "string" } }
    },
    "parameters": {
      "scope": { "name": "scope", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$" } },
      "name": { "name": "name", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^[A-Za-z0-9](?:[A-Za-z0-9]|[-_](?=[A-Za-z0-9])){0,99}$" } },
      "version": { "name": "version", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^(0|[1-9][0-9]{0,8})\\.(0|[1-9][0-9]{0,8})\\.(0|[1-9][0-9]{0,8})(?:-(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(?:\\.(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*)?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?$" } },
      "stagedID": { "name": "id", "in": "path", "required": true, "schema": { "type": "string" }, "description": "A staged release's id" },
      "invitationID": { "name": "id", "in": "path", "required": true, "schema": { "type": "string" }, "description": "An invitation's id" }
    },
    "responses": {
      "Problem": { "description": "An error, as an RFC 9457 problem detail", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } },
      "StepUpRequired": { "description": "Forbidden: for a sensitive action, type https://bulwark.dev/problems/step-up-required means a second factor must be verified first (POST /api/v1/session/totp or /api/v1/session/webauthn), then retry; other 403s are a missing or foreign Origin.", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } },
      "PackageStepUpRequired": { "description": "Forbidden: not an owner; or type https://bulwark.dev/problems/step-up-required (verify a second factor, then retry); or, when the package's effective policy is secondFactor passkey, type https://bulwark.dev/problems/passkey-required: only a passkey step-up counts (POST /api/v1/session/webauthn/options, then POST /api/v1/session/webauthn), and an account without a passkey must register one first.", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
    },
    "schemas": {
      "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details. Responses also carry Content-Version: 1.",
        "properties": {
          "type": { "type": "string", "description": "about:blank, or https://bulwark.dev/problems/step-up-required" },
          "title": { "type": "string" },
          "status": { "type": "integer", "minimum": 400, "maximum": 599 },
          "detail": { "type": "string", "description": "A human-readable explanation" }
        },
        "required": ["type", "title", "status", "detail"]
      },
      "SignUp": { "type": "object", "properties": { "username": { "type": "string", "pattern": "^[A-Za-z0-9_-]{1,39}$" }, "email": { "type": "string", "format": "email" }, "password": { "type": "string", "minLength": 12, "description": "12 to 72 bytes" } }, "required": ["username", "email", "password"] },
      "Credentials": { "type": "object", "properties": { "username": { "type": "string" }, "password": { "type": "string" } }, "required": ["username", "password"] },
      "Code": { "type": "object", "properties": { "code": { "type": "string" } }, "required": ["code"] },
      "SignInState": {
        "type": "object",
        "properties": {
          "state": { "type": "string", "enum": ["second-factor-required", "enrolment-required", "authenticated"] },
          "methods": { "type": "array", "items": { "type": "string", "enum": ["passkey", "totp", "recovery-code"] } }
        },
        "required": ["state"]
      },
      "Authenticated": { "type": "object", "properties": { "state": { "const": "authenticated" }, "username": { "type": "string" } }, "required": ["state"] },
      "RecoveryCodes": { "type": "array", "items": { "type": "string" }, "minItems": 10, "maxItems": 10, "description": "Single-use, shown once; only hashes are stored" },
      "Passkey": { "type": "object", "properties": { "id": { "type": "string" }, "name": { "type": "string" }, "createdAt": { "type": "string", "format": "date-time" }, "lastUsedAt": { "type": ["string", "null"], "format": "date-time" }, "backedUp": { "type": "boolean", "description": "Synced passkey (true) or device-bound (false)" } }, "required": ["id", "name", "createdAt", "lastUsedAt", "backedUp"] },
      "Account": {
        "type": "object",
        "properties": {
          "username": { "type": "string" }, "email": { "type": "string" },
          "state": { "type": "string", "enum": ["second-factor-required", "enrolment-required", "authenticated"] },
          "secondFactors": { "type": "object", "properties": { "totp": { "type": "boolean" }, "passkeys": { "type": "array", "items": { "$ref": "#/components/schemas/Passkey" } }, "recoveryCodesLeft": { "type": "integer", "minimum": 0 } }, "required": ["totp", "passkeys", "recoveryCodesLeft"] }
        },
        "required": ["username", "email", "secondFactors"]
      },
      "SecurityEvent": { "type": "object", "properties": { "kind": { "type": "string" }, "detail": { "type": "string" }, "ip": { "type": ["string", "null"] }, "at": { "type": "string", "format": "date-time" } }, "required": ["kind", "detail", "ip", "at"] },
      "PackageEvent": {
        "type": "object",
        "properties": {
          "kind": { "type": "string", "enum": ["published", "staged", "approved", "rejected", "yanked", "unyanked", "deleted"] },
          "version": { "type": ["string", "null"] },
          "actor": { "type": "string" },
          "credential": { "type": "object", "properties": { "kind": { "type": "string", "enum": ["token", "passkey", "totp", "recovery-code", "second-factor"] }, "id": { "type": ["string", "null"], "description": "The token's id or the passkey's name" } }, "required": ["kind", "id"] },
          "detail": { "type": "string" },
          "ip": { "type": ["string", "null"] },
          "at": { "type": "string", "format": "date-time" }
        },
        "required": ["kind", "version", "actor", "credential", "detail", "ip", "at"]
      },
      "NewToken": {
        "type": "object",
        "properties": {
          "name": { "type": "string" },
          "scopes": { "type": "array", "items": { "type": "string", "enum": ["publish", "yank"] }, "minItems": 1, "description": "publish: PUT /{scope}/{name}/{version}; yank: yank and un-yank. No token ever allows a sensitive action (maintainers, policy, tokens, delete)." },
          "packages": { "type": "array", "items": { "type": "string", "description": "scope.name or scope.*" }, "minItems": 1, "maxItems": 100 },
          "expiresInDays": { "type": "integer", "minimum": 1, "maximum": 366, "default": 90, "description": "Tokens always expire: 90 days by default; more than the operator's maximum (serve --max-token-days, 366 by default) is a 400" }
        },
        "required": ["scopes", "packages"]
      },
      "Token": { "type": "object", "properties": { "id": { "type": "string" }, "scopes": { "type": "array", "items": { "type": "string" } }, "packages": { "type": "array", "items": { "type": "string" } }, "createdAt": { "type": "string", "format": "date-time" }, "expiresAt": { "type": ["string", "null"], "format": "date-time" }, "lastUsedAt": { "type": ["string", "null"], "format": "date-time" }, "revoked": { "type": "boolean" } }, "required": ["id", "scopes", "packages", "createdAt", "revoked"] },
      "PackagePolicy": {
        "type": "object",
        "properties": {
          "secondFactor": { "type": "string", "enum": ["any", "passkey"], "default": "any" },
          "publishing": { "type": "string", "enum": ["tokens", "approval"], "default": "tokens" }
        },
        "required": ["secondFactor", "publishing"]
      },
      "Invitation": {
        "type": "object",
        "properties": {
          "id": { "type": "string" }, "package": { "type": "string" }, "username": { "type": "string", "description": "The invitee" },
          "role": { "enum": ["owner", "maintainer"] }, "invitedBy": { "type": "string" },
          "createdAt": { "type": "string", "format": "date-time" }, "expiresAt": { "type": "string", "format": "date-time" }, "state": { "const": "pending" }
        },
        "required": ["id", "package", "username", "role", "invitedBy", "createdAt", "expiresAt"]
      },
      "Package": {
        "type": "object",
        "properties": {
          "package": { "type": "string" },
          "owners": { "type": "array", "items": { "type": "string" } },
          "maintainers": { "type": "array", "description": "Everyone with a role: the scope's owners (via scope) and accounts that accepted an invitation (via invitation)", "items": { "type": "object", "properties": { "username": { "type": "string" }, "role": { "enum": ["owner", "maintainer"] }, "via": { "enum": ["scope", "invitation"] } }, "required": ["username", "role", "via"] } },
          "policy": { "$ref": "#/components/schemas/PackagePolicy", "description": "The effective policy: the package's own raised to the registry-wide floor" },
          "packagePolicy": { "$ref": "#/components/schemas/PackagePolicy", "description": "The policy the owners set (the defaults until they do)" },
          "registryPolicy": { "$ref": "#/components/schemas/PackagePolicy", "description": "The registry-wide floor (serve --minimum-second-factor, --publishing)" },
          "role": { "enum": ["owner", "maintainer"], "description": "The signed-in caller's role, if any" },
          "invitations": { "type": "array", "description": "Only for a signed-in owner: pending invitations", "items": { "$ref": "#/components/schemas/Invitation" } },
          "releases": { "type": "array", "items": { "type": "object", "properties": { "version": { "type": "string" }, "publishedAt": { "type": "string", "format": "date-time" }, "url": { "type": "string" } } } },
          "staged": { "type": "array", "description": "Only for a signed-in owner or maintainer: staged releases waiting for approval", "items": { "type": "object", "properties": { "id": { "type": "string" }, "version": { "type": "string" }, "publisher": { "type": "string" }, "createdAt": { "type": "string", "format": "date-time" }, "expiresAt": { "type": "string", "format": "date-time" }, "location": { "type": "string" } } } }
        },
        "required": ["package", "owners", "policy", "releases"]
      },
      "PackageSecurity": {
        "type": "object",
        "properties": {
          "package": { "type": "string" },
          "policy": { "type": "object", "properties": { "secondFactor": { "type": "string", "enum": ["any", "passkey", "none"] }, "publishing": { "type": "string", "enum": ["tokens", "approval"] }, "registryRequiresSecondFactor": { "type": "boolean" } } },
          "owners": { "type": "array", "items": { "type": "object", "properties": { "username": { "type": "string" }, "passkeys": { "type": "integer" }, "totp": { "type": "boolean" } } } },
          "ownersWithPasskeys": { "type": "integer" },
          "ownersWithoutSecondFactor": { "type": "integer" },
          "releases": { "type": "object", "properties": { "count": { "type": "integer" }, "signed": { "type": "integer" }, "latest": { "type": ["string", "null"] }, "latestSigned": { "type": "boolean" } } }
        },
        "required": ["package", "policy", "owners", "releases"]
      },
      "PublicKeyCredentialCreationOptionsJSON": { "type": "object", "description": "W3C WebAuthn Level 3 JSON form; binary fields are base64url. Feed it to PublicKeyCredential.parseCreationOptionsFromJSON().", "properties": { "rp": { "type": "object" }, "user": { "type": "object" }, "challenge": { "type": "string" }, "pubKeyCredParams": { "type": "array", "items": { "type": "object" } }, "timeout": { "type": "integer" }, "excludeCredentials": { "type": "array", "items": { "type": "object" } }, "authenticatorSelection": { "type": "object" }, "attestation": { "type": "string" } }, "required": ["rp", "user", "challenge", "pubKeyCredParams"] },
      "PublicKeyCredentialRequestOptionsJSON": { "type": "object", "description": "W3C WebAuthn Level 3 JSON form; feed it to PublicKeyCredential.parseRequestOptionsFromJSON().", "properties": { "challenge": { "type": "string" }, "timeout": { "type": "integer" }, "rpId": { "type": "string" }, "allowCredentials": { "type": "array", "items": { "type": "object" } }, "userVerification": { "type": "string" } }, "required": ["challenge"] },
      "RegistrationResponseJSON": { "type": "object", "description": "credential.toJSON() of navigator.credentials.create()", "properties": { "id": { "type": "string" }, "rawId": { "type": "string" }, "type": { "const": "public-key" }, "response": { "type": "object", "properties": { "clientDataJSON": { "type": "string" }, "attestationObject": { "type": "string" }, "transports": { "type": "array", "items": { "type": "string" } } }, "required": ["clientDataJSON", "attestationObject"] } }, "required": ["id", "rawId", "type", "response"] },
      "AuthenticationResponseJSON": { "type": "object", "description": "credential.toJSON() of navigator.credentials.get()", "properties": { "id": { "type": "string" }, "rawId": { "type": "string" }, "type": { "const": "public-key" }, "response": { "type": "object", "properties": { "clientDataJSON": { "type": "string" }, "authenticatorData": { "type": "string" }, "signature": { "type": "string" }, "userHandle": { "type": ["string", "null"] } }, "required": ["clientDataJSON", "authenticatorData", "signature"] } }, "required": ["id", "rawId", "type", "response"] }
    }
  }
}
"""#
}
