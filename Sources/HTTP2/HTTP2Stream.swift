import AsyncIO

/// One request on an `HTTP2Connection`: wait for its head, then read its body. Dropping it
/// (or `cancel()`) before the body ended resets the stream (RST_STREAM CANCEL) and releases
/// its place on the connection.
public final class HTTP2Stream: Sendable {
    /// The connection carrying it.
    public let connection: HTTP2Connection
    /// The stream identifier (odd: client-initiated).
    public let id: Int32

    init(connection: HTTP2Connection, id: Int32) {
        self.connection = connection
        self.id = id
    }

    deinit {
        connection.finish(id)
    }

    /// Waits for the response head (informational 1xx heads are skipped) until `deadline`.
    public func responseHead(deadline: Deadline = .never) async throws(HTTP2Error) -> HTTP2ResponseHead {
        try await connection.head(of: id, deadline: deadline)
    }

    /// The next body bytes, waiting at most until `deadline`; nil at the end of the body.
    /// Taking them opens the stream's window for as many more.
    public func nextChunk(deadline: Deadline = .never) async throws(HTTP2Error) -> ArraySlice<UInt8>? {
        try await connection.nextChunk(of: id, deadline: deadline)
    }

    /// Stops the stream: resets it unless the server already ended it.
    public func cancel() {
        connection.finish(id)
    }
}
