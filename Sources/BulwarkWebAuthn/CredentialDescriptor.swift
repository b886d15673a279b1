/// A credential named in `excludeCredentials` or `allowCredentials` (`PublicKeyCredentialDescriptorJSON`).
public struct CredentialDescriptor: Sendable, Hashable, Encodable {
    /// Always `public-key`.
    public let type = "public-key"
    /// The credential id, base64url.
    public let id: String
    /// The transports stored at registration; omitted from the JSON when empty.
    public let transports: [String]?

    /// Names the credential `id`, with the transports stored for it.
    public init(id: [UInt8], transports: [String] = []) {
        self.id = Base64URL.encode(id)
        self.transports = transports.isEmpty ? nil : transports
    }

    private enum CodingKeys: String, CodingKey { case type, id, transports }
}
