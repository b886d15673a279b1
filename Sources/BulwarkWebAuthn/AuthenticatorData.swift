import BulwarkCBOR

/// Authenticator data (WebAuthn §6.1): what the authenticator signs besides the client data hash.
///
/// Layout: rpIdHash (32) ‖ flags (1) ‖ signCount (4, big-endian) ‖ attested credential data (if AT)
/// ‖ extensions map (if ED). Nothing may follow.
public struct AuthenticatorData: Sendable {
    /// The maximum credential id length the specification allows.
    public static let maxCredentialIdLength = 1023

    /// SHA-256 of the RP ID the authenticator scoped the credential to.
    public let rpIdHash: [UInt8]
    /// UP, UV, BE, BS, AT and ED.
    public let flags: AuthenticatorFlags
    /// The signature counter; 0 when the authenticator does not keep one.
    public let signCount: UInt32
    /// Present exactly when the AT flag is set.
    public let attestedCredentialData: AttestedCredentialData?
    /// Present exactly when the ED flag is set; always a CBOR map.
    public let extensions: CBOR?
    /// The bytes parsed, which signatures cover.
    public let bytes: [UInt8]

    /// Parses authenticator data, checking that the AT and ED flags agree with what follows the counter.
    public init(bytes input: some Collection<UInt8>) throws(WebAuthnError) {
        let raw = Array(input)
        guard raw.count >= 37 else { throw .malformed("the authenticator data is shorter than 37 bytes") }
        bytes = raw
        rpIdHash = Array(raw[0..<32])
        flags = AuthenticatorFlags(rawValue: raw[32])
        signCount = UInt32(raw[33]) << 24 | UInt32(raw[34]) << 16 | UInt32(raw[35]) << 8 | UInt32(raw[36])
        var rest = raw[37...]

        if flags.contains(.attestedCredentialData) {
            guard rest.count >= 18 else { throw .malformed("the attested credential data is truncated") }
            let aaguid = Array(rest.prefix(16))
            rest = rest.dropFirst(16)
            let length = Int(rest[rest.startIndex]) << 8 | Int(rest[rest.startIndex + 1])
            rest = rest.dropFirst(2)
            guard length <= Self.maxCredentialIdLength else {
                throw .malformed("the credential id is longer than 1023 bytes")
            }
            guard rest.count >= length else { throw .malformed("the credential id is truncated") }
            let credentialId = Array(rest.prefix(length))
            rest = rest.dropFirst(length)
            let keyItem: CBOR
            let afterKey: ArraySlice<UInt8>
            do { (keyItem, afterKey) = try CBOR.decodePrefix(rest) } catch {
                throw .malformed("the credential public key is not valid CBOR (\(error))")
            }
            let keyBytes = Array(rest.prefix(rest.count - afterKey.count))
            let key = try COSEKey(item: keyItem, bytes: keyBytes)
            attestedCredentialData = AttestedCredentialData(aaguid: aaguid, credentialId: credentialId, publicKey: key)
            rest = afterKey
        } else {
            attestedCredentialData = nil
        }

        if flags.contains(.extensionData) {
            let item: CBOR
            do { (item, rest) = try CBOR.decodePrefix(rest) } catch {
                throw .malformed("the authenticator extensions are not valid CBOR (\(error))")
            }
            guard item.mapValue != nil else { throw .malformed("the authenticator extensions are not a CBOR map") }
            extensions = item
        } else {
            extensions = nil
        }

        guard rest.isEmpty else { throw .malformed("the authenticator data has unexpected trailing bytes") }
    }
}
