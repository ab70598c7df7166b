import AsyncIO
import Synchronization

/// Keep-alive connections to one origin: at most `maxConnections` open, idle ones reused
/// most-recent-first and closed once idle longer than `idleTimeout`. Callers beyond the
/// limit wait, first come first served, for a connection to come back or close.
final class ConnectionPool: Sendable {
    let origin: Origin
    private let maxConnections: Int
    private let idleTimeout: Duration
    private let connector: Connector

    /// What a waiting caller is given: a returned connection, or leave to open a new one.
    private enum Grant: Sendable {
        case connection(PooledConnection)
        case openNew
        case cancelled
    }

    private struct Waiter {
        let id: UInt64
        let continuation: UnsafeContinuation<Grant, Never>
    }

    private struct State {
        var idle: [PooledConnection] = []
        /// Open connections, idle or in use, plus ones being opened.
        var open = 0
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        var isShutDown = false
    }

    private let state = Mutex(State())

    /// Counters for the reuse ratio: connections opened and requests served.
    private let statistics = Mutex((opened: 0, leased: 0))

    init(origin: Origin, maxConnections: Int, idleTimeout: Duration, connector: Connector) {
        self.origin = origin
        self.maxConnections = max(1, maxConnections)
        self.idleTimeout = idleTimeout
        self.connector = connector
    }

    var counters: (opened: Int, leased: Int) { statistics.withLock { $0 } }

    /// Connections open now, idle or in use, plus ones being opened.
    var openCount: Int { state.withLock { $0.open } }

    /// A connection to use for one exchange: an idle one that still looks alive, or a new
    /// one (opened within `connectDeadline`). `fresh` skips the idle ones.
    func acquire(fresh: Bool = false, connectDeadline: Deadline) async throws(HTTPClientError) -> PooledConnection {
        while true {
            var unusable: [PooledConnection] = []
            enum Next { case use(PooledConnection), open, wait, shutDown }
            let next = state.withLock { state -> Next in
                if state.isShutDown { return .shutDown }
                let now = Deadline.now
                while !fresh, let candidate = state.idle.popLast() {
                    if candidate.idleExpiry < now || candidate.isStale {
                        unusable.append(candidate)
                        state.open -= 1
                        continue
                    }
                    return .use(candidate)
                }
                if state.open < maxConnections {
                    state.open += 1
                    return .open
                }
                // A fresh connection was asked for but the pool is full: make room by
                // closing the idle connection that has waited longest.
                if fresh, !state.idle.isEmpty {
                    unusable.append(state.idle.removeFirst())
                    return .open
                }
                return .wait
            }
            for connection in unusable { connection.stream.close() }
            switch next {
            case .use(let connection):
                statistics.withLock { $0.leased += 1 }
                return connection
            case .open:
                return try await open(connectDeadline: connectDeadline)
            case .shutDown:
                throw .closedEarly("before the request: the client was shut down")
            case .wait:
                switch await waitForGrant() {
                case .connection(let connection):
                    if connection.isStale {
                        discard(connection)
                        continue
                    }
                    statistics.withLock { $0.leased += 1 }
                    return connection
                case .openNew:
                    return try await open(connectDeadline: connectDeadline)
                case .cancelled:
                    throw .cancelled
                }
            }
        }
    }

    /// Gives a connection back after a complete exchange that left it reusable.
    func release(_ connection: PooledConnection) {
        connection.hasBeenUsed = true
        connection.idleExpiry = .after(idleTimeout)
        enum Next { case handOver(Waiter), keep, close }
        let next = state.withLock { state -> Next in
            if state.isShutDown {
                state.open -= 1
                return .close
            }
            if !state.waiters.isEmpty { return .handOver(state.waiters.removeFirst()) }
            state.idle.append(connection)
            return .keep
        }
        switch next {
        case .handOver(let waiter): waiter.continuation.resume(returning: .connection(connection))
        case .close: connection.stream.close()
        case .keep: break
        }
    }

    /// Closes a connection that cannot be reused; its slot goes to the next waiter.
    func discard(_ connection: PooledConnection) {
        connection.stream.close()
        slotFreed()
    }

    /// Closes idle connections and refuses new requests; connections in use close when given back.
    func shutDown() {
        let (idle, waiters) = state.withLock { state in
            state.isShutDown = true
            defer { state.open -= state.idle.count; state.idle = []; state.waiters = [] }
            return (state.idle, state.waiters)
        }
        for connection in idle { connection.stream.close() }
        for waiter in waiters { waiter.continuation.resume(returning: .cancelled) }
    }

    private func open(connectDeadline: Deadline) async throws(HTTPClientError) -> PooledConnection {
        do {
            let stream = try await connector.connect(to: origin, deadline: connectDeadline)
            statistics.withLock { $0.opened += 1; $0.leased += 1 }
            return PooledConnection(stream: stream)
        } catch {
            slotFreed()
            throw error
        }
    }

    private func slotFreed() {
        let waiter = state.withLock { state -> Waiter? in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }   // it takes over the slot
            state.open -= 1
            return nil
        }
        waiter?.continuation.resume(returning: .openNew)
    }

    private func waitForGrant() async -> Grant {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Grant, Never>) in
                // A slot may have come free between the decision to wait and now.
                let immediate = state.withLock { state -> Grant? in
                    if Task.isCancelled { return .cancelled }
                    if state.isShutDown { return .cancelled }
                    if let connection = state.idle.popLast() { return .connection(connection) }
                    if state.open < maxConnections {
                        state.open += 1
                        return .openNew
                    }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(returning: .cancelled)
        }
    }
}
