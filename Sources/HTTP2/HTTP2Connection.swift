import AsyncIO
import Locking

/// One HTTP/2 connection to an upstream, carrying many requests at once, each on its own
/// stream: framing, HPACK and the stream states are libnghttp2's (`HTTP2Session`).
///
/// Three tasks run on the reactor of the connection's socket: a reader feeding what arrives
/// to nghttp2, a writer sending what nghttp2 has ready, and a ticker that sends a PING when
/// the server has been silent for `pingInterval`, declares the connection dead when one goes
/// unanswered for `pingTimeout`, and times out waits. All nghttp2 calls happen under `state`'s
/// lock; parked consumers are resumed after it is released.
///
/// Flow control is per stream: bytes a consumer has not taken hold only its own stream's
/// window (`HTTP2Configuration.streamWindow`), and the connection's window is given back as
/// soon as bytes arrive. A consumer that goes away resets its stream (RST_STREAM CANCEL).
/// After the server's GOAWAY the streams it accepted finish; the connection takes no new ones.
public final class HTTP2Connection: Sendable {
    /// The socket (plain for h2c, TLS for h2).
    public let stream: any ByteStream
    /// Windows, limits and keep-alive timing.
    public let configuration: HTTP2Configuration

    private struct State {
        var session: HTTP2Session
        var writerWaiter: UnsafeContinuation<Void, Never>?
        var writeRequested = false
        var isClosed = false
    }

    private let state: Mutex<State>
    /// Called (outside the lock) when a stream closed, the server's limit changed, the
    /// connection went away or died: a caller waiting for room may look again.
    private let onCapacityChange: @Sendable () -> Void

    private init(stream: any ByteStream, configuration: HTTP2Configuration, session: sending HTTP2Session, onCapacityChange: @escaping @Sendable () -> Void) {
        self.stream = stream
        self.configuration = configuration
        self.state = Mutex(State(session: session))
        self.onCapacityChange = onCapacityChange
    }

    /// Starts HTTP/2 over `stream` (after ALPN chose h2, or with prior knowledge for h2c):
    /// sends the client preface and SETTINGS, and starts the connection's tasks on the
    /// reactor of `stream`.
    public static func start(
        over stream: any ByteStream,
        configuration: HTTP2Configuration = .init(),
        onCapacityChange: @escaping @Sendable () -> Void = {}
    ) throws(HTTP2Error) -> HTTP2Connection {
        let session = try HTTP2Session(configuration: configuration)
        let connection = HTTP2Connection(stream: stream, configuration: configuration, session: session, onCapacityChange: onCapacityChange)
        let reactor = stream.connection.reactor
        Task(executorPreference: reactor) { await connection.readLoop() }
        Task(executorPreference: reactor) { await connection.writeLoop() }
        Task(executorPreference: reactor) { await connection.tickLoop() }
        connection.update { _ in }
        return connection
    }

    // MARK: - Streams

    /// Starts a stream for `request` when the connection has room (the server's
    /// SETTINGS_MAX_CONCURRENT_STREAMS, capped by `maxConcurrentStreams`); nil when it has
    /// none or takes no new streams (GOAWAY, failed, closed).
    public func startStream(_ request: HTTP2Request) throws(HTTP2Error) -> HTTP2Stream? {
        let result = update { $0.session.start(request) }
        switch result {
        case nil: return nil
        case .success(let id): return HTTP2Stream(connection: self, id: id)
        case .failure(let error): throw error
        }
    }

    /// Whether a new stream can start now.
    public var hasRoom: Bool { state.withLock { !$0.isClosed && $0.session.hasRoom } }

    /// Whether the connection may carry new streams at all (false after GOAWAY, a failure or
    /// `close()`); one that may but is full has no room until a stream closes.
    public var isUsable: Bool { state.withLock { !$0.isClosed && $0.session.isUsable } }

    /// Streams open now.
    public var activeStreams: Int { state.withLock { $0.session.activeStreams } }

    /// Streams the connection may carry at once now.
    public var streamLimit: Int { state.withLock { $0.session.streamLimit } }

    /// Whether the socket has been closed (by `close()`, the server, or a failure).
    public var isClosed: Bool { state.withLock { $0.isClosed } }

    /// Frames of an HTTP/2 frame type received so far (0x7: GOAWAY, 0x6: PING).
    public func framesReceived(ofType type: UInt8) -> Int {
        state.withLock { $0.session.framesReceived[type, default: 0] }
    }

    /// Sends GOAWAY and closes the socket; streams still open fail.
    public func close() {
        update { $0.session.terminate() }
        // The writer closes the socket once the GOAWAY is out (the session is then finished);
        // this bounds the wait when the socket takes nothing.
        Task(executorPreference: stream.connection.reactor) { [self] in
            try? await Task.sleep(for: .milliseconds(100))
            lose(.connectionLost("the client closed the connection"))
        }
    }

    func head(of id: Int32, deadline: Deadline) async throws(HTTP2Error) -> HTTP2ResponseHead {
        let result = await wait(for: id) { session in
            session.head(of: id)
        } park: { state, continuation in
            state.session.streams[id]?.headWaiter = (continuation, deadline)
        } unpark: { state in
            state.session.streams[id]?.headWaiter.take()?.continuation
        }
        return try result.get()
    }

    func nextChunk(of id: Int32, deadline: Deadline) async throws(HTTP2Error) -> ArraySlice<UInt8>? {
        let result = await wait(for: id) { session in
            session.takeChunk(of: id)
        } park: { state, continuation in
            state.session.streams[id]?.bodyWaiter = (continuation, deadline)
        } unpark: { state in
            state.session.streams[id]?.bodyWaiter.take()?.continuation
        }
        return try result.get()
    }

    func finish(_ id: Int32) {
        update { $0.session.finish(id) }
    }

    /// Takes what `ready` finds, or parks until the session has it (or the wait's deadline
    /// passes, or the task is cancelled).
    private func wait<Value: Sendable>(
        for id: Int32,
        ready: @escaping @Sendable (HTTP2Session) -> Result<Value, HTTP2Error>?,
        park: @escaping @Sendable (inout State, UnsafeContinuation<Result<Value, HTTP2Error>, Never>) -> Void,
        unpark: @escaping @Sendable (inout State) -> UnsafeContinuation<Result<Value, HTTP2Error>, Never>?
    ) async -> Result<Value, HTTP2Error> {
        if Task.isCancelled { return .failure(.cancelled) }
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<Value, HTTP2Error>, Never>) in
                let immediate = update { state -> Result<Value, HTTP2Error>? in
                    if let result = ready(state.session) { return result }
                    if Task.isCancelled { return .failure(.cancelled) }
                    park(&state, continuation)
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { unpark(&$0) }
            waiter?.resume(returning: .failure(.cancelled))
        }
    }

    // MARK: - The connection's tasks

    private func readLoop() async {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 * 1024, alignment: 1)
        defer { buffer.deallocate() }
        while true {
            let count: Int
            do {
                count = try await stream.receive(into: buffer, deadline: .never)
            } catch {
                lose(.connectionLost(error.description))
                return
            }
            if count == 0 {
                lose(.connectionLost("the server closed the connection"))
                return
            }
            update { $0.session.receive(UnsafeRawBufferPointer(rebasing: buffer[..<count])) }
        }
    }

    private func writeLoop() async {
        while true {
            let (output, finished) = update { state in (state.session.drainOutput(), state.session.isFinished || state.isClosed) }
            if output.isEmpty {
                if finished {
                    lose(.connectionLost("the session ended"))
                    return
                }
                await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                    let now = state.withLock { state -> Bool in
                        if state.writeRequested || state.isClosed {
                            state.writeRequested = false
                            return true
                        }
                        state.writerWaiter = continuation
                        return false
                    }
                    if now { continuation.resume() }
                }
                continue
            }
            do {
                try await stream.send(output[...], deadline: .never)
            } catch {
                lose(.connectionLost(error.description))
                return
            }
        }
    }

    private func tickLoop() async {
        while true {
            do { try await Task.sleep(for: configuration.tick) } catch { return }
            let closed = update { state -> Bool in
                if state.isClosed { return true }
                let now = Deadline.now
                let session = state.session
                session.expireWaits(now: now)
                if let sent = session.pingSentAt {
                    if sent.adding(configuration.pingTimeout) <= now { session.fail(.unresponsive) }
                } else if session.lastReceived.adding(configuration.pingInterval) <= now {
                    session.ping(now: now)
                }
                if session.activeStreams > 0 || !session.streams.isEmpty {
                    session.idleSince = nil
                } else if let idleSince = session.idleSince {
                    if idleSince.adding(configuration.idleTimeout) <= now { session.terminate() }
                } else {
                    session.idleSince = now
                }
                return false
            }
            if closed { return }
        }
    }

    /// The socket failed or ended: every stream not complete fails (and `update` closes it).
    private func lose(_ error: HTTP2Error) {
        update { $0.session.fail(error) }
    }

    /// Runs `body` on the session under the lock, then, outside it: closes the socket when
    /// the session failed (before anyone hears of it, so a woken consumer finds it closed),
    /// resumes what the body (and nghttp2's callbacks inside it) decided to wake, wakes the
    /// writer when nghttp2 has frames to send, and tells the owner when the capacity changed.
    @discardableResult
    private func update<Result>(_ body: (inout State) -> sending Result) -> sending Result {
        let (result, wakeups, writer, capacityChanged, mustClose) = state.withLock { state in
            let result = body(&state)
            let session = state.session
            let wakeups = session.wakeups
            session.wakeups = []
            let capacityChanged = session.capacityChanged
            session.capacityChanged = false
            var writer: UnsafeContinuation<Void, Never>?
            var mustClose = false
            if session.failure != nil, !state.isClosed {
                state.isClosed = true
                mustClose = true
                writer = state.writerWaiter.take()
            } else if session.wantsWrite || state.isClosed {
                writer = state.writerWaiter.take()
                if writer == nil { state.writeRequested = true }
            }
            return (result, wakeups, writer, capacityChanged, mustClose)
        }
        if mustClose { stream.close() }
        for wakeup in wakeups { wakeup() }
        writer?.resume()
        if capacityChanged { onCapacityChange() }
        return result
    }
}
