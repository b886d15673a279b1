import BulwarkCore
import Testing

/// `IPAddress`, `IPAddressRange` and `TrustedProxies`: who the client is behind `--trusted-proxy`.
@Suite struct ClientAddressTests {
    @Test(arguments: [
        ("192.0.2.1", "192.0.2.1"), ("0.0.0.0", "0.0.0.0"), ("255.255.255.255", "255.255.255.255"),
        ("::1", "::1"), ("::", "::"), ("2001:DB8::1", "2001:db8::1"), ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"), ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"), ("fe80::", "fe80::"),
        ("::ffff:192.0.2.1", "192.0.2.1"), ("::FFFF:c000:0201", "192.0.2.1"), ("64:ff9b::192.0.2.1", "64:ff9b::c000:201"),
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
    ])
    func addressesParseAndPrintCanonically(text: String, canonical: String) throws {
        #expect(try #require(IPAddress(text)).description == canonical)
    }

    @Test(arguments: [
        "", " ", "unknown", "192.0.2", "192.0.2.1.5", "192.0.2.256", "192.0.02.1", "1.2.3.-1", "0x7f.0.0.1", "127.1",
        "192.0.2.1 ", ":", ":::", "1:::2", "1::2::3", ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::",
        "fe80::1%eth0", "::ffff:192.0.2", "::1.2.3.4:5", "g::1", "[::1]", "localhost", "192.0.2.1/32",
    ])
    func garbageIsRefused(text: String) {
        #expect(IPAddress(text) == nil)
    }

    /// A valid address literal.
    func ip(_ text: String) -> IPAddress { IPAddress(text)! }

    @Test func rangesMatchTheirAddresses() throws {
        let loopback = try #require(IPAddressRange("127.0.0.1"))
        #expect(loopback.contains(ip("127.0.0.1")))
        #expect(loopback.contains(ip("::ffff:127.0.0.1")), "a dual-stack socket's peer is the IPv4 address")
        #expect(!loopback.contains(ip("127.0.0.2")))
        #expect(!loopback.contains(ip("::1")))

        let ten = try #require(IPAddressRange("10.1.2.3/8"))
        #expect(ten.description == "10.0.0.0/8", "host bits are ignored")
        #expect(ten.contains(ip("10.255.0.1")) && !ten.contains(ip("11.0.0.1")))

        let ula = try #require(IPAddressRange("fd00::/8"))
        #expect(ula.contains(ip("fd12:3456::1")) && !ula.contains(ip("fe80::1")))
        #expect(!ula.contains(ip("10.0.0.1")))

        let mapped = try #require(IPAddressRange("::ffff:10.0.0.0/104"))
        #expect(mapped.description == "10.0.0.0/8" && mapped.contains(ip("10.9.9.9")))
        let everything = try #require(IPAddressRange("::/0"))
        #expect(everything.contains(ip("192.0.2.1")) && everything.contains(ip("2001:db8::1")))
        #expect(try #require(IPAddressRange("0.0.0.0/0")).contains(ip("192.0.2.1")))

        for bad in ["10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8/8", "/8", "10.0.0.0/0x8", "proxy.internal", ""] {
            #expect(IPAddressRange(bad) == nil, "\(bad)")
        }
    }

    @Test func parsingNamesTheBadValue() {
        #expect((try? TrustedProxies.parse(["127.0.0.1", " 10.0.0.0/8 ", "::1"]).get())?.ranges.count == 3)
        guard case .failure(let error) = TrustedProxies.parse(["127.0.0.1", "nginx"]) else { Issue.record("accepted 'nginx'"); return }
        #expect(error.spec == "nginx")
    }

    func proxies(_ specs: String...) throws -> TrustedProxies { try TrustedProxies.parse(specs).get() }

    @Test func withoutTrustedProxiesTheHeaderIsIgnored() {
        let none = TrustedProxies()
        #expect(none.clientAddress(peer: "127.0.0.1", forwardedFor: ["203.0.113.9"]) == "127.0.0.1")
        #expect(none.clientAddress(peer: nil, forwardedFor: ["203.0.113.9"]) == nil)
    }

    @Test func anUntrustedPeerIsTheClientWhateverItSends() throws {
        let trusted = try proxies("10.0.0.0/8")
        #expect(trusted.clientAddress(peer: "198.51.100.7", forwardedFor: ["203.0.113.9"]) == "198.51.100.7")
        #expect(trusted.clientAddress(peer: "::ffff:198.51.100.7", forwardedFor: ["203.0.113.9"]) == "::ffff:198.51.100.7", "the peer is returned as it was")
        #expect(trusted.clientAddress(peer: nil, forwardedFor: ["203.0.113.9"]) == nil)
        #expect(trusted.clientAddress(peer: "not an address", forwardedFor: ["203.0.113.9"]) == "not an address")
    }

    @Test func aTrustedPeerNamesTheClient() throws {
        let trusted = try proxies("127.0.0.1", "::1")
        #expect(trusted.clientAddress(peer: "127.0.0.1", forwardedFor: ["203.0.113.9"]) == "203.0.113.9")
        #expect(trusted.clientAddress(peer: "::ffff:127.0.0.1", forwardedFor: ["203.0.113.9"]) == "203.0.113.9", "v4-mapped peer")
        #expect(trusted.clientAddress(peer: "::1", forwardedFor: ["2001:DB8:0:0::7"]) == "2001:db8::7")
        #expect(trusted.clientAddress(peer: "127.0.0.1", forwardedFor: ["::ffff:203.0.113.9"]) == "203.0.113.9")
        #expect(trusted.clientAddress(peer: "127.0.0.1", forwardedFor: [" 203.0.113.9\t"]) == "203.0.113.9")
        #expect(trusted.clientAddress(peer: "127.0.0.1", forwardedFor: ["203.0.113.9:51234"]) == "203.0.113.9", "with a port")
        #expect(trusted.clientAddress(peer: "127.0.0.1", forwardedFor: ["[2001:db8::7]:443"]) == "2001:db8::7")
        #expect(trusted.clientAddress(peer: "127.0.0.1", forwardedFor: ["[2001:db8::7]"]) == "2001:db8::7")
    }

    /// `$proxy_add_x_forwarded_for` appends to what the client sent: the client's own entries
    /// (on the left) are never believed.
    @Test func spoofedLeftMostEntriesAreIgnored() throws {
        let trusted = try proxies("127.0.0.1")
        #expect(trusted.clientAddress(peer: "127.0.0.1", forwardedFor: ["198.51.100.1, 203.0.113.9"]) == "203.0.113.9")
        #expect(trusted.clientAddress(peer: "127.0.0.1", forwardedFor: ["127.0.0.1, 203.0.113.9"]) == "203.0.113.9", "claiming to be local")
        #expect(trusted.clientAddress(peer: "127.0.0.1", forwardedFor: ["garbage, 203.0.113.9"]) == "203.0.113.9", "junk left of the client is never read")
        #expect(trusted.clientAddress(peer: "127.0.0.1", forwardedFor: ["198.51.100.1", "203.0.113.9"]) == "203.0.113.9", "several header lines")
    }

    @Test func severalProxiesAreSkippedFromTheRight() throws {
        let trusted = try proxies("10.0.0.0/8", "fd00::/8", "127.0.0.1")
        // client → CDN edge (10.1.1.1) → balancer (fd00::2) → nginx on the host (127.0.0.1) → bulwark
        #expect(trusted.clientAddress(peer: "127.0.0.1", forwardedFor: ["203.0.113.9, 10.1.1.1, fd00::2"]) == "203.0.113.9")
        #expect(trusted.clientAddress(peer: "127.0.0.1", forwardedFor: ["198.51.100.1, 203.0.113.9, 10.1.1.1", "fd00::2"]) == "203.0.113.9")
        // Every entry trusted: the left-most one is the furthest known.
        #expect(trusted.clientAddress(peer: "127.0.0.1", forwardedFor: ["10.2.2.2, 10.1.1.1"]) == "10.2.2.2")
    }

    @Test func malformedOrMissingHeadersFallBackToThePeer() throws {
        let trusted = try proxies("127.0.0.1", "10.0.0.0/8")
        for header in [
            [], [""], ["unknown"], ["203.0.113.9, "], ["203.0.113.9,,10.0.0.1"], ["203.0.113.9, bogus"], ["203.0.113.9, 10.0.0.1 10.0.0.2"],
            ["203.0.113.9; proto=https"], ["\"203.0.113.9\""], ["203.0.113.9:99999"], ["[203.0.113.9]"], ["for=203.0.113.9"],
            ["203.0.113.9, " + String(repeating: "1", count: 100)], ["fe80::1%eth0"],
        ] {
            #expect(trusted.clientAddress(peer: "127.0.0.1", forwardedFor: header) == "127.0.0.1", "\(header)")
        }
        // Garbage behind trusted entries is read, so it counts.
        #expect(trusted.clientAddress(peer: "10.0.0.5", forwardedFor: ["bogus, 10.0.0.1"]) == "10.0.0.5")
    }
}
