import AsyncIO
import HTTP1
import Logging

/// The proxy as an embeddable server: construct it (the port is bound at once, so port 0
/// works and `port` tells the real one), then `run()`; `shutdown()` drains it.
public final class ProxyServer: Sendable {
    public let configuration: ProxyConfiguration
    private let server: HTTPServer

    /// Binds the port and prepares the upstream client; throws `IOError` (cannot listen) or
    /// `HTTPClientError` (the trust store or CA file cannot be loaded).
    public init(configuration: ProxyConfiguration, logger: Logger = Logger(label: "claude-chutes-proxy")) throws {
        self.configuration = configuration
        let upstream = try Upstream(configuration: configuration)
        let router = ProxyRouter(
            messages: MessagesHandler(upstream: upstream, logger: logger),
            models: ModelsHandler(upstream: upstream),
            accessLog: AccessLog(logger: logger)
        )
        self.server = try HTTPServer(configuration: configuration.serverConfiguration, responder: router)
    }

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
