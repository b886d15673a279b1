/// A WebAuthn relying party.
public enum WebAuthn {}
