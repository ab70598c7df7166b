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
    /// Reused for every read on this connection, so reading a chunk allocates nothing here.
    let readBuffer: UnsafeMutableRawBufferPointer
    /// Whether it has carried a response before (a reused connection may have gone stale).
    var hasBeenUsed = false
    /// Bytes taken from the stream so far (tests check the body never reads far ahead).
    var bytesRead = 0
    /// The stream went on to carry HTTP/2 (`ConnectionPool.detach`): not closed with this.
    var isDetached = false

    static let readBufferSize = 64 * 1024

    init(stream: any ByteStream) {
        self.stream = stream
        self.readBuffer = .allocate(byteCount: Self.readBufferSize, alignment: 1)
    }

    deinit {
        if !isDetached { stream.close() }
        readBuffer.deallocate()
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
    func fill(deadline: Deadline) async throws(ByteStreamError) -> Int {
        let count = try await stream.receive(into: readBuffer, deadline: deadline)
        bytesRead += count
        if count > 0 {
            parser.feed(UnsafeRawBufferPointer(rebasing: readBuffer[..<count]))
        }
        return count
    }
}
