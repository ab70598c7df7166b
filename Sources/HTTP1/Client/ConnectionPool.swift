import AsyncIO
import Locking

/// Keep-alive connections to one origin: at most `maxConnections` open, idle ones reused
/// most-recent-first and closed once idle longer than `idleTimeout`. Callers beyond the
/// limit wait, first come first served, for a connection to come back or close, at most
/// `poolTimeout`, then get `HTTPClientError.poolTimedOut`.
///
/// The decisions are `ConnectionPoolStateMachine`'s; this class holds it under a lock with
/// the waiters' continuations and carries out its actions (closing sockets, resuming
/// waiters, checking a socket is alive) after letting go of the lock. A sweep task, armed
/// for the machine's `nextDeadline` while there are idle connections or waiters, closes the
/// expired idle ones and refuses the timed-out waiters with no request needed to notice.
final class ConnectionPool: Sendable {
    let origin: Origin
    /// The reactor that watches this pool's sockets.
    let reactor: Reactor
    private let connector: Connector
    /// The origin's HTTP/2 connections, when it speaks h2: each holds one slot of the pool
    /// (from the connection it was opened as) until it leaves the set.
    let multiplexed = MultiplexedConnections()

    /// What a waiting caller is given.
    private enum Grant: Sendable {
        case connection(PooledConnection)
        case openNew
        case cancelled
        case timedOut
        case shutDown
    }

    private struct State {
        var machine: ConnectionPoolStateMachine<PooledConnection>
        var waiters: [ConnectionPoolStateMachine<PooledConnection>.WaiterID: UnsafeContinuation<Grant, Never>] = [:]
        /// The armed sweep: its task, when it wakes, and a number that tells a replaced
        /// sweep it has nothing more to do.
        var sweep: (task: Task<Void, Never>, until: Deadline, generation: UInt64)?
        var sweepGeneration: UInt64 = 0
    }

    private let state: Mutex<State>

    /// Counters for the reuse ratio: connections opened and requests served.
    private let statistics = Mutex((opened: 0, leased: 0))

    init(origin: Origin, reactor: Reactor, maxConnections: Int, idleTimeout: Duration, poolTimeout: Duration, connector: Connector) {
        self.origin = origin
        self.reactor = reactor
        self.connector = connector
        self.state = Mutex(State(machine: ConnectionPoolStateMachine(maxConnections: maxConnections, idleTimeout: idleTimeout, poolTimeout: poolTimeout)))
        multiplexed.onConnectionGone { [weak self] in self?.slotFreed() }
    }

    var counters: (opened: Int, leased: Int) { statistics.withLock { $0 } }

    /// Connections open now, idle or in use, plus ones being opened, HTTP/2 ones included
    /// (each holds a slot).
    var openCount: Int { state.withLock { $0.machine.openCount } }

    /// Callers queued for a connection now.
    var waiterCount: Int { state.withLock { $0.machine.waiterCount } }

    /// A connection to use for one exchange: an idle one that still looks alive, or a new
    /// one (opened within `connectTimeout`, counted from when the slot was granted, not from
    /// the call: a wait in the queue is bounded by the pool timeout alone). `fresh` skips
    /// the idle ones. `waited` is how long the caller queued, nil when it did not.
    func acquire(fresh: Bool = false, connectTimeout: Duration) async throws(HTTPClientError) -> (connection: PooledConnection, waited: Duration?) {
        var waited: Duration?
        while true {
            let action = state.withLock { $0.machine.lease(fresh: fresh, now: .now, waiter: nil) }
            close(action.close)
            let grant: Grant
            switch action.lease {
            case .use(let connection): grant = .connection(connection)
            case .open: grant = .openNew
            case .shutDown: grant = .shutDown
            case .wait, .mustWait:
                let started = ContinuousClock.now
                grant = await waitForGrant(fresh: fresh)
                waited = (waited ?? .zero) + (ContinuousClock.now - started)
            }
            switch grant {
            case .connection(let connection):
                // The system call that checks the socket runs outside the lock.
                if connection.isStale {
                    discard(connection)
                    continue
                }
                statistics.withLock { $0.leased += 1 }
                return (connection, waited)
            case .openNew:
                return (try await open(connectDeadline: .after(connectTimeout)), waited)
            case .cancelled:
                throw .cancelled
            case .timedOut:
                throw .poolTimedOut(origin: origin.description, waited: waited ?? .zero)
            case .shutDown:
                throw .closedEarly("before the request: the client was shut down")
            }
        }
    }

    /// Gives a connection back after a complete exchange that left it reusable.
    func release(_ connection: PooledConnection) {
        connection.hasBeenUsed = true
        connection.readSize.reset()
        let (action, waiter, expired) = state.withLock { state in
            // Idle connections past their expiry are closed here too, not only when a lease
            // meets them, so a pool that is used but rarely leased from does not keep them.
            let now = Deadline.now
            let expired = state.machine.closeExpired(now: now)
            let action = state.machine.release(connection, now: now)
            if case .keep = action { armSweep(&state) }
            switch action {
            case .handOver(_, let id), .closeAndGrantOpen(_, let id): return (action, state.waiters.removeValue(forKey: id), expired)
            case .keep, .close: return (action, nil, expired)
            }
        }
        close(expired)
        switch action {
        case .handOver(let connection, _): waiter?.resume(returning: .connection(connection))
        case .closeAndGrantOpen(let connection, _):
            connection.stream.close()
            waiter?.resume(returning: .openNew)
        case .close(let connection): connection.stream.close()
        case .keep: break
        }
    }

    /// Closes a connection that cannot be reused; its slot goes to the next waiter.
    func discard(_ connection: PooledConnection) {
        connection.stream.close()
        slotFreed()
    }

    /// Takes a connection out of the pool without closing it: it goes on as HTTP/2 in
    /// `multiplexed`, in the same slot, which is freed when it leaves that set. A multiplexed
    /// connection is one connection of `maxConnections`, however many streams it carries.
    func detach(_ connection: PooledConnection) {
        connection.isDetached = true
    }

    /// Closes idle connections and refuses new requests; connections in use close when given back.
    func shutDown() {
        multiplexed.shutDown()
        let (idle, waiters) = state.withLock { state in
            let (close, cancel) = state.machine.shutDown()
            state.sweep?.task.cancel()
            state.sweep = nil
            return (close, cancel.compactMap { state.waiters.removeValue(forKey: $0) })
        }
        close(idle)
        for waiter in waiters { waiter.resume(returning: .shutDown) }
    }

    private func close(_ connections: [PooledConnection]) {
        for connection in connections { connection.stream.close() }
    }

    private func open(connectDeadline: Deadline) async throws(HTTPClientError) -> PooledConnection {
        do {
            let stream = try await connector.connect(to: origin, reactor: reactor, deadline: connectDeadline)
            statistics.withLock {
                $0.opened += 1; $0.leased += 1
            }
            return PooledConnection(stream: stream)
        } catch {
            slotFreed()
            throw error
        }
    }

    private func slotFreed() {
        let waiter = state.withLock { state in
            state.machine.connectionClosed().flatMap { state.waiters.removeValue(forKey: $0) }
        }
        waiter?.resume(returning: .openNew)
    }

    /// Queues the caller and suspends until a connection or a slot is handed to it. The lease
    /// is asked for again under the lock that stores the continuation, so a connection that
    /// came back in between is not missed.
    private func waitForGrant(fresh: Bool) async -> Grant {
        let id = state.withLock { $0.machine.makeWaiterID() }
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Grant, Never>) in
                let (immediate, expired) = state.withLock { state -> (Grant?, [PooledConnection]) in
                    if Task.isCancelled { return (.cancelled, []) }
                    let action = state.machine.lease(fresh: fresh, now: .now, waiter: id)
                    switch action.lease {
                    case .use(let connection): return (.connection(connection), action.close)
                    case .open: return (.openNew, action.close)
                    case .shutDown: return (.shutDown, action.close)
                    case .wait, .mustWait:
                        state.waiters[id] = continuation
                        armSweep(&state)
                        return (nil, action.close)
                    }
                }
                close(expired)
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                state.machine.cancelWaiter(id) ? state.waiters.removeValue(forKey: id) : nil
            }
            waiter?.resume(returning: .cancelled)
        }
    }

    /// Makes sure a sweep wakes by the machine's `nextDeadline`: keeps the armed one when it
    /// wakes soon enough, else replaces it. Called under the lock after idle connections or
    /// waiters were added.
    private func armSweep(_ state: inout State) {
        guard let next = state.machine.nextDeadline else { return }
        if let armed = state.sweep, armed.until <= next { return }
        state.sweep?.task.cancel()
        state.sweepGeneration &+= 1
        let generation = state.sweepGeneration
        // On the pool's reactor: the sockets it closes are that reactor's. It holds the pool
        // weakly, so a pool no one uses any more is not kept alive by its sweep.
        let task = Task(executorPreference: reactor) { [weak self] in
            var until = next
            while true {
                do { try await Task.sleep(for: until.remaining) } catch { return }
                guard let self, let again = self.sweep(generation: generation) else { return }
                until = again
            }
        }
        state.sweep = (task, next, generation)
    }

    /// Closes the idle connections past their expiry and refuses the waiters past their
    /// pool timeout; returns when to sweep again (nil: nothing left to sweep, or this sweep
    /// was replaced by one armed for sooner).
    private func sweep(generation: UInt64) -> Deadline? {
        let (expired, timedOut, next) = state.withLock { state -> ([PooledConnection], [UnsafeContinuation<Grant, Never>], Deadline?) in
            guard state.sweep?.generation == generation else { return ([], [], nil) }
            let now = Deadline.now
            let expired = state.machine.closeExpired(now: now)
            let timedOut = state.machine.timeOutWaiters(now: now).compactMap { state.waiters.removeValue(forKey: $0) }
            let next = state.machine.nextDeadline
            if let next { state.sweep?.until = next } else { state.sweep = nil }
            return (expired, timedOut, next)
        }
        close(expired)
        for waiter in timedOut { waiter.resume(returning: .timedOut) }
        return next
    }
}
