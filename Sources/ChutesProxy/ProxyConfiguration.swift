import AsyncIO
import HTTP1

/// Everything the proxy is configured with. Read from the environment by
/// `ProxyConfiguration(environment:)`; embedders may build one directly.
public struct ProxyConfiguration: Sendable {
    public var host: String = "0.0.0.0"
    public var port: Int = 8080
    /// Per-connection HTTP limits and timeouts; `http.tls` serves HTTPS.
    public var http = HTTPServerConfiguration()
    /// Which certificates the upstream connection trusts (`CHUTES_CA_FILE`, else the system store).
    public var upstreamTrustRoots: TLSConfiguration.TrustRoots = .system

    public init(host: String = "0.0.0.0", port: Int = 8080) {
        self.host = host
        self.port = port
    }

    /// The HTTP server's configuration with the proxy's address and error format.
    var serverConfiguration: HTTPServerConfiguration {
        var server = http
        server.host = host
        server.port = port
        server.errorResponse = { status, message in AnthropicError(status: status, message: message).response }
        return server
    }
}
