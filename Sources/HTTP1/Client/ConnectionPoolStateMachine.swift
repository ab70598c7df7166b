import AsyncIO

/// Every decision of a `ConnectionPool`, as a value without sockets, locks or clocks: reuse
/// an idle connection, open a new one, make the caller wait, hand a returned connection (or
/// a freed slot) to the longest waiter, close what has expired, give up on a waiter whose
/// `poolTimeout` has passed. Each method changes the
/// state and returns what the pool must do; the pool does it outside its lock. (The shape of
/// async-http-client's `HTTPConnectionPool.StateMachine`.)
///
/// Invariants: at most `maxConnections` connections are open or being opened; an idle
/// connection and a waiter never exist at the same time (a returned connection goes to a
/// waiter first); every hand-out of an idle connection checks its expiry; `nextDeadline` is
/// the earliest moment a sweep has something to do (an idle connection expires, a waiter
/// times out), so the pool needs no new request to close or refuse anything.
struct ConnectionPoolStateMachine<Connection> {
    typealias WaiterID = UInt64

    /// `Int.max`: no limit but the descriptors'.
    let maxConnections: Int
    let idleTimeout: Duration
    /// How long a caller waits in the queue before it is refused (`timeOutWaiters`).
    let poolTimeout: Duration

    private struct IdleConnection {
        let connection: Connection
        let expiry: Deadline
    }

    private struct Waiter {
        let id: WaiterID
        /// Asked for a new connection (its last one was found dead): a returned one will not do.
        let fresh: Bool
        /// Past it, `timeOutWaiters` removes the waiter.
        let deadline: Deadline
    }

    /// Oldest first; reuse takes the most recent (the likeliest to be alive).
    private var idle: [IdleConnection] = []
    private var waiters: [Waiter] = []
    /// Open connections, idle or in use, plus ones being opened.
    private(set) var openCount = 0
    private(set) var isShutDown = false
    private var lastWaiterID: WaiterID = 0

    init(maxConnections: Int, idleTimeout: Duration, poolTimeout: Duration = .seconds(30)) {
        self.maxConnections = max(1, maxConnections)
        self.idleTimeout = idleTimeout
        self.poolTimeout = poolTimeout
    }

    var idleCount: Int { idle.count }
    var waiterCount: Int { waiters.count }

    /// What a caller asking for a connection gets.
    enum Lease {
        /// An idle connection within its expiry (the pool still checks the socket is alive).
        case use(Connection)
        /// A slot: open a new connection in it.
        case open
        /// Queued under the given waiter id: a `release` or `connectionClosed` will name it.
        case wait
        /// No slot and no waiter id given: call again with one.
        case mustWait
        case shutDown
    }

    struct LeaseAction {
        var lease: Lease
        /// Idle connections found expired (or pushed out for a fresh one): close them.
        var close: [Connection]
    }

    /// An id for a caller about to wait.
    mutating func makeWaiterID() -> WaiterID {
        lastWaiterID &+= 1
        return lastWaiterID
    }

    /// A connection for one exchange: the most recent idle one not past its expiry, else a
    /// slot for a new one, else a place in the queue (only when `waiter` is given). `fresh`
    /// skips the idle ones; when the pool is full it closes the oldest idle one to make room.
    mutating func lease(fresh: Bool, now: Deadline, waiter: WaiterID?) -> LeaseAction {
        guard !isShutDown else { return LeaseAction(lease: .shutDown, close: []) }
        var close = closeExpired(now: now)
        if !fresh, let newest = idle.popLast() {
            return LeaseAction(lease: .use(newest.connection), close: close)
        }
        if openCount < maxConnections {
            openCount += 1
            return LeaseAction(lease: .open, close: close)
        }
        if fresh, !idle.isEmpty {
            // The oldest idle connection's slot goes to the new one: openCount is unchanged.
            close.append(idle.removeFirst().connection)
            return LeaseAction(lease: .open, close: close)
        }
        guard let waiter else { return LeaseAction(lease: .mustWait, close: close) }
        waiters.append(Waiter(id: waiter, fresh: fresh, deadline: now.adding(poolTimeout)))
        return LeaseAction(lease: .wait, close: close)
    }

    enum ReleaseAction {
        /// Give the connection to this waiter.
        case handOver(Connection, to: WaiterID)
        /// Kept idle.
        case keep
        /// Close it (the pool is shut down).
        case close(Connection)
        /// Close it and let this waiter, who wants a fresh connection, open one in its slot.
        case closeAndGrantOpen(Connection, to: WaiterID)
    }

    /// A connection comes back after a complete exchange that left it reusable.
    mutating func release(_ connection: Connection, now: Deadline) -> ReleaseAction {
        if isShutDown {
            openCount -= 1
            return .close(connection)
        }
        if !waiters.isEmpty {
            let waiter = waiters.removeFirst()
            return waiter.fresh ? .closeAndGrantOpen(connection, to: waiter.id) : .handOver(connection, to: waiter.id)
        }
        idle.append(IdleConnection(connection: connection, expiry: now.adding(idleTimeout)))
        return .keep
    }

    /// A connection closed without coming back (unusable, dead, or it failed to open): its
    /// slot goes to the longest waiter, who opens a new connection in it.
    mutating func connectionClosed() -> WaiterID? {
        if !isShutDown, !waiters.isEmpty { return waiters.removeFirst().id }
        openCount -= 1
        return nil
    }

    /// A waiter gave up; true when it was still queued (else it has already been served).
    mutating func cancelWaiter(_ id: WaiterID) -> Bool {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return false }
        waiters.remove(at: index)
        return true
    }

    /// Closes idle connections that have expired, so a quiet pool does not keep them open.
    mutating func closeExpired(now: Deadline) -> [Connection] {
        var expired: [Connection] = []
        // Idle connections are in order of release, so of expiry: the expired ones lead.
        while let oldest = idle.first, oldest.expiry <= now {
            expired.append(idle.removeFirst().connection)
            openCount -= 1
        }
        return expired
    }

    /// Removes the waiters whose `poolTimeout` has passed: tell them no connection came free.
    mutating func timeOutWaiters(now: Deadline) -> [WaiterID] {
        // Queued in order of arrival with one timeout, so the timed-out ones lead.
        let count = waiters.prefix { $0.deadline <= now }.count
        defer { waiters.removeFirst(count) }
        return waiters[..<count].map(\.id)
    }

    /// When a sweep (`closeExpired`, `timeOutWaiters`) next has work: the oldest idle
    /// connection's expiry or the longest waiter's deadline; nil when there is neither.
    var nextDeadline: Deadline? {
        switch (idle.first?.expiry, waiters.first?.deadline) {
        case let (idle?, waiter?): min(idle, waiter)
        case let (idle?, nil): idle
        case let (nil, waiter?): waiter
        case (nil, nil): nil
        }
    }

    /// Refuses new leases: idle connections are to be closed and waiters told; connections
    /// in use close when they come back.
    mutating func shutDown() -> (close: [Connection], cancel: [WaiterID]) {
        isShutDown = true
        let close = idle.map(\.connection)
        let cancel = waiters.map(\.id)
        openCount -= idle.count
        idle = []
        waiters = []
        return (close, cancel)
    }
}
