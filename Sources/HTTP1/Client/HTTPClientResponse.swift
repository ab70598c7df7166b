import AsyncIO
import HTTP2
import Locking

/// A response whose head has arrived; the body streams from the connection as it is read.
public struct HTTPClientResponse: Sendable {
    /// The status line and header fields.
    public let head: HTTPResponseHead
    /// The status code.
    public var status: HTTPStatus { head.status }
    /// The response's header fields.
    public var headers: HTTPHeaders { head.headers }
    /// Read it to the end (or drop it) for the connection to be reused or closed.
    public let body: Body
    /// How long the request queued for a connection of a full pool; nil when it did not.
    public var poolWait: Duration?

    /// The response body as an async sequence of chunks, read from the connection only as
    /// they are asked for: at most one read (64 KB) ahead of the consumer. Single consumer.
    ///
    /// Reading to the end returns the connection to its pool; an error, cancellation of the
    /// reading task, `discard()`, or dropping the body unfinished closes the connection.
    public final class Body: AsyncSequence, Sendable {
        /// A part of the body as read from the connection, de-chunked: parts follow reads, not
        /// chunks or events.
        public typealias Element = ArraySlice<UInt8>
        /// Reading fails with the client's own error type.
        public typealias Failure = HTTPClientError

        private struct Lease: Sendable {
            let connection: PooledConnection
            let pool: ConnectionPool
        }

        private struct State: Sendable {
            var lease: Lease?
            /// The HTTP/2 stream the body comes from, instead of a leased connection.
            var http2Stream: HTTP2Stream?
            /// Body bytes that arrived with the head.
            var pending: ArraySlice<UInt8>?
        }

        private let state: Mutex<State>
        private let betweenChunks: Duration
        private let origin: String

        /// A body still to be read from `connection`.
        init(connection: PooledConnection, pool: ConnectionPool, pending: ArraySlice<UInt8>?, betweenChunks: Duration) {
            state = Mutex(State(lease: Lease(connection: connection, pool: pool), pending: pending))
            self.betweenChunks = betweenChunks
            self.origin = pool.origin.description
        }

        /// A body read from an HTTP/2 stream; dropping it unfinished resets the stream.
        init(http2 stream: HTTP2Stream, betweenChunks: Duration, origin: String) {
            state = Mutex(State(lease: nil, http2Stream: stream, pending: nil))
            self.betweenChunks = betweenChunks
            self.origin = origin
        }

        /// A body that is already complete.
        init(complete pending: ArraySlice<UInt8>?, origin: String) {
            state = Mutex(State(lease: nil, pending: pending))
            self.betweenChunks = .zero
            self.origin = origin
        }

        deinit {
            endLease(reusable: false)
        }

        /// Pulls parts of the body; the one iterator of its body.
        public struct AsyncIterator: AsyncIteratorProtocol {
            let body: Body
            /// The next part of the body; nil at its end.
            public mutating func next() async throws(HTTPClientError) -> ArraySlice<UInt8>? {
                try await body.nextChunk()
            }
            /// The same as `next()`: the body keeps its state behind its own lock, so the caller's
            /// isolation does not matter.
            public mutating func next(isolation actor: isolated (any Actor)?) async throws(HTTPClientError) -> ArraySlice<UInt8>? {
                try await body.nextChunk()
            }
        }

        /// An iterator over the body; the body has one consumer.
        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(body: self) }

        /// Reads the whole body; fails when it is longer than `limit` bytes.
        public func collect(upTo limit: Int) async throws(HTTPClientError) -> [UInt8] {
            var bytes: [UInt8] = []
            while let chunk = try await nextChunk() {
                guard bytes.count + chunk.count <= limit else {
                    discard()
                    throw .invalidResponse(HTTPParseError(status: .contentTooLarge, reason: "response body from \(origin) exceeds \(limit) bytes"))
                }
                bytes += chunk
            }
            return bytes
        }

        /// Bytes read from the connection so far; nil once it went back to the pool or closed.
        var bytesReadFromConnection: Int? { state.withLock { $0.lease?.connection.bytesRead } }

        /// The size of the connection's next read; nil once it went back to the pool or closed.
        var connectionReadSize: Int? { state.withLock { $0.lease?.connection.readSize.current } }

        /// Stops reading: the connection is closed at once (the rest of the body is not drained).
        public func discard() {
            endLease(reusable: false)
        }

        private func nextChunk() async throws(HTTPClientError) -> ArraySlice<UInt8>? {
            let (lease, pending, http2Stream) = state.withLock { state in
                defer { state.pending = nil }
                return (state.lease, state.pending, state.http2Stream)
            }
            if let pending, !pending.isEmpty { return pending }
            if let http2Stream { return try await nextHTTP2Chunk(from: http2Stream) }
            guard let connection = lease?.connection else { return nil }
            if Task.isCancelled {
                endLease(reusable: false)
                throw .cancelled
            }
            do throws(HTTPClientError) {
                while true {
                    let event: HTTPResponseParser.Event?
                    do { event = try connection.parser.next() } catch { throw .invalidResponse(error) }
                    switch event {
                    case .body(let chunk):
                        if chunk.isEmpty { continue }
                        return chunk
                    case .end:
                        endLease(reusable: connection.parser.isKeepAlive)
                        return nil
                    case .head:
                        throw .invalidResponse(HTTPParseError(status: .badGateway, reason: "a second response head inside a body"))
                    case nil:
                        let count: Int
                        do { count = try await connection.fill(deadline: .after(betweenChunks)) } catch { throw .from(error, timing: "response body from \(origin)") }
                        if count == 0 {
                            // End of stream: the end of a close-delimited body, or truncation.
                            let last: HTTPResponseParser.Event?
                            do { last = try connection.parser.finish() } catch { throw .invalidResponse(error) }
                            switch last {
                            case .body(let chunk):
                                endLease(reusable: false)
                                return chunk
                            case .end, nil:
                                endLease(reusable: false)
                                return nil
                            case .head:
                                throw .closedEarly("in the middle of the response body")
                            }
                        }
                    }
                }
            } catch {
                endLease(reusable: false)
                throw error
            }
        }

        private func nextHTTP2Chunk(from stream: HTTP2Stream) async throws(HTTPClientError) -> ArraySlice<UInt8>? {
            do {
                while true {
                    guard let chunk = try await stream.nextChunk(deadline: .after(betweenChunks)) else {
                        endLease(reusable: true)
                        return nil
                    }
                    if !chunk.isEmpty { return chunk }
                }
            } catch {
                endLease(reusable: false)
                throw .from(error, timing: "response body from \(origin)")
            }
        }

        /// Gives the connection back to its pool, or closes it (for HTTP/2: lets the stream
        /// go, resetting it unless it ended). Only the first call acts.
        private func endLease(reusable: Bool) {
            if let stream = state.withLock({ $0.http2Stream.take() }) {
                if !reusable { stream.cancel() }
                return
            }
            guard
                let lease = state.withLock({ state in
                    defer { state.lease = nil }; return state.lease
                })
            else { return }
            if reusable {
                lease.pool.release(lease.connection)
            } else {
                lease.pool.discard(lease.connection)
            }
        }
    }
}
