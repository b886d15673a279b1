import HummingbirdBcrypt

/// Password hashing with bcrypt. Passwords are never stored or logged in the clear.
public struct PasswordHasher: Sendable {
    /// bcrypt cost; tests lower it to stay fast.
    public var cost: UInt8

    public init(cost: UInt8 = 12) { self.cost = cost }

    public func hash(_ password: String) -> String {
        Bcrypt.hash(password, cost: cost)
    }

    public func verify(_ password: String, against hash: String) -> Bool {
        Bcrypt.verify(password, hash: hash)
    }
}
