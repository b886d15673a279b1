/// The server's record of a registered passkey, as needed to check an assertion.
public struct StoredCredential: Sendable, Hashable {
    /// The credential id; the assertion's rawId must equal it.
    public var id: [UInt8]
    /// The COSE_Key bytes saved at registration (``RegisteredCredential/publicKey``).
    public var publicKey: [UInt8]
    /// The algorithm saved at registration; the key must be for it.
    public var algorithm: COSEAlgorithm
    /// The last signature counter seen.
    public var signCount: UInt32
    /// The BE flag saved at registration; `nil` skips the check that it never changes.
    public var backupEligible: Bool?
    /// The user handle of the account the credential belongs to; `nil` skips the check that an
    /// assertion's userHandle, when present, equals it.
    public var userHandle: [UInt8]?

    /// A record; leave `backupEligible` and `userHandle` `nil` to skip their checks.
    public init(
        id: [UInt8], publicKey: [UInt8], algorithm: COSEAlgorithm, signCount: UInt32,
        backupEligible: Bool? = nil, userHandle: [UInt8]? = nil
    ) {
        self.id = id
        self.publicKey = publicKey
        self.algorithm = algorithm
        self.signCount = signCount
        self.backupEligible = backupEligible
        self.userHandle = userHandle
    }
}
