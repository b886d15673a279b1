/// QR codes (ISO/IEC 18004) for TOTP enrolment.
public enum QRCode {}
