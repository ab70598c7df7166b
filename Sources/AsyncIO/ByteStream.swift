/// A connected, bidirectional byte stream: plain TCP or TLS over TCP. Protocol code (the
/// HTTP client and server) is written once against this.
///
/// One task may read while another writes; errors are `IOError` (plain) or `TLSError`, and
/// `ByteStreamError(error)` sorts them into one type to switch on.
public protocol ByteStream: AnyObject, Sendable {
    /// Reads what is available into `buffer`, waiting until something is; 0 means end of stream.
    func read(into buffer: UnsafeMutableRawBufferPointer, deadline: Deadline) async throws -> Int
    /// Writes all of `bytes`.
    func write(_ bytes: ArraySlice<UInt8>, deadline: Deadline) async throws
    /// Ends the stream at once: TLS sends close_notify when it can without waiting; parked
    /// tasks wake with `IOError.closed`; the peer sees end of stream. Idempotent.
    func close()
    var isClosed: Bool { get }
    /// The TCP connection underneath.
    var connection: TCPConnection { get }
}

extension TCPConnection: ByteStream {
    /// A plain connection is its own TCP connection.
    public var connection: TCPConnection { self }
}

extension ByteStream {
    /// Reads up to `maxBytes`; an empty array means end of stream.
    public func read(maxBytes: Int = 65536, deadline: Deadline = .never) async throws -> [UInt8] {
        try await readArray(maxBytes: maxBytes) { buffer in try await read(into: buffer, deadline: deadline) }
    }

    /// Writes all of `bytes`.
    public func write(_ bytes: [UInt8], deadline: Deadline = .never) async throws {
        try await write(bytes[...], deadline: deadline)
    }
}

/// Reads through `read` into a fresh buffer of `maxBytes` and returns what came: the one
/// body of every stream's `read(maxBytes:)`.
func readArray<Failure: Error>(
    maxBytes: Int, _ read: (UnsafeMutableRawBufferPointer) async throws(Failure) -> Int
) async throws(Failure) -> [UInt8] {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: maxBytes, alignment: 1)
    defer { buffer.deallocate() }
    let count = try await read(buffer)
    return Array(buffer[..<count])
}
