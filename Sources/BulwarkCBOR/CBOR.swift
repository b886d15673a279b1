/// A strict CBOR (RFC 8949) decoder.
public enum CBOR {}
