import AsyncIO
import Glibc
import HTTP2
import Locking

/// An HTTP/1.1 client for upstream APIs: keep-alive connections pooled per origin, plain or
/// TLS, response bodies streamed as async sequences.
///
/// Each reactor of the group has pools of its own: a task running on a reactor (a server
/// connection's task, see `HTTPServer`) uses connections that reactor watches, so the
/// upstream's answer wakes it on its own thread. Other callers use the first reactor's.
///
/// ```swift
/// let client = try HTTPClient()
/// let base = HTTPURL("https://llm.chutes.ai/v1")!
/// let response = try await client.execute(HTTPClientRequest(method: .post, url: base.appending("/chat/completions"), body: json))
/// for try await chunk in response.body { ... }
/// ```
public final class HTTPClient: Sendable {
    /// Trust, pool size and timeouts for upstream connections; each has a default.
    public struct Configuration: Sendable {
        /// Which certificate authorities https connections trust (verification is always on).
        public var trustRoots: TLSConfiguration.TrustRoots = .system
        /// Connections open to one origin at once from one reactor's pool; past it that
        /// reactor's requests wait (up to `poolTimeout`) for one to be released. 0, the
        /// default, is no limit but the process's descriptor limit: an HTTP/1.1 connection
        /// carries one stream at a time, so any lower default is a hidden cap on concurrent
        /// streams. Each reactor has the whole limit: a request can use only its own
        /// reactor's connections (they are watched by its thread), and a process-wide count
        /// would need the reactors to hand slots and idle connections to one another.
        public var maxConnectionsPerOrigin = 0
        /// How long a request waits for a connection of a full pool before it fails with
        /// `HTTPClientError.poolTimedOut`; separate from `connectTimeout`, which counts only
        /// once the request has its slot.
        public var poolTimeout: Duration = .seconds(30)
        /// Idle pooled connections older than this are closed, by the pool's sweep when no
        /// request comes to find them.
        public var idleTimeout: Duration = .seconds(60)
        /// Name resolution, TCP connect and TLS handshake together.
        public var connectTimeout: Duration = .seconds(10)
        /// From sending the request until the response head has arrived.
        public var responseHeadTimeout: Duration = .seconds(600)
        /// The longest silence between two reads of the response body.
        public var betweenChunksTimeout: Duration = .seconds(300)
        /// Which resolved addresses a connection may be made to; nil admits every one. The
        /// check is made on the address connected to, so a name cannot resolve to another
        /// address between check and connect. A name with any refused address fails with
        /// `HTTPClientError.addressRefused`.
        public var admitsAddress: (@Sendable (SocketAddress) -> Bool)?
        /// Whether connections speak HTTP/2 when the upstream does (`auto`: when TLS's ALPN
        /// picks h2; `on`: also h2c with prior knowledge for http:// origins; `off`: never).
        /// An h2 connection carries many requests at once, up to the server's
        /// SETTINGS_MAX_CONCURRENT_STREAMS, and counts as one connection of
        /// `maxConnectionsPerOrigin`.
        public var http2: HTTP2Mode = .auto
        /// Windows, stream limit and PING keep-alive of HTTP/2 connections.
        public var http2Connections = HTTP2Configuration()
        /// The event loops upstream connections run on: a caller on one of them gets
        /// connections of its own reactor, any other caller the first reactor's.
        @SharedReactorsByDefault public var reactors: ReactorGroup
        /// One event loop for every upstream connection (sets `reactors` to it alone).
        public var reactor: Reactor {
            get { reactors.reactors[0] }
            set { reactors = ReactorGroup(newValue) }
        }

        /// The defaults above.
        public init() {}
    }

    /// The settings it was made with.
    public let configuration: Configuration
    private let connector: Connector
    private let pools = Mutex(PoolTable())

    /// The pools by origin and reactor, and whether `shutdown()` has run: a pool first asked
    /// for after it (a request racing the shutdown, a background fetch) starts shut down, or
    /// it would open connections no one closes.
    private struct PoolTable {
        var byKey: [PoolKey: ConnectionPool] = [:]
        var isShutDown = false
    }

    /// Pools are per origin and per reactor of `configuration.reactors`.
    private struct PoolKey: Hashable {
        let origin: Origin
        let reactorIndex: Int
    }

    /// Loads the trust store (or the CA file) once, for every https connection to come.
    public init(configuration: Configuration = .init()) throws(HTTPClientError) {
        self.configuration = configuration
        do {
            var tlsConfiguration = TLSConfiguration.client(trustRoots: configuration.trustRoots)
            if configuration.http2 != .off { tlsConfiguration.applicationProtocols = ["h2", "http/1.1"] }
            let tls = try TLSContext(tlsConfiguration)
            connector = Connector(tls: tls, admits: configuration.admitsAddress)
        } catch {
            throw .tls(error)
        }
    }

    deinit {
        shutdown()
    }

    /// Sends `request` and returns once the response head has arrived. A pooled connection
    /// found dead when used (closed by the server while idle) is replaced by a fresh one and
    /// the request sent again, once, when no byte of a response had arrived on it.
    public func execute(_ request: HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientResponse {
        let bytes = try request.serialized()
        let pool = self.pool(for: request.url.origin)
        // A connection opened to learn whether the origin speaks h2 that found HTTP/1.1.
        var opened: PooledConnection?
        if mayUseHTTP2(pool.origin) {
            switch try await executeMultiplexed(request, pool: pool) {
            case .response(let response): return response
            case .useHTTP1(let connection): opened = connection
            }
        }
        var fresh = false
        var poolWait: Duration?
        while true {
            let connection: PooledConnection
            if let first = opened {
                connection = first
                opened = nil
            } else {
                let (leased, waited) = try await pool.acquire(fresh: fresh, connectTimeout: configuration.connectTimeout)
                if let waited { poolWait = (poolWait ?? .zero) + waited }
                connection = leased
            }
            do {
                var response = try await exchange(bytes, isHEAD: request.method == .head, on: connection, pool: pool)
                response.poolWait = poolWait
                return response
            } catch {
                pool.discard(connection)
                switch error {
                case .staleConnection where connection.hasBeenUsed && !fresh:
                    fresh = true
                case .staleConnection:
                    throw .closedEarly("before sending a response head (\(pool.origin))")
                case .failed(let error):
                    throw error
                }
            }
        }
    }

    private func mayUseHTTP2(_ origin: Origin) -> Bool {
        switch configuration.http2 {
        case .off: false
        case .auto: origin.scheme == .https
        case .on: true
        }
    }

    /// Whether a connection just opened speaks HTTP/2: ALPN said h2, or h2c is on.
    private func speaksHTTP2(_ connection: PooledConnection, origin: Origin) -> Bool {
        if connection.hasBeenUsed { return false }
        if connection.stream.negotiatedProtocol == "h2" { return true }
        return origin.scheme == .http && configuration.http2 == .on
    }

    private enum MultiplexedOutcome {
        case response(HTTPClientResponse)
        /// The origin answers HTTP/1.1; the connection opened to find out, if one was.
        case useHTTP1(PooledConnection?)
    }

    /// Sends `request` on a stream of the origin's HTTP/2 connections, opening one when all
    /// are full, unless the origin answers HTTP/1.1 (then the caller uses the pool, and the
    /// connection just opened to learn it: used at once, before a TLS session ticket the
    /// server sent makes it look stale). A stream the server refused unprocessed (GOAWAY,
    /// REFUSED_STREAM) is sent again, twice at most.
    @inline(never)
    private func executeMultiplexed(_ request: HTTPClientRequest, pool: ConnectionPool) async throws(HTTPClientError) -> MultiplexedOutcome {
        let origin = pool.origin
        let http2Request = HTTP2Request(
            method: request.method.rawValue, scheme: origin.scheme.rawValue, authority: request.headers["host"] ?? request.url.hostHeader,
            path: request.url.requestTarget, headers: request.headers.map { ($0.name, $0.value) }, body: request.body)
        let what = "response head from \(origin)"
        var refusals = 0
        while true {
            let plan: MultiplexedConnections.Plan
            do { plan = try pool.multiplexed.plan(http2Request) } catch { throw .from(error, timing: what) }
            switch plan {
            case .useHTTP1:
                return .useHTTP1(nil)
            case .wait:
                await pool.multiplexed.waitForChange()
                if Task.isCancelled { throw .cancelled }
            case .open:
                let connection: PooledConnection
                do {
                    connection = try await pool.acquire(connectTimeout: configuration.connectTimeout).connection
                } catch {
                    pool.multiplexed.openFailed()
                    throw error
                }
                guard speaksHTTP2(connection, origin: origin) else {
                    pool.multiplexed.openedHTTP1()
                    return .useHTTP1(connection)
                }
                pool.detach(connection)
                let multiplexed = pool.multiplexed
                do {
                    let http2 = try HTTP2Connection.start(
                        over: connection.stream, configuration: http2Configuration,
                        onCapacityChange: { [weak multiplexed] in multiplexed?.changed() })
                    multiplexed.opened(http2)
                } catch {
                    pool.discard(connection)  // never joined the set: its slot is freed here
                    multiplexed.openFailed()
                    throw .from(error, timing: what)
                }
            case .stream(let stream):
                do {
                    let head = try await stream.responseHead(deadline: .after(configuration.responseHeadTimeout))
                    let headers = HTTPHeaders(head.headers.map { (name: $0.name, value: $0.value) })
                    let body = HTTPClientResponse.Body(http2: stream, betweenChunks: configuration.betweenChunksTimeout, origin: origin.description)
                    return .response(HTTPClientResponse(head: HTTPResponseHead(status: HTTPStatus(rawValue: head.status), headers: headers), body: body))
                } catch .refused where refusals < 2 {
                    refusals += 1
                } catch {
                    throw .from(error, timing: what)
                }
            }
        }
    }

    /// The HTTP/2 settings with the pool's idle timeout.
    private var http2Configuration: HTTP2Configuration {
        var http2 = configuration.http2Connections
        http2.idleTimeout = configuration.idleTimeout
        return http2
    }

    /// HTTP/2 connections open now over all origins, and the streams they carry.
    public var http2Connections: (connections: Int, streams: Int) {
        pools.withLock { Array($0.byKey.values) }.reduce(into: (0, 0)) { total, pool in
            total.0 += pool.multiplexed.openCount
            total.1 += pool.multiplexed.activeStreams
        }
    }

    /// Closes idle connections and refuses new requests; bodies being read finish normally.
    public func shutdown() {
        let all = pools.withLock { table in
            table.isShutDown = true
            return Array(table.byKey.values)
        }
        for pool in all { pool.shutDown() }
    }

    /// Connections opened and requests sent so far, over all origins (requests / opened is
    /// the connection reuse ratio).
    public var statistics: (connectionsOpened: Int, requests: Int) {
        let all = pools.withLock { Array($0.byKey.values) }
        return all.reduce(into: (0, 0)) { total, pool in
            let counters = pool.counters
            total.0 += counters.opened
            total.1 += counters.leased
        }
    }

    /// Connections open now over all origins, idle or in use.
    public var openConnections: Int {
        pools.withLock { Array($0.byKey.values) }.reduce(0) { $0 + $1.openCount }
    }

    /// Requests waiting now for a connection of a full pool, over all origins and reactors.
    public var waitingRequests: Int {
        pools.withLock { Array($0.byKey.values) }.reduce(0) { $0 + $1.waiterCount }
    }

    /// The pool for `origin` of the reactor running the caller (the first one when the
    /// caller runs on none of them).
    private func pool(for origin: Origin) -> ConnectionPool {
        let reactors = configuration.reactors.reactors
        let key = PoolKey(origin: origin, reactorIndex: configuration.reactors.currentIndex ?? 0)
        return pools.withLock { table in
            if let pool = table.byKey[key] { return pool }
            let pool = ConnectionPool(
                origin: origin,
                reactor: reactors[key.reactorIndex],
                maxConnections: configuration.maxConnectionsPerOrigin > 0 ? configuration.maxConnectionsPerOrigin : .max,
                idleTimeout: configuration.idleTimeout,
                poolTimeout: configuration.poolTimeout,
                connector: connector
            )
            if table.isShutDown { pool.shutDown() }
            table.byKey[key] = pool
            return pool
        }
    }

    private enum ExchangeError: Error {
        /// The connection died before any byte of a response: safe to try a fresh one.
        case staleConnection
        case failed(HTTPClientError)
    }

    @inline(never)
    private func exchange(_ bytes: [UInt8], isHEAD: Bool, on connection: PooledConnection, pool: ConnectionPool) async throws(ExchangeError) -> HTTPClientResponse {
        let deadline = Deadline.after(configuration.responseHeadTimeout)
        let what = "response head from \(pool.origin)"
        connection.parser.expectResponse(toHEAD: isHEAD)
        do {
            try await connection.stream.send(bytes[...], deadline: deadline)
        } catch {
            throw error.isPeerGone ? .staleConnection : .failed(.from(error, timing: what))
        }
        var received = 0
        while true {
            let event: HTTPResponseParser.Event?
            do { event = try connection.parser.next() } catch { throw .failed(.invalidResponse(error)) }
            switch event {
            case .head(let head):
                do { return try response(head: head, connection: connection, pool: pool) } catch { throw .failed(.invalidResponse(error)) }
            case .body, .end:
                throw .failed(.invalidResponse(HTTPParseError(status: .badGateway, reason: "body bytes before a response head")))
            case nil:
                let count: Int
                do {
                    count = try await connection.fill(deadline: deadline)
                } catch {
                    // A kept-alive connection the server had closed: safe to try a fresh one.
                    if received == 0 && error.isPeerGone { throw .staleConnection }
                    throw .failed(.from(error, timing: what))
                }
                if count == 0 {
                    if received == 0 { throw .staleConnection }
                    throw .failed(.closedEarly("in the middle of the response head from \(pool.origin)"))
                }
                received += count
            }
        }
    }

    /// Wraps the head; when the body is already complete the connection goes back at once.
    private func response(head: HTTPResponseHead, connection: PooledConnection, pool: ConnectionPool) throws(HTTPParseError) -> HTTPClientResponse {
        var pending: ArraySlice<UInt8>?
        while true {
            switch try connection.parser.next() {
            case .body(let chunk):
                if chunk.isEmpty { continue }
                if pending == nil { pending = chunk } else { pending! += chunk }
                continue
            case .end:
                if connection.parser.isKeepAlive {
                    pool.release(connection)
                } else {
                    pool.discard(connection)
                }
                return HTTPClientResponse(head: head, body: .init(complete: pending, origin: pool.origin.description))
            case .head:
                throw HTTPParseError(status: .badGateway, reason: "a second response head before the first body ended")
            case nil:
                let body = HTTPClientResponse.Body(
                    connection: connection, pool: pool, pending: pending, betweenChunks: configuration.betweenChunksTimeout
                )
                return HTTPClientResponse(head: head, body: body)
            }
        }
    }
}
