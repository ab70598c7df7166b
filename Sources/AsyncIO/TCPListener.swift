import CSyscalls
import Glibc

/// A listening TCP socket that accepts connections asynchronously.
public final class TCPListener: Sendable {
    private let registration: Registration
    private let reactor: Reactor

    /// The address actually bound (the real port when 0 was asked for).
    public let localAddress: SocketAddress

    /// The address `init(host:port:)` binds: a numeric IPv4 or IPv6 address, or "localhost"
    /// (127.0.0.1); nil for anything else, which would need name resolution.
    public static func address(host: String, port: Int) -> SocketAddress? {
        SocketAddress(ip: host == "localhost" ? "127.0.0.1" : host, port: port)
    }

    /// Binds and listens on a numeric address ("0.0.0.0", "::", "127.0.0.1") or "localhost".
    /// `reusePort` lets several processes share the port (SO_REUSEPORT).
    public init(host: String, port: Int, reusePort: Bool = false, backlog: Int32 = 1024, reactor: Reactor = .shared) throws(IOError) {
        guard let address = Self.address(host: host, port: port) else {
            throw .nameResolution(host: host, reason: "not a numeric IPv4 or IPv6 address")
        }
        let fd = csyscalls_socket(address.domain, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .last("socket", target: address.description) }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        if reusePort {
            setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        guard address.withSockAddr({ Glibc.bind(fd, $0, $1) }) == 0 else {
            let error = IOError.last("bind", target: address.description)
            Glibc.close(fd)
            throw error
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let error = IOError.last("listen", target: address.description)
            Glibc.close(fd)
            throw error
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
        }
        self.localAddress = storage.socketAddress ?? address
        self.reactor = reactor
        do {
            self.registration = try reactor.register(fd)
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    deinit {
        close()
    }

    /// Waits for the next connection, registered with `connectionReactor` (by default the
    /// listener's own). Throws `.closed` once the listener is closed.
    public func accept(registeringWith connectionReactor: Reactor? = nil) async throws(IOError) -> TCPConnection {
        while true {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { csyscalls_accept(registration.fileDescriptor, $0, &length) }
            }
            if fd >= 0 {
                return try TCPConnection(adopting: fd, remoteAddress: storage.socketAddress, reactor: connectionReactor ?? reactor)
            }
            switch errno {
            case EAGAIN, EWOULDBLOCK:
                switch await registration.wait(for: .readable, deadline: .never, reactor: reactor) {
                case .ready, .timedOut: continue
                case .closed: throw .closed
                case .cancelled: throw .cancelled
                }
            case EINTR, ECONNABORTED, EPROTO:
                continue
            default:
                if registration.isClosed { throw .closed }
                throw .last("accept", target: localAddress.description)
            }
        }
    }

    /// Accepts, without waiting, the connections the kernel has already queued: a server that
    /// drains calls it just before `close()`, which would otherwise reset them. Each is
    /// registered with the reactor `reactorFor` names (by default the listener's own).
    public func acceptQueued(reactorFor: () -> Reactor? = { nil }) -> [TCPConnection] {
        var accepted: [TCPConnection] = []
        while !registration.isClosed {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { csyscalls_accept(registration.fileDescriptor, $0, &length) }
            }
            if fd >= 0 {
                let connectionReactor = reactorFor() ?? reactor
                guard let connection = try? TCPConnection(adopting: fd, remoteAddress: storage.socketAddress, reactor: connectionReactor) else { continue }
                accepted.append(connection)
            } else if errno != EINTR && errno != ECONNABORTED && errno != EPROTO {
                break  // EAGAIN: the queue is empty
            }
        }
        return accepted
    }

    /// Stops accepting; a parked `accept()` wakes with `.closed`. Idempotent.
    public func close() {
        guard registration.markClosed() else { return }
        reactor.deregister(registration)
        Glibc.shutdown(registration.fileDescriptor, Int32(SHUT_RDWR))
    }
}
