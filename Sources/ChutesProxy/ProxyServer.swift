import AsyncIO
import HTTP1
import Locking
import Logging

/// The proxy as an embeddable server: construct it (the port is bound at once, so port 0
/// works and `port` tells the real one), then `run()`; `shutdown()` drains it.
public final class ProxyServer: Sendable {
    /// What the server was started with.
    public let configuration: ProxyConfiguration
    private let server: HTTPServer
    private let lifecycle: ServingLifecycle

    /// Binds the port and prepares the upstream client; throws `ConfigurationError` (settings
    /// that are wrong together), `IOError` (cannot listen or start the reactor threads) or `HTTPClientError` (the trust
    /// store or CA file cannot be loaded). `routes` are answered before the proxy's own (see
    /// `ProxyRoute`), after the inbound-key check.
    public init(configuration: ProxyConfiguration, routes: [ProxyRoute] = [], logger: Logger = Logger(label: "claude-chutes-proxy")) throws {
        try configuration.validate()
        var configuration = configuration
        if configuration.reactorThreads > 0 {
            // Started here, not when the setting is read: `check` and `--print-config` start none.
            configuration.http.reactors = try ReactorGroup.sized(configuration.reactorThreads)
        }
        self.configuration = configuration
        let metrics = ProxyMetrics(enabled: configuration.metricsEnabled, providers: configuration.providers.isEmpty ? [] : configuration.providerNames)
        let upstreams = try Upstreams(configuration: configuration, metrics: metrics)
        // The router reads the server's connection count, but the server is made with the router.
        let served = ServerReference()
        let lifecycle = ServingLifecycle()
        self.lifecycle = lifecycle
        let redis = configuration.rateLimitRedis.map { RedisClient(url: $0, timeout: configuration.rateLimitRedisTimeout) }
        self.redis = redis
        let counters: any RateCounters = redis.map { RedisCounters(client: $0, logger: logger, metrics: metrics) } ?? LocalCounters()
        let keys = KeyStore(unnamed: configuration.inboundKeys, named: configuration.namedKeys, path: configuration.keysFile, logger: logger)
        self.keys = keys
        let router = ProxyRouter(
            messages: MessagesHandler(upstreams: upstreams, logger: logger, serverTools: try ServerToolRunner(configuration: configuration, metrics: metrics, logger: logger)),
            models: ModelsHandler(upstreams: upstreams),
            custom: routes,
            lifecycle: lifecycle,
            accessLog: AccessLog(logger: logger),
            metrics: metrics,
            keys: keys,
            limiter: KeyLimiter(counters: counters),
            usage: UsageLedger(),
            metricsRequireKey: configuration.metricsRequireKey,
            connectionCounts: { [clients = upstreams.all.map(\.client)] in
                // Every provider's pool together.
                var counts = (served: served.server.withLock { $0?.activeConnections } ?? 0, upstream: 0, upstreamWaiting: 0, http2: (connections: 0, streams: 0))
                for client in clients {
                    counts.upstream += client.openConnections
                    counts.upstreamWaiting += client.waitingRequests
                    counts.http2.connections += client.http2Connections.connections
                    counts.http2.streams += client.http2Connections.streams
                }
                return counts
            },
            isCuttingRequests: { served.server.withLock { $0?.isCuttingRequests } ?? false }
        )
        let server = try HTTPServer(configuration: configuration.serverConfiguration, responder: router)
        served.server.withLock { $0 = server }
        self.server = server
        self.metrics = metrics
        self.upstreams = upstreams
        if let warning = configuration.openRelayWarning(port: server.localAddress.port) { logger.warning("\(warning)") }
    }

    /// Where the proxy's metrics are recorded (fallbacks and circuit breakers report here too).
    public let metrics: ProxyMetrics

    /// Every provider's upstream, their clients shut down when `run()` returns.
    private let upstreams: Upstreams

    /// The bound port.
    public var port: Int { server.localAddress.port }

    /// The keys in force, reloaded from `PROXY_KEYS_FILE`.
    private let keys: KeyStore
    /// The rate-limit counters' Redis (`RATE_LIMIT_REDIS_URL`), its connections closed when
    /// `run()` returns.
    private let redis: RedisClient?

    /// Reads `PROXY_KEYS_FILE` again (the command line calls it on SIGHUP): the new keys
    /// apply to requests from now on; a file that does not read keeps the keys in force and
    /// logs why. True when the keys were replaced.
    @discardableResult
    public func reloadKeys() -> Bool { keys.reload() }

    /// Serves until `shutdown()` or cancellation; returns once in-flight requests are done.
    /// Meanwhile `PROXY_KEYS_FILE` is checked for a change every `PROXY_KEYS_RELOAD_INTERVAL`.
    public func run() async {
        let interval = configuration.keysReloadInterval
        let watcher: Task<Void, Never>? =
            keys.path == nil || interval <= .zero
            ? nil
            : Task { [keys] in
                while (try? await Task.sleep(for: interval)) != nil { keys.reloadIfChanged() }
            }
        await server.run()
        watcher?.cancel()
        redis?.shutdown()
        // Nothing is in flight any more: the upstream connections close now, not whenever
        // the last reference to the client goes (a kept-alive one stayed open meanwhile).
        upstreams.shutdown()
    }

    /// Drains: `/ready` answers 503 from now on; after `shutdownDelay` (at once when zero,
    /// or on a second call) the listener closes (connections already queued are still
    /// served), idle keep-alive connections close, and requests in flight, streams included,
    /// get `SHUTDOWN_GRACE_PERIOD` to finish. `/health` stays 200 until `run()` returns.
    public func shutdown() {
        let delay = configuration.shutdownDelay
        guard lifecycle.beginDraining(), delay > .zero else {
            server.shutdown()
            return
        }
        let server = self.server
        Task {
            try? await Task.sleep(for: delay)
            server.shutdown()
        }
    }

    /// False once `shutdown()` was called.
    public var isReady: Bool { !lifecycle.isDraining }
}

/// A route an embedding application adds to the proxy: requests with this method and path
/// (query string aside) go to `handler` instead of the proxy's own routes.
///
///     let hello = ProxyRoute(method: .get, path: "/hello") { _ in
///         HTTPResponse(status: .ok, contentType: "text/plain", body: Array("hi\n".utf8))
///     }
///     let proxy = try ProxyServer(configuration: configuration, routes: [hello])
public struct ProxyRoute: Sendable {
    /// The method it answers.
    public var method: HTTPMethod
    /// The exact path it answers (no query string).
    public var path: String
    /// The answer.
    public var handler: @Sendable (HTTPRequest) async -> HTTPResponse

    /// A route of an embedder's own, answered after the inbound-key check.
    public init(method: HTTPMethod, path: String, handler: @escaping @Sendable (HTTPRequest) async -> HTTPResponse) {
        self.method = method
        self.path = path
        self.handler = handler
    }
}

/// Whether the server is draining, read by `/ready`.
final class ServingLifecycle: Sendable {
    private let draining = Atomic<Bool>(false)

    /// True for the first call.
    func beginDraining() -> Bool {
        !draining.exchange(true, ordering: .relaxed)
    }

    var isDraining: Bool { draining.load(ordering: .relaxed) }
}

/// The HTTP server, for code made before it (its responder).
private final class ServerReference: Sendable {
    let server = Mutex<HTTPServer?>(nil)
}
