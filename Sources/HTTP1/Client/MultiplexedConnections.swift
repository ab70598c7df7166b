import AsyncIO
import HTTP2
import Locking

/// The HTTP/2 connections of one pool (one origin, one reactor), each carrying many
/// requests. A request takes a stream on the first connection with room; when all are full
/// (the server's SETTINGS_MAX_CONCURRENT_STREAMS) one caller opens another while the rest
/// wait for it, so a burst of requests to an h2 origin opens one connection, not one each.
/// Connections that went away (GOAWAY), died (no PING answer) or closed are dropped once
/// their streams are done.
///
/// Whether the origin speaks h2 is learned from the first connection's ALPN; until then,
/// requests wait for that first connection rather than each opening its own.
final class MultiplexedConnections: Sendable {
    /// What a request should do next.
    enum Plan {
        /// Its stream, started.
        case stream(HTTP2Stream)
        /// Open a connection (this caller is the one opening; report with `opened` or
        /// `openFailed`).
        case open
        /// Another caller is opening a connection: wait for `changed`.
        case wait
        /// The origin answers HTTP/1.1: use the HTTP/1.1 pool.
        case useHTTP1
    }

    private enum Knowledge { case unknown, http2, http1 }

    private struct State {
        var connections: [HTTP2Connection] = []
        var knowledge = Knowledge.unknown
        var opening = false
        var waiters: [UInt64: UnsafeContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
        var isShutDown = false

        mutating func takeWaiters() -> [UnsafeContinuation<Void, Never>] {
            defer { waiters = [:] }
            return Array(waiters.values)
        }
    }

    private let state = Mutex(State())

    /// Told once for each connection that leaves the set: it held one of its pool's
    /// connection slots (`UPSTREAM_MAX_CONNECTIONS` counts a multiplexed connection as one).
    private let connectionGone: Mutex<(@Sendable () -> Void)?> = Mutex(nil)

    /// Sets what `connectionGone` calls (the pool that owns this set, once it exists).
    func onConnectionGone(_ action: @escaping @Sendable () -> Void) {
        connectionGone.withLock { $0 = action }
    }

    /// Closes connections taken out of the set and gives back their slots.
    private func release(_ connections: [HTTP2Connection]) {
        guard !connections.isEmpty else { return }
        let gone = connectionGone.withLock { $0 }
        for connection in connections {
            connection.close()
            gone?()
        }
    }

    /// HTTP/2 connections open now.
    var openCount: Int { state.withLock { $0.connections.count } }

    /// Streams open now over all of them.
    var activeStreams: Int { state.withLock { $0.connections }.reduce(0) { $0 + $1.activeStreams } }

    /// Starts `request` on a connection with room, or says what to do instead.
    func plan(_ request: HTTP2Request) throws(HTTP2Error) -> Plan {
        let (connections, finished) = state.withLock { state -> ([HTTP2Connection], [HTTP2Connection]) in
            let finished = state.connections.filter { $0.isClosed || (!$0.isUsable && $0.activeStreams == 0) }
            state.connections.removeAll { connection in finished.contains { $0 === connection } }
            return (state.connections, finished)
        }
        release(finished)
        for connection in connections where connection.hasRoom {
            if let stream = try connection.startStream(request) { return .stream(stream) }
        }
        return state.withLock { state in
            if state.isShutDown { return .useHTTP1 }
            if state.knowledge == .http1 { return .useHTTP1 }
            if state.opening { return .wait }
            state.opening = true
            return .open
        }
    }

    /// The connection this caller opened speaks h2: it joins the set.
    func opened(_ connection: HTTP2Connection) {
        let waiters = state.withLock { state in
            state.opening = false
            state.knowledge = .http2
            state.connections.append(connection)
            return state.takeWaiters()
        }
        for waiter in waiters { waiter.resume() }
        let shutDown = state.withLock { state in
            defer { if state.isShutDown { state.connections.removeAll { $0 === connection } } }
            return state.isShutDown
        }
        if shutDown { release([connection]) }
    }

    /// The connection this caller opened speaks HTTP/1.1: so does the origin.
    func openedHTTP1() {
        let waiters = state.withLock { state in
            state.opening = false
            state.knowledge = .http1
            return state.takeWaiters()
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Opening failed: the next caller tries.
    func openFailed() {
        let waiters = state.withLock { state in
            state.opening = false
            return state.takeWaiters()
        }
        for waiter in waiters { waiter.resume() }
    }

    /// A connection's streams or limit changed, or it went away: waiters look again.
    func changed() {
        let waiters = state.withLock { $0.takeWaiters() }
        for waiter in waiters { waiter.resume() }
    }

    /// Parks until a connection opens, fails to, or gains room (or the task is cancelled).
    func waitForChange() async {
        let id = state.withLock { state in
            state.nextWaiter &+= 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if Task.isCancelled || !state.opening || state.isShutDown { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// Closes every connection (GOAWAY); streams in flight fail.
    func shutDown() {
        let (connections, waiters) = state.withLock { state in
            state.isShutDown = true
            defer { state.connections = [] }
            return (state.connections, state.takeWaiters())
        }
        release(connections)
        for waiter in waiters { waiter.resume() }
    }
}
