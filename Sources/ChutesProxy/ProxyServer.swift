import AsyncIO
import HTTP1

/// The proxy as an embeddable server: construct it (the port is bound at once, so port 0
/// works and `port` tells the real one), then `run()`; `shutdown()` drains it.
public final class ProxyServer: Sendable {
    public let configuration: ProxyConfiguration
    private let server: HTTPServer

    public init(configuration: ProxyConfiguration) throws(IOError) {
        self.configuration = configuration
        self.server = try HTTPServer(configuration: configuration.serverConfiguration, responder: ProxyRouter())
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
