import BulwarkAuth
import Foundation
import Testing

@Suite("otpauth:// provisioning URIs")
struct TOTPURITests {
    let secret = Array("12345678901234567890".utf8)

    @Test func uriHasLabelSecretAndEveryParameter() {
        let uri = TOTP(secret: secret).otpauthURI(issuer: "Bulwark", account: "alice")
        #expect(uri == "otpauth://totp/Bulwark:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Bulwark&algorithm=SHA1&digits=6&period=30")
    }

    @Test func uriNamesNonDefaultAlgorithmDigitsAndPeriod() {
        let uri = TOTP(secret: secret, algorithm: .sha512, digits: .eight, period: 60).otpauthURI(issuer: "B", account: "a")
        #expect(uri.hasSuffix("&algorithm=SHA512&digits=8&period=60"))
    }

    @Test func issuerAndAccountArePercentEncoded() {
        let uri = TOTP(secret: secret).otpauthURI(issuer: "Acme Registry: EU", account: "alice+ops@example.com")
        #expect(uri.hasPrefix("otpauth://totp/Acme%20Registry%3A%20EU:alice%2Bops%40example.com?"))
        #expect(uri.contains("&issuer=Acme%20Registry%3A%20EU&"))
    }

    @Test func reservedCharactersCannotChangeTheURIStructure() throws {
        let issuer = "a&b=c?d#e/f%g"
        let account = "x y:z&secret=AAAA"
        let uri = TOTP(secret: secret).otpauthURI(issuer: issuer, account: account)
        let components = try #require(URLComponents(string: uri))
        #expect(components.scheme == "otpauth")
        #expect(components.host == "totp")
        #expect(components.path == "/\(issuer):\(account)")
        let items = try #require(components.queryItems)
        #expect(items.map(\.name) == ["secret", "issuer", "algorithm", "digits", "period"])
        #expect(items.first { $0.name == "secret" }?.value == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
        #expect(items.first { $0.name == "issuer" }?.value == issuer)
    }

    @Test func nonASCIINamesAreEncodedAsUTF8() {
        let uri = TOTP(secret: secret).otpauthURI(issuer: "Café", account: "zoë")
        #expect(uri.hasPrefix("otpauth://totp/Caf%C3%A9:zo%C3%AB?"))
    }

    @Test func unreservedCharactersStayLiteral() {
        let uri = TOTP(secret: secret).otpauthURI(issuer: "A-Z.a_z~09", account: "u")
        #expect(uri.hasPrefix("otpauth://totp/A-Z.a_z~09:u?"))
    }

    @Test func secretInURIIsUnpaddedBase32() {
        let uri = TOTP(secret: Array("12345".utf8) + [0]).otpauthURI(issuer: "B", account: "a")
        #expect(uri.contains("secret=GEZDGNBVAA&"))
        #expect(!uri.contains("="  + "="))
    }
}
