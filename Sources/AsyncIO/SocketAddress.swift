import Glibc

/// An IPv4 or IPv6 address and port.
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    /// IPv4 or IPv6.
    public enum Family: Sendable, Hashable { case ipv4, ipv6 }

    private enum Storage: Hashable {
        case ipv4(UInt32, port: UInt16)  // address in network byte order
        case ipv6([UInt8], port: UInt16, scope: UInt32)
    }

    private let storage: Storage

    /// A host as written in a URL authority without its IPv6 brackets: "::1" for "[::1]".
    static func unbracketed(_ host: String) -> String {
        host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }

    /// Parses a numeric IPv4 or IPv6 literal ("127.0.0.1", "::1", "[::1]"); nil for host names.
    public init?(ip: String, port: Int) {
        guard (0...65535).contains(port) else { return nil }
        let literal = Self.unbracketed(ip)
        var v4 = in_addr()
        if inet_pton(AF_INET, literal, &v4) == 1 {
            storage = .ipv4(v4.s_addr, port: UInt16(port))
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, literal, &v6) == 1 {
            let bytes = withUnsafeBytes(of: &v6) { Array($0) }
            storage = .ipv6(bytes, port: UInt16(port), scope: 0)
            return
        }
        return nil
    }

    /// Reads a kernel `sockaddr`; nil for families other than IPv4 and IPv6.
    init?(_ address: UnsafePointer<sockaddr>) {
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            let v4 = UnsafeRawPointer(address).load(as: sockaddr_in.self)
            storage = .ipv4(v4.sin_addr.s_addr, port: UInt16(bigEndian: v4.sin_port))
        case AF_INET6:
            var v6 = UnsafeRawPointer(address).load(as: sockaddr_in6.self)
            let bytes = withUnsafeBytes(of: &v6.sin6_addr) { Array($0) }
            storage = .ipv6(bytes, port: UInt16(bigEndian: v6.sin6_port), scope: v6.sin6_scope_id)
        default:
            return nil
        }
    }

    /// Which address family this is.
    public var family: Family {
        if case .ipv4 = storage { return .ipv4 }
        return .ipv6
    }

    /// The port, in host byte order.
    public var port: Int {
        switch storage {
        case .ipv4(_, let port), .ipv6(_, let port, _): Int(port)
        }
    }

    /// The address without the port, in its usual text form.
    public var ip: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        switch storage {
        case .ipv4(let raw, _):
            var address = in_addr(s_addr: raw)
            inet_ntop(AF_INET, &address, &buffer, socklen_t(buffer.count))
        case .ipv6(let bytes, _, _):
            bytes.withUnsafeBytes { _ = inet_ntop(AF_INET6, $0.baseAddress, &buffer, socklen_t(buffer.count)) }
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The address's bytes in network order: 4 for IPv4, 16 for IPv6.
    public var bytes: [UInt8] {
        switch storage {
        case .ipv4(let raw, _): withUnsafeBytes(of: raw) { Array($0) }
        case .ipv6(let bytes, _, _): bytes
        }
    }

    /// Whether only this machine can reach it: 127.0.0.0/8, `::1`, or an IPv4-mapped
    /// `::ffff:127.x.y.z`.
    public var isLoopback: Bool {
        switch storage {
        case .ipv4(let raw, _):
            return UInt32(bigEndian: raw) >> 24 == 127
        case .ipv6(let bytes, _, _):
            if bytes[..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
            return bytes[..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF && bytes[12] == 127
        }
    }

    /// `1.2.3.4:80` or `[::1]:80`.
    public var description: String {
        family == .ipv4 ? "\(ip):\(port)" : "[\(ip)]:\(port)"
    }

    /// Calls `body` with the kernel form of this address.
    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch storage {
        case let .ipv4(raw, port):
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr = in_addr(s_addr: raw)
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case let .ipv6(bytes, port, scope):
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            address.sin6_scope_id = scope
            withUnsafeMutableBytes(of: &address.sin6_addr) { $0.copyBytes(from: bytes) }
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }

    var domain: Int32 { family == .ipv4 ? AF_INET : AF_INET6 }
}

extension sockaddr_storage {
    /// Reads a kernel-filled address buffer.
    var socketAddress: SocketAddress? {
        var copy = self
        return withUnsafePointer(to: &copy) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress($0) }
        }
    }
}
