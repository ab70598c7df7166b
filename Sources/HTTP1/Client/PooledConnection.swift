import AsyncIO
import Glibc
import Locking

/// One upstream connection, plain or TLS, with the response parser that reads from it.
///
/// Its mutable parts (the parser, the read buffer) are used by one task at a time: the one
/// holding the connection, which it gets from `ConnectionPool` and gives back to it. Every
/// hand-over passes through `ConnectionPool.state` (a `Mutex`), which orders the accesses;
/// that lock is what makes the `@unchecked Sendable` true.
final class PooledConnection: @unchecked Sendable {
    let stream: any ByteStream
    var parser = HTTPResponseParser()
    /// How much the next read takes: small while the connection trickles, grown only for
    /// bulk transfer.
    var readSize = AdaptiveReadSize()
    /// Whether it has carried a response before (a reused connection may have gone stale).
    var hasBeenUsed = false
    /// Bytes taken from the stream so far (tests check the body never reads far ahead).
    var bytesRead = 0
    /// The stream went on to carry HTTP/2 (`ConnectionPool.detach`): not closed with this.
    var isDetached = false

    init(stream: any ByteStream) {
        self.stream = stream
    }

    deinit {
        if !isDetached { stream.close() }
    }

    /// True when an idle connection can no longer carry a request: the peer closed it or
    /// sent something unasked (for TLS, most likely its close_notify). Does not block, but
    /// is a system call: the pool asks outside its lock.
    var isStale: Bool {
        if stream.isClosed { return true }
        var byte: UInt8 = 0
        let result = recv(stream.connection.fileDescriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if result == 0 || result > 0 { return true }
        return !(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
    }

    /// Reads what is available and feeds it to the parser; returns the byte count (0 = EOF).
    ///
    /// The read buffer exists only for the read: on plain TCP the connection first waits for
    /// bytes without one (`TCPConnection.waitForBytes`), and the parser lets go of what it has
    /// consumed before the wait, so a stream between two events holds no buffer at all. (Over
    /// TLS the wait is inside `receive`, which may have decrypted bytes ready without the
    /// socket being readable.)
    func fill(deadline: Deadline) async throws(ByteStreamError) -> Int {
        parser.dropConsumedBytes()
        if let plain = stream as? TCPConnection {
            do { try await plain.waitForBytes(deadline: deadline) } catch { throw .io(error) }
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: readSize.current, alignment: 1)
        defer { buffer.deallocate() }
        let count = try await stream.receive(into: buffer, deadline: deadline)
        bytesRead += count
        if count > 0 {
            parser.feed(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            readSize.noteRead(count)
        }
        return count
    }
}
