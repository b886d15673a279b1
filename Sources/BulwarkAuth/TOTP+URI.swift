/// Provisioning URIs in the Key URI Format understood by authenticator apps.
extension TOTP {
    /// The `otpauth://` URI to show as a QR code when enrolling this secret, for example
    /// `otpauth://totp/Bulwark:alice%40example.com?secret=…&issuer=Bulwark&algorithm=SHA1&digits=6&period=30`.
    ///
    /// The label is `issuer:account`; both parts and the `issuer` parameter are percent-encoded
    /// as UTF-8, leaving only RFC 3986 unreserved characters (`A–Z a–z 0–9 - . _ ~`) literal, so a
    /// colon, space, `&`, `#`, `?`, `/` or `+` inside a name can't change the URI's structure. The
    /// secret is unpadded uppercase Base32. All parameters are written even when they have their
    /// default values, so apps that assume defaults and apps that don't agree.
    public func otpauthURI(issuer: String, account: String) -> String {
        let label = OTPAuthURIEncoding.percentEncode(issuer) + ":" + OTPAuthURIEncoding.percentEncode(account)
        let query = [
            ("secret", Base32.encode(secret)),
            ("issuer", OTPAuthURIEncoding.percentEncode(issuer)),
            ("algorithm", algorithm.uriName),
            ("digits", String(digits.rawValue)),
            ("period", String(period)),
        ]
        return "otpauth://totp/" + label + "?" + query.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }
}

/// Percent-encoding for the parts of an `otpauth://` URI.
enum OTPAuthURIEncoding {
    /// UTF-8 percent-encoding of everything but RFC 3986 unreserved characters, with uppercase hex.
    static func percentEncode(_ string: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
