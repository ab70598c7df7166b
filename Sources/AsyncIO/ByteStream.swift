/// A connected, bidirectional byte stream: plain TCP or TLS over TCP. Protocol code (the
/// HTTP client and server) is written once against this.
///
/// One task may receive while another sends. Failures are a `ByteStreamError`, one type to
/// switch on whatever the stream: `.io` for the socket (also under TLS), `.tls` for TLS
/// itself. The requirements are named `receive`/`send` rather than `read`/`write` because
/// `TCPConnection` and `TLSStream` keep their own `read`/`write`, which throw their own
/// error types (`IOError`, `TLSError`): Swift does not let a method throwing `IOError`
/// witness one throwing `ByteStreamError`, nor two methods differ only in what they throw.
public protocol ByteStream: AnyObject, Sendable {
    /// Reads what is available into `buffer`, waiting until something is; 0 means end of stream.
    func receive(into buffer: UnsafeMutableRawBufferPointer, deadline: Deadline) async throws(ByteStreamError) -> Int
    /// Writes all of `bytes`.
    func send(_ bytes: ArraySlice<UInt8>, deadline: Deadline) async throws(ByteStreamError)
    /// Ends the stream at once: TLS sends close_notify when it can without waiting; parked
    /// tasks wake with `.io(.closed)`; the peer sees end of stream. Idempotent.
    func close()
    var isClosed: Bool { get }
    /// The TCP connection underneath.
    var connection: TCPConnection { get }
    /// The application protocol agreed in the TLS handshake (ALPN: "h2", "http/1.1"); nil
    /// when the peer agreed none, and always for plain TCP.
    var negotiatedProtocol: String? { get }
}

extension TCPConnection: ByteStream {
    /// A plain connection is its own TCP connection.
    public var connection: TCPConnection { self }

    /// Plain TCP negotiates nothing.
    public var negotiatedProtocol: String? { nil }

    /// `read(into:deadline:)` with its `IOError` as `.io`.
    public func receive(into buffer: UnsafeMutableRawBufferPointer, deadline: Deadline) async throws(ByteStreamError) -> Int {
        do {
            return try await read(into: buffer, deadline: deadline)
        } catch {
            throw .io(error)
        }
    }

    /// `write(_:deadline:)` with its `IOError` as `.io`.
    public func send(_ bytes: ArraySlice<UInt8>, deadline: Deadline) async throws(ByteStreamError) {
        do {
            try await write(bytes, deadline: deadline)
        } catch {
            throw .io(error)
        }
    }
}

extension TLSStream {
    /// `read(into:deadline:)` with its `TLSError` sorted (a socket failure is `.io`).
    public func receive(into buffer: UnsafeMutableRawBufferPointer, deadline: Deadline) async throws(ByteStreamError) -> Int {
        do {
            return try await read(into: buffer, deadline: deadline)
        } catch {
            throw ByteStreamError(error)
        }
    }

    /// `write(_:deadline:)` with its `TLSError` sorted (a socket failure is `.io`).
    public func send(_ bytes: ArraySlice<UInt8>, deadline: Deadline) async throws(ByteStreamError) {
        do {
            try await write(bytes, deadline: deadline)
        } catch {
            throw ByteStreamError(error)
        }
    }
}

extension ByteStream {
    /// Receives up to `maxBytes`; an empty array means end of stream.
    public func receive(maxBytes: Int = 65536, deadline: Deadline = .never) async throws(ByteStreamError) -> [UInt8] {
        try await readArray(maxBytes: maxBytes) { buffer async throws(ByteStreamError) in try await receive(into: buffer, deadline: deadline) }
    }

    /// Sends all of `bytes`.
    public func send(_ bytes: [UInt8], deadline: Deadline = .never) async throws(ByteStreamError) {
        try await send(bytes[...], deadline: deadline)
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
