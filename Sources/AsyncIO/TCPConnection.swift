import CSyscalls
import Glibc

/// A connected, non-blocking TCP socket with async reads and writes.
///
/// Every operation tries the system call first and parks on the reactor only on EAGAIN, so a
/// read that finds data waiting costs no suspension. One task may read while another writes;
/// two concurrent readers (or writers) are a programming error.
public final class TCPConnection: Sendable {
    let registration: Registration
    /// The reactor that watches the socket (and, for a server's connection, runs its task).
    public let reactor: Reactor

    /// The peer, when the kernel could tell.
    public let remoteAddress: SocketAddress?

    /// The socket's descriptor (owned by the connection; do not close it).
    public var fileDescriptor: Int32 { registration.fileDescriptor }

    init(adopting fileDescriptor: Int32, remoteAddress: SocketAddress?, reactor: Reactor = .shared) throws(IOError) {
        var on: Int32 = 1
        setsockopt(fileDescriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        do {
            self.registration = try reactor.register(fileDescriptor)
        } catch {
            Glibc.close(fileDescriptor)
            throw error
        }
        self.reactor = reactor
        self.remoteAddress = remoteAddress
    }

    deinit {
        close()
    }

    /// Opens a connection, giving up at `deadline`.
    public static func connect(to address: SocketAddress, deadline: Deadline = .never, reactor: Reactor = .shared) async throws(IOError) -> TCPConnection {
        let fd = csyscalls_socket(address.domain, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .last("socket", target: address.description) }
        let connection = try TCPConnection(adopting: fd, remoteAddress: address, reactor: reactor)
        let result = address.withSockAddr { Glibc.connect(fd, $0, $1) }
        if result == 0 { return connection }
        guard errno == EINPROGRESS else { throw .last("connect", target: address.description) }
        try await connection.wait(for: .writable, deadline: deadline, operation: "connect to \(address)")
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        guard error == 0 else { throw .systemCall("connect", errno: error, target: address.description) }
        return connection
    }

    /// Reads what is available into `buffer`, waiting until something is; 0 means end of stream.
    public func read(into buffer: UnsafeMutableRawBufferPointer, deadline: Deadline = .never) async throws(IOError) -> Int {
        while true {
            let count = Glibc.read(fileDescriptor, buffer.baseAddress, buffer.count)
            if count > 0 { return count }
            if count == 0 {
                // After our own close() the kernel reports end of stream; say what happened.
                if registration.isClosed { throw .closed }
                return 0
            }
            try await retry(after: "read", failedWith: errno, when: .readable, deadline: deadline)
        }
    }

    /// Reads up to `maxBytes`; an empty array means end of stream.
    public func read(maxBytes: Int = 65536, deadline: Deadline = .never) async throws(IOError) -> [UInt8] {
        try await readArray(maxBytes: maxBytes) { buffer async throws(IOError) in try await read(into: buffer, deadline: deadline) }
    }

    /// Writes all of `bytes`, waiting for buffer space as needed.
    public func write(_ bytes: [UInt8], deadline: Deadline = .never) async throws(IOError) {
        try await write(bytes[...], deadline: deadline)
    }

    /// Writes all of `bytes`, waiting for buffer space as needed.
    public func write(_ bytes: ArraySlice<UInt8>, deadline: Deadline = .never) async throws(IOError) {
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            let count = bytes[offset...].withUnsafeBytes { Glibc.send(fileDescriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count >= 0 {
                offset += count
                continue
            }
            try await retry(after: "write", failedWith: errno, when: .writable, deadline: deadline)
        }
    }

    /// After `operation`'s system call failed with `code`: parks until the socket is ready
    /// for `interest` when it would have blocked, returns at once when a signal interrupted
    /// it (the caller calls again), and throws otherwise. `code` is read by the caller right
    /// after the call, before anything can change `errno`.
    private func retry(after operation: String, failedWith code: Int32, when interest: Interest, deadline: Deadline) async throws(IOError) {
        switch code {
        case EAGAIN, EWOULDBLOCK:
            try await wait(for: interest, deadline: deadline, operation: operation)
        case EINTR:
            return
        default:
            if registration.isClosed { throw .closed }
            throw .systemCall(operation, errno: code, target: remoteAddress?.description)
        }
    }

    /// Returns once a read would not block: at once when bytes or the end of the stream are
    /// pending (seen with a one-byte peek, nothing read), after parking otherwise. A caller
    /// that reads only then needs no buffer while it waits (thousands of slow streams each
    /// waiting with an empty 4-64 KB buffer add up). A peek, not the remembered edge: an
    /// edge already taken may have brought more than the last read took (the end of the
    /// stream with the last bytes), and no other edge would come for it.
    public func waitForBytes(deadline: Deadline = .never) async throws(IOError) {
        while true {
            var byte: UInt8 = 0
            if recv(fileDescriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) >= 0 { return }
            switch errno {
            case EAGAIN, EWOULDBLOCK: return try await wait(for: .readable, deadline: deadline, operation: "read")
            case EINTR: continue
            default: return  // the read that follows reports the error
            }
        }
    }

    /// Parks until the reactor reports the socket readable (for layers such as TLS that do
    /// their own system calls).
    public func waitUntilReadable(deadline: Deadline = .never) async throws(IOError) {
        try await wait(for: .readable, deadline: deadline, operation: "read")
    }

    /// Wakes every task parked on the connection, as if both directions had become ready
    /// (they retry their call); remembered when nobody is parked. For layers such as TLS where
    /// one task's call can consume what another waits for.
    func wakeWaiters() {
        registration.deliver(readable: true, writable: true)
    }

    /// Parks until the reactor reports the socket writable.
    public func waitUntilWritable(deadline: Deadline = .never) async throws(IOError) {
        try await wait(for: .writable, deadline: deadline, operation: "write")
    }

    /// Sends FIN; reads still work.
    public func shutdownWrite() {
        Glibc.shutdown(fileDescriptor, Int32(SHUT_WR))
    }

    /// Closes the connection: parked tasks wake with `.closed` and the peer sees end of stream
    /// at once. Idempotent. The descriptor number itself is released when the last reference
    /// goes, so a task still inside a system call can never hit a reused descriptor.
    public func close() {
        guard registration.markClosed() else { return }
        reactor.deregister(registration)
        Glibc.shutdown(fileDescriptor, Int32(SHUT_RDWR))
    }

    /// Whether `close()` has been called.
    public var isClosed: Bool { registration.isClosed }

    private func wait(for interest: Interest, deadline: Deadline, operation: @autoclosure () -> String) async throws(IOError) {
        switch await registration.wait(for: interest, deadline: deadline, reactor: reactor) {
        case .ready: return
        case .timedOut: throw .timedOut(operation())
        case .closed: throw .closed
        case .cancelled: throw .cancelled
        }
    }
}
