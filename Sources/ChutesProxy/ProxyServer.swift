import AsyncIO
import HTTP1
import Logging
import Synchronization

/// The proxy as an embeddable server: construct it (the port is bound at once, so port 0
/// works and `port` tells the real one), then `run()`; `shutdown()` drains it.
public final class ProxyServer: Sendable {
    public let configuration: ProxyConfiguration
    private let server: HTTPServer

    /// Binds the port and prepares the upstream client; throws `ConfigurationError` (settings
    /// that are wrong together), `IOError` (cannot listen) or `HTTPClientError` (the trust
    /// store or CA file cannot be loaded).
    public init(configuration: ProxyConfiguration, logger: Logger = Logger(label: "claude-chutes-proxy")) throws {
        try configuration.validate()
        self.configuration = configuration
        let metrics = ProxyMetrics(enabled: configuration.metricsEnabled)
        let upstream = try Upstream(configuration: configuration, metrics: metrics)
        // The router reads the server's connection count, but the server is made with the router.
        let served = ServerReference()
        let router = ProxyRouter(
            messages: MessagesHandler(upstream: upstream, logger: logger),
            models: ModelsHandler(upstream: upstream),
            accessLog: AccessLog(logger: logger),
            metrics: metrics,
            inboundKeys: configuration.inboundKeys,
            metricsRequireKey: configuration.metricsRequireKey,
            connectionCounts: { [client = upstream.client] in
                (served.server.withLock { $0?.activeConnections } ?? 0, client.openConnections)
            }
        )
        let server = try HTTPServer(configuration: configuration.serverConfiguration, responder: router)
        served.server.withLock { $0 = server }
        self.server = server
        self.metrics = metrics
    }

    /// Where the proxy's metrics are recorded (fallbacks and circuit breakers report here too).
    public let metrics: ProxyMetrics

    /// The bound port.
    public var port: Int { server.localAddress.port }

    /// Serves until `shutdown()` or cancellation; returns once in-flight requests are done.
    public func run() async {
        await server.run()
    }

    /// Stops accepting and lets in-flight requests finish within the grace period.
    public func shutdown() {
        server.shutdown()
    }
}

/// The HTTP server, for code made before it (its responder).
private final class ServerReference: Sendable {
    let server = Mutex<HTTPServer?>(nil)
}
