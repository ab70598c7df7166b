import AsyncIO

/// The SSRF guard of `web_fetch`: which resolved addresses the fetcher may connect to.
/// Refused: loopback, private (RFC 1918, IPv6 unique-local `fc00::/7` — which holds
/// `fd00::/8` and AWS's `fd00:ec2::254`), link-local (`169.254.0.0/16` — the cloud metadata
/// address `169.254.169.254` — and `fe80::/10`), carrier-grade NAT, "this network",
/// benchmarking, documentation, multicast and reserved ranges, the unspecified address, and
/// IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4), judged by that
/// address. It runs inside the HTTP client's connector on the very address connected to,
/// for the first request and every redirect, so DNS cannot answer differently between the
/// check and the connection.
enum AddressGuard {
    /// Whether `address` is on the public internet.
    static func isPublic(_ address: SocketAddress) -> Bool {
        isPublic(bytes: address.bytes)
    }

    static func isPublic(bytes: [UInt8]) -> Bool {
        switch bytes.count {
        case 4: return isPublicIPv4(bytes)
        case 16: return isPublicIPv6(bytes)
        default: return false
        }
    }

    private static func isPublicIPv4(_ b: [UInt8]) -> Bool {
        let (a, second) = (b[0], b[1])
        switch a {
        case 0, 10, 127: return false  // this network, private, loopback
        case 100 where second & 0xC0 == 64: return false  // 100.64.0.0/10 carrier-grade NAT
        case 169 where second == 254: return false  // link-local, cloud metadata
        case 172 where second & 0xF0 == 16: return false  // 172.16.0.0/12
        case 192 where second == 168: return false  // 192.168.0.0/16
        case 192 where second == 0 && (b[2] == 0 || b[2] == 2): return false  // IETF protocol assignments, TEST-NET-1
        case 198 where second & 0xFE == 18: return false  // 198.18.0.0/15 benchmarking
        case 198 where second == 51 && b[2] == 100: return false  // TEST-NET-2
        case 203 where second == 0 && b[2] == 113: return false  // TEST-NET-3
        case 224...255: return false  // multicast, reserved, broadcast
        default: return true
        }
    }

    private static func isPublicIPv6(_ b: [UInt8]) -> Bool {
        let zeros10 = b[0..<10].allSatisfy { $0 == 0 }
        // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, and :: and ::1): the IPv4 address decides.
        if zeros10 && b[10] == 0xFF && b[11] == 0xFF { return isPublicIPv4(Array(b[12..<16])) }
        if zeros10 && b[10] == 0 && b[11] == 0 { return b[12..<16].allSatisfy({ $0 == 0 }) || b[12..<15].allSatisfy({ $0 == 0 }) ? false : isPublicIPv4(Array(b[12..<16])) }
        // 64:ff9b::/96 NAT64 (and 64:ff9b:1::/48, local NAT64): the IPv4 address decides.
        if b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B { return isPublicIPv4(Array(b[12..<16])) }
        // 2002::/16 6to4: the IPv4 address is in bytes 2...5.
        if b[0] == 0x20 && b[1] == 0x02 { return isPublicIPv4(Array(b[2..<6])) }
        if b[0] & 0xFE == 0xFC { return false }  // fc00::/7 unique local
        if b[0] == 0xFE && b[1] & 0xC0 == 0x80 { return false }  // fe80::/10 link-local
        if b[0] == 0xFE && b[1] & 0xC0 == 0xC0 { return false }  // fec0::/10 site-local (deprecated)
        if b[0] == 0xFF { return false }  // multicast
        if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8 { return false }  // 2001:db8::/32 documentation
        if b[0] == 0x01 && b[1..<8].allSatisfy({ $0 == 0 }) { return false }  // 100::/64 discard
        return true
    }
}
