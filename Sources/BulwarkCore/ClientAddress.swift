/// An IPv4 or IPv6 address, parsed strictly (no zone ids, no octal or shortened IPv4 forms).
/// An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) is the IPv4 address it maps, so a
/// dual-stack socket's peer and the same client over IPv4 are one address.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6.
    public let bytes: [UInt8]

    public init?(_ text: some StringProtocol) {
        let text = Substring(text)
        if let v4 = Self.parseIPv4(text) {
            bytes = v4
        } else if let v6 = Self.parseIPv6(text) {
            bytes = Self.isMapped(v6) ? Array(v6[12...]) : v6
        } else {
            return nil
        }
    }

    init(bytes: [UInt8]) { self.bytes = bytes }

    public var isIPv4: Bool { bytes.count == 4 }

    /// The 16-byte form: IPv4 addresses as IPv4-mapped IPv6 addresses.
    var sixteenBytes: [UInt8] { isIPv4 ? [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF] + bytes : bytes }

    /// Dotted decimal for IPv4; RFC 5952 for IPv6 (lower case, longest run of zero groups as `::`).
    public var description: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        let groups = (0..<8).map { Int(bytes[2 * $0]) << 8 | Int(bytes[2 * $0 + 1]) }
        var best = (start: -1, length: 0)
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else { index += 1; continue }
            let start = index
            while index < 8, groups[index] == 0 { index += 1 }
            if index - start > best.length { best = (start, index - start) }
        }
        func hex(_ range: Range<Int>) -> String { groups[range].map { String($0, radix: 16) }.joined(separator: ":") }
        guard best.length >= 2 else { return hex(0..<8) }
        return hex(0..<best.start) + "::" + hex((best.start + best.length)..<8)
    }

    static func isMapped(_ v6: [UInt8]) -> Bool { v6[0..<10].allSatisfy { $0 == 0 } && v6[10] == 0xFF && v6[11] == 0xFF }

    /// Exactly four decimal parts of 0–255, without leading zeros.
    static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.utf8.count), part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                part.utf8.count == 1 || part.utf8.first != 0x30, let value = UInt8(part)
            else { return nil }
            out.append(value)
        }
        return out
    }

    /// Eight groups of 1–4 hex digits, at most one `::`, optionally ending in dotted IPv4.
    static func parseIPv6(_ text: Substring) -> [UInt8]? {
        guard text.utf8.count >= 2, text.utf8.count <= 45, text.contains(":") else { return nil }
        // Split at the one `::`, if any.
        let chars = Array(text.utf8)
        var halves: [Substring] = [text]
        if let at = (0..<(chars.count - 1)).first(where: { chars[$0] == 0x3A && chars[$0 + 1] == 0x3A }) {
            let left = text.utf8.index(text.startIndex, offsetBy: at)
            let right = text.utf8.index(left, offsetBy: 2)
            halves = [text[..<left], text[right...]]
            guard !halves[1].contains("::") else { return nil }
        }
        let compressed = halves.count == 2
        func groups(_ part: Substring, last: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            for (i, field) in fields.enumerated() {
                if last, i == fields.count - 1, field.contains(".") {
                    guard let v4 = parseIPv4(field) else { return nil }
                    result += [UInt16(v4[0]) << 8 | UInt16(v4[1]), UInt16(v4[2]) << 8 | UInt16(v4[3])]
                    continue
                }
                guard (1...4).contains(field.utf8.count), field.utf8.allSatisfy({ $0.isHexDigit }), let value = UInt16(field, radix: 16) else {
                    return nil
                }
                result.append(value)
            }
            return result
        }
        guard let head = groups(halves[0], last: !compressed) else { return nil }
        var tail: [UInt16] = []
        if compressed {
            guard let second = groups(halves[1], last: true) else { return nil }
            tail = second
            guard head.count + tail.count <= 7 else { return nil }
        } else {
            guard head.count == 8 else { return nil }
        }
        let all = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
}

extension UInt8 {
    fileprivate var isHexDigit: Bool { (0x30...0x39).contains(self) || (0x41...0x46).contains(self) || (0x61...0x66).contains(self) }
}

/// An address or a CIDR block: `10.0.0.7`, `10.0.0.0/8`, `::1`, `fd00::/8`. Host bits beyond the
/// prefix are ignored (`10.1.2.3/8` is `10.0.0.0/8`). An IPv6 block also matches the IPv4 addresses
/// it contains as IPv4-mapped addresses (`::/0` matches everything).
public struct IPAddressRange: Hashable, Sendable, CustomStringConvertible {
    public let network: IPAddress
    public let prefixLength: Int

    public init?(_ text: some StringProtocol) {
        let text = Substring(text)
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let written = parts.count == 2 ? parts[1] : nil
        guard let parsed = IPAddress(parts[0]) else { return nil }
        let maximum = parsed.bytes.count * 8
        var prefix = maximum
        var address = parsed
        if let written {
            guard (1...3).contains(written.utf8.count), written.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int(written) else {
                return nil
            }
            // `::ffff:10.0.0.0/104` was written in IPv6 terms: the unmapped IPv4 block is /8.
            let writtenAsIPv6 = parsed.isIPv4 && parts[0].contains(":")
            if writtenAsIPv6 {
                guard value <= 128 else { return nil }
                if value < 96 {
                    address = IPAddress(bytes: parsed.sixteenBytes)
                    prefix = value
                } else {
                    prefix = value - 96
                }
            } else {
                guard value <= maximum else { return nil }
                prefix = value
            }
        }
        network = IPAddress(bytes: Self.mask(address.bytes, prefix))
        prefixLength = prefix
    }

    static func mask(_ bytes: [UInt8], _ prefix: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let bits = max(0, min(8, prefix - index * 8))
            return bits == 8 ? byte : byte & ~(UInt8.max >> bits)
        }
    }

    public func contains(_ address: IPAddress) -> Bool {
        let candidate: [UInt8]
        if network.isIPv4 {
            guard address.isIPv4 else { return false }
            candidate = address.bytes
        } else {
            candidate = address.sixteenBytes
        }
        return Self.mask(candidate, prefixLength) == network.bytes
    }

    public var description: String { "\(network)/\(prefixLength)" }
}

/// Which TCP peers are proxies whose `X-Forwarded-For` is believed (`serve --trusted-proxy`), and
/// the client address that follows from a request.
///
/// With no trusted proxies (the default) the client is the TCP peer and the header is ignored. When
/// the peer is trusted, `X-Forwarded-For` is read from the right (each proxy appends the address it
/// received the request from): trusted addresses are skipped and the first untrusted one is the
/// client. Entries to the left of it were written by the client and could be anything, so they are
/// never used. If every entry is trusted, the left-most is the client. A missing header, an empty
/// entry or a malformed one (on the part that is read) gives the peer's address instead.
public struct TrustedProxies: Sendable, Hashable {
    public let ranges: [IPAddressRange]

    public init(_ ranges: [IPAddressRange] = []) { self.ranges = ranges }

    /// Parses `serve --trusted-proxy` values; nil names the first one that is not an address or CIDR block.
    public static func parse(_ specs: [String]) -> Result<TrustedProxies, InvalidSpec> {
        var ranges: [IPAddressRange] = []
        for spec in specs {
            guard let range = IPAddressRange(spec.trimmingSpacesAndTabs) else { return .failure(InvalidSpec(spec: spec)) }
            ranges.append(range)
        }
        return .success(TrustedProxies(ranges))
    }

    public struct InvalidSpec: Error, Equatable, CustomStringConvertible {
        public let spec: String
        public var description: String { "'\(spec)' is not an IPv4/IPv6 address or CIDR block (like 10.0.0.0/8 or fd00::/8)" }
    }

    public var isEmpty: Bool { ranges.isEmpty }

    public func isTrusted(_ address: IPAddress) -> Bool { ranges.contains { $0.contains(address) } }

    /// The client's address. `peer`: the TCP peer's address as the socket reports it;
    /// `forwardedFor`: every `X-Forwarded-For` field value, in order. The peer is returned
    /// unchanged unless it is trusted and the header names a client; a client named by the
    /// header is returned in canonical form (IPv4-mapped addresses unmapped, IPv6 per RFC 5952).
    public func clientAddress(peer: String?, forwardedFor: [String]) -> String? {
        guard !ranges.isEmpty, let peer, let peerAddress = IPAddress(peer), isTrusted(peerAddress) else { return peer }
        let entries = forwardedFor.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
        guard !entries.isEmpty else { return peer }
        var leftmost: IPAddress?
        for entry in entries.reversed() {
            guard let address = Self.forwardedAddress(entry) else { return peer }
            if !isTrusted(address) { return address.description }
            leftmost = address
        }
        return leftmost?.description ?? peer
    }

    /// One `X-Forwarded-For` entry: an address, optionally with a port (`192.0.2.1:4711`,
    /// `[2001:db8::1]:4711`) or in brackets (`[2001:db8::1]`); surrounding spaces and tabs are allowed.
    public static func forwardedAddress(_ entry: some StringProtocol) -> IPAddress? {
        let text = Substring(entry).trimmingSpacesAndTabs
        guard !text.isEmpty, text.utf8.count <= 64 else { return nil }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let rest = text[text.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && isPort(rest.dropFirst())) else { return nil }
            let inner = text[text.index(after: text.startIndex)..<close]
            guard inner.contains(":"), let address = IPAddress(inner) else { return nil }
            return address
        }
        let colons = text.filter { $0 == ":" }.count
        if colons == 1, let colon = text.firstIndex(of: ":") {
            // IPv4 with a port; an IPv6 address has at least two colons.
            guard isPort(text[text.index(after: colon)...]), let v4 = IPAddress.parseIPv4(text[..<colon]) else { return nil }
            return IPAddress(bytes: v4)
        }
        return IPAddress(text)
    }

    static func isPort(_ text: Substring) -> Bool {
        (1...5).contains(text.utf8.count) && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } && (Int(text) ?? 70_000) <= 65_535
    }
}

extension StringProtocol {
    fileprivate var trimmingSpacesAndTabs: Substring {
        let s = Substring(self)
        guard let start = s.firstIndex(where: { $0 != " " && $0 != "\t" }) else { return s[s.endIndex...] }
        let end = s.lastIndex(where: { $0 != " " && $0 != "\t" })!
        return s[start...end]
    }
}
