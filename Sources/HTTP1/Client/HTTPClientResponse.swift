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
            /// When the wait for the next part began, kept across `.silent` reads: the
            /// between-chunks timeout counts from it, not from each call.
            var waitingSince: Deadline?
        }

        /// What `next(silentAfter:)` found.
        public enum Read: Sendable, Equatable {
            /// A part of the body.
            case bytes(ArraySlice<UInt8>)
            /// The body ended.
            case end
            /// Nothing came by the deadline given; the body goes on.
            case silent
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

        /// The next part of the body, or `.silent` when none has come by `deadline` (a caller
        /// that writes something while its upstream is silent, as a stream's `ping`, does so
        /// in the loop that reads, with no timer task of its own). The body's between-chunks
        /// timeout still counts from the last part, whatever the deadlines asked for.
        public func next(silentAfter deadline: Deadline) async throws(HTTPClientError) -> Read {
            try await nextPart(silentAfter: deadline)
        }

        /// Stops reading: the connection is closed at once (the rest of the body is not drained).
        public func discard() {
            endLease(reusable: false)
        }

        private func nextChunk() async throws(HTTPClientError) -> ArraySlice<UInt8>? {
            switch try await nextPart(silentAfter: .never) {
            case .bytes(let chunk): chunk
            case .end, .silent: nil
            }
        }

        private func nextPart(silentAfter softDeadline: Deadline) async throws(HTTPClientError) -> Read {
            let (lease, pending, http2Stream, waitingSince) = state.withLock { state in
                defer { state.pending = nil }
                if state.waitingSince == nil { state.waitingSince = .now }
                return (state.lease, state.pending, state.http2Stream, state.waitingSince!)
            }
            if let pending, !pending.isEmpty { return arrived(.bytes(pending)) }
            let hardDeadline = waitingSince.adding(betweenChunks)
            let deadline = Swift.min(softDeadline, hardDeadline)
            let isSoft = softDeadline < hardDeadline
            if let http2Stream {
                let read = try await nextHTTP2Part(from: http2Stream, deadline: deadline, isSoft: isSoft)
                if case .silent = read { return read }
                return arrived(read)
            }
            guard let connection = lease?.connection else { return arrived(.end) }
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
                        return arrived(.bytes(chunk))
                    case .end:
                        endLease(reusable: connection.parser.isKeepAlive)
                        return arrived(.end)
                    case .head:
                        throw .invalidResponse(HTTPParseError(status: .badGateway, reason: "a second response head inside a body"))
                    case nil:
                        let count: Int
                        do throws(ByteStreamError) {
                            count = try await connection.fill(deadline: deadline)
                        } catch {
                            // The caller's deadline, not the body's: nothing is lost, the read goes on later.
                            if error.isTimeout && isSoft { return .silent }
                            throw .from(error, timing: "response body from \(origin)")
                        }
                        if count == 0 {
                            // End of stream: the end of a close-delimited body, or truncation.
                            let last: HTTPResponseParser.Event?
                            do { last = try connection.parser.finish() } catch { throw .invalidResponse(error) }
                            switch last {
                            case .body(let chunk):
                                endLease(reusable: false)
                                return arrived(.bytes(chunk))
                            case .end, nil:
                                endLease(reusable: false)
                                return arrived(.end)
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

        private func nextHTTP2Part(from stream: HTTP2Stream, deadline: Deadline, isSoft: Bool) async throws(HTTPClientError) -> Read {
            do {
                while true {
                    guard let chunk = try await stream.nextChunk(deadline: deadline) else {
                        endLease(reusable: true)
                        return .end
                    }
                    if !chunk.isEmpty { return .bytes(chunk) }
                }
            } catch {
                // The caller's deadline, not the body's: the stream is untouched.
                if error == .timedOut && isSoft { return .silent }
                endLease(reusable: false)
                throw .from(error, timing: "response body from \(origin)")
            }
        }

        /// `read`, ending the current wait: the next one starts the between-chunks clock again.
        private func arrived(_ read: Read) -> Read {
            state.withLock { $0.waitingSince = nil }
            return read
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
