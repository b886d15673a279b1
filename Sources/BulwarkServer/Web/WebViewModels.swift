/// What each page's template shows. Plain values only: templates escape every `{{value}}`.
struct LayoutModel {
    let title: String
    /// Rendered from the page's template; the only unescaped value.
    let body: String
    let narrow: Bool
    let signedIn: Bool
}

struct HomeModel {
    let signedIn: Bool
    let username: String
    let signUpOpen: Bool
}

struct SignUpModel {
    let open: Bool
    let minimumPasswordLength: Int
}

struct SignInModel {
    let signUpOpen: Bool
}

/// The second step of a sign-in: which factors the account can use.
struct VerifyModel {
    let username: String
    let passkey: Bool
    let totp: Bool
    let recoveryCode: Bool
}

struct PasskeyRow {
    let id: String
    let name: String
    let createdISO: String
    let created: String
    let lastUsedISO: String?
    let lastUsed: String
    /// "synced" (backed up) or "device-bound".
    let kind: String
}

struct TokenRow {
    let id: String
    let packages: String
    let createdISO: String
    let created: String
    let expires: String
    let lastUsed: String
    let revoked: Bool
}

struct AccountModel {
    let username: String
    let email: String
    let enrolmentRequired: Bool
    let authenticated: Bool
    let passkeysAvailable: Bool
    let passkeys: [PasskeyRow]
    let hasPasskeys: Bool
    let totp: Bool
    let totpCreated: String?
    let totpCreatedISO: String
    let recoveryCodesLeft: Int
    let hasFactor: Bool
    let tokens: [TokenRow]
    let hasTokens: Bool
    let scopes: [String]
    let hasScopes: Bool
    /// Offered in the claim form: the username, when no scope is owned yet.
    let suggestedScope: String
    /// The new-token form's default packages: every owned scope.
    let tokenPackages: String
}

/// The enrolment page: shows the pending secret once, as a QR code and as text.
struct TOTPModel {
    var alreadyActive: Bool
    var qrSVG: String = ""
    var secretGrouped: String = ""
    var otpauthURI: String = ""
    var username: String = ""
    var issuer: String = ""
}

struct EventRow {
    let atISO: String
    let at: String
    let label: String
    let detail: String
    let ip: String
}

struct SecurityLogModel {
    let username: String
    let events: [EventRow]
    let hasEvents: Bool
}
