import AsyncIO
import Locking

/// An HTTP/1.1 server on our own sockets: an accept loop that runs each connection as a child
/// task of a discarding task group, keep-alive, pipelining, limits, timeouts and a graceful
/// shutdown.
///
/// Connections are given to `configuration.reactors` in turn; each connection's task prefers
/// its reactor as executor, so it runs on the thread that watches its socket (see `Reactor`).
///
/// The listening socket is bound in `init`, so `localAddress` is known (port 0 works) before
/// `run()` starts accepting.
public final class HTTPServer: Sendable {
    /// The settings it was made with.
    public let configuration: HTTPServerConfiguration
    let responder: any HTTPResponder
    private let listener: TCPListener
    let registry = ConnectionRegistry()
    private let cutting = Atomic<Bool>(false)

    /// Binds the listening socket (throws when the address is invalid or taken); nothing is
    /// accepted until `run()`.
    public init(configuration: HTTPServerConfiguration, responder: some HTTPResponder) throws(IOError) {
        self.configuration = configuration
        self.responder = responder
        self.listener = try TCPListener(
            host: configuration.host, port: configuration.port, reusePort: configuration.reusePort, reactor: configuration.reactor
        )
    }

    /// The bound address, with the real port.
    public var localAddress: SocketAddress { listener.localAddress }

    /// Connections being served now (busy or idle between keep-alive requests).
    public var activeConnections: Int { registry.count }

    /// True once the drain's grace period has ended and the requests still in flight are
    /// being cancelled: a responder can tell that cancellation from a client's hang-up.
    public var isCuttingRequests: Bool { cutting.load(ordering: .relaxed) }

    /// Accepts and serves connections until `shutdown()` is called or the task is cancelled,
    /// then drains: in-flight requests get `shutdownGracePeriod` to finish before they are
    /// cancelled. Returns once every connection is closed.
    public func run() async {
        await withDiscardingTaskGroup { group in
            await withTaskCancellationHandler {
                await acceptConnections(into: &group)
            } onCancel: {
                self.shutdown()
            }
            await registry.waitUntilEmpty(timeout: configuration.shutdownGracePeriod)
            cutting.store(true, ordering: .relaxed)
            group.cancelAll()
        }
    }

    /// Stops accepting, closes idle keep-alive connections and lets busy ones finish their
    /// current request. Connections the kernel had already queued are accepted and served
    /// (one request each), so a client that connected just before is not reset. `run()`
    /// returns when they are done.
    public func shutdown() {
        registry.beginDraining()
        let queued = listener.acceptQueued(reactorFor: configuration.reactors.next)
        // Handed over before the listener closes: closing wakes the accept loop, which takes
        // what was handed over once; handed over after, they could come too late and be closed
        // unserved, after the client had sent its request (a 502 behind a load balancer).
        let handedOver = registry.handOver(queued)
        listener.close()
        if !handedOver {
            for connection in queued { connection.close() }  // run() is already past accepting
        }
    }

    private func acceptConnections(into group: inout DiscardingTaskGroup) async {
        while true {
            let connection: TCPConnection
            do {
                connection = try await listener.accept(registeringWith: configuration.reactors.next())
            } catch .closed, .cancelled {
                for connection in registry.takeHandedOver() {
                    group.addTask(executorPreference: connection.reactor) {
                        await self.serve(connection)
                        self.registry.remove(connection)
                    }
                }
                return
            } catch {
                // Out of descriptors and the like: the pending connection stays queued in the
                // kernel, so pause briefly instead of spinning on the same error.
                try? await Task.sleep(for: .milliseconds(10))
                continue
            }
            guard registry.admit(connection, limit: configuration.maxConnections) else {
                group.addTask(executorPreference: connection.reactor) { await self.refuse(connection) }
                continue
            }
            // The connection's task runs on the reactor that watches its socket: a read that
            // parks is resumed on that thread, with no hop to the cooperative pool and back.
            group.addTask(executorPreference: connection.reactor) {
                await self.serve(connection)
                self.registry.remove(connection)
            }
        }
    }

    private func refuse(_ connection: TCPConnection) async {
        var response = configuration.errorResponse(.serviceUnavailable, "the server is at its connection limit; retry shortly")
        response.headers.replaceOrAdd(name: "Connection", value: "close")
        response.headers.replaceOrAdd(name: "Retry-After", value: "1")
        _ = try? await writeSized(response, to: connection, version: .http1_1, includeBody: true, keepAlive: false)
        connection.close()
    }
}

/// The connections being served: how many, which are between requests (closed at once on
/// shutdown) and when the last one goes.
final class ConnectionRegistry: Sendable {
    private struct State {
        var idle: [ObjectIdentifier: TCPConnection] = [:]
        var count = 0
        var draining = false
        /// Connections accepted by `shutdown()` for the accept loop to serve; nil once the
        /// loop has taken them (later ones have no one to serve them).
        var handedOver: [TCPConnection]? = []
        /// `waitUntilEmpty` callers, by id, until the last connection goes or they time out.
        var emptyWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        /// Waiters whose timeout came before they had registered: they return at once.
        var releasedWaiters: Set<UInt64> = []
        var nextWaiterID: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Counts a new connection in, unless at `limit`. While draining, only connections the
    /// kernel queued before the listener closed still arrive; they are served.
    func admit(_ connection: TCPConnection, limit: Int) -> Bool {
        state.withLock { state in
            guard state.count < limit else { return false }
            state.count += 1
            return true
        }
    }

    /// Gives connections accepted during shutdown to the accept loop, counted in; false
    /// when the loop has already finished (the caller closes them).
    func handOver(_ connections: [TCPConnection]) -> Bool {
        state.withLock { state in
            guard state.handedOver != nil else { return false }
            state.handedOver! += connections
            state.count += connections.count
            return true
        }
    }

    /// The connections handed over by `shutdown()`; later hand-overs are refused.
    func takeHandedOver() -> [TCPConnection] {
        state.withLock { state in
            defer { state.handedOver = nil }
            return state.handedOver ?? []
        }
    }

    func remove(_ connection: TCPConnection) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.idle[ObjectIdentifier(connection)] = nil
            state.count -= 1
            guard state.count == 0 else { return [] }
            defer { state.emptyWaiters.removeAll() }
            return Array(state.emptyWaiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Marks the connection as waiting for its next request; false when the server is
    /// draining and the connection should close instead.
    func markIdle(_ connection: TCPConnection) -> Bool {
        state.withLock { state in
            guard !state.draining else { return false }
            state.idle[ObjectIdentifier(connection)] = connection
            return true
        }
    }

    func markBusy(_ connection: TCPConnection) {
        _ = state.withLock { $0.idle.removeValue(forKey: ObjectIdentifier(connection)) }
    }

    var isDraining: Bool { state.withLock { $0.draining } }

    var count: Int { state.withLock { $0.count } }

    /// `waitUntilEmpty` callers registered and waiting now; tests read it to remove the last
    /// connection only once a waiter is parked.
    var waiterCount: Int { state.withLock { $0.emptyWaiters.count } }

    func beginDraining() {
        let idle = state.withLock { state -> [TCPConnection] in
            state.draining = true
            defer { state.idle.removeAll() }
            return Array(state.idle.values)
        }
        for connection in idle { connection.close() }
    }

    /// Returns when no connection is left or after `timeout`, whichever comes first.
    ///
    /// The waiter is registered under the lock that `remove` takes, with an id, and the
    /// timeout (or cancellation) resumes it by that id under the same lock: whichever of
    /// "last connection gone", "timed out" and "registered" happens first, the continuation
    /// is resumed exactly once. (It used to be resumed only if it had registered before the
    /// timer fired; a waiter registering after that was never resumed and shutdown hung.)
    func waitUntilEmpty(timeout: Duration) async {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiterID &+= 1
            return state.nextWaiterID
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        let done = self.state.withLock { state in
                            if state.count == 0 || state.releasedWaiters.remove(id) != nil { return true }
                            state.emptyWaiters[id] = continuation
                            return false
                        }
                        if done { continuation.resume() }
                    }
                } onCancel: {
                    self.releaseWaiter(id)
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.releaseWaiter(id)
            }
            await group.next()
            group.cancelAll()
        }
        // Both children are done; forget the id whichever way it ended.
        _ = state.withLock { $0.releasedWaiters.remove(id) }
    }

    /// Resumes waiter `id` now, or, when it has not registered yet, makes it return as soon
    /// as it does.
    private func releaseWaiter(_ id: UInt64) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.emptyWaiters.removeValue(forKey: id) { return waiter }
            state.releasedWaiters.insert(id)
            return nil
        }
        waiter?.resume()
    }
}
