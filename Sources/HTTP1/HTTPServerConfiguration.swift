import AsyncIO

/// How an `HTTPServer` listens, what it accepts and how long it waits.
public struct HTTPServerConfiguration: Sendable {
    /// Numeric address to bind ("0.0.0.0", "::", "127.0.0.1") or "localhost".
    public var host: String = "0.0.0.0"
    /// 0 picks a free port; read the real one from `HTTPServer.localAddress`.
    public var port: Int = 8080
    /// SO_REUSEPORT, so several processes can share one port.
    public var reusePort: Bool = false
    /// Sizes past which a request is refused (413, 431).
    public var limits: HTTPParserLimits = .init()
    /// From a request's first byte until its head and body are in; also how long a fresh
    /// connection may stay silent. Answered with 408 when a request had begun.
    public var requestReadTimeout: Duration = .seconds(30)
    /// How long a keep-alive connection may wait for its next request.
    public var idleTimeout: Duration = .seconds(75)
    /// How long one write may wait for the client to take bytes.
    public var writeTimeout: Duration = .seconds(60)
    /// Connections served at once; past it a new connection is answered 503 and closed. A
    /// team's slow streams are thousands at once, each a connection for tens of seconds.
    public var maxConnections: Int = 10_000
    /// On shutdown, how long in-flight requests may take before they are cancelled.
    public var shutdownGracePeriod: Duration = .seconds(10)
    /// Serve HTTPS with this context (`TLSContext(.server(certificateChainFile:privateKeyFile:))`);
    /// nil serves plain HTTP. The handshake runs in the connection's task, within `requestReadTimeout`.
    public var tls: TLSContext? = nil
    /// The event loops: the first one's thread watches the listener; each connection is
    /// given to the reactors in turn, which watches its socket and runs its task (reads,
    /// parsing, the responder, writes) on its thread. By default one reactor per CPU.
    @SharedReactorsByDefault public var reactors: ReactorGroup
    /// One event loop for the listener and all its connections (sets `reactors` to it alone).
    public var reactor: Reactor {
        get { reactors.reactors[0] }
        set { reactors = ReactorGroup(newValue) }
    }
    /// The answer for requests the parser rejects (400, 408, 413, 431, 501, 505) and for the
    /// connection cap (503). The default is plain text; applications supply their own format.
    public var errorResponse: @Sendable (_ status: HTTPStatus, _ message: String) -> HTTPResponse = { status, message in
        HTTPResponse(status: status, contentType: "text/plain; charset=utf-8", body: Array((message + "\n").utf8))
    }

    /// Listens on `host`:`port`; the other settings keep their defaults until set.
    public init(host: String = "0.0.0.0", port: Int = 8080) {
        self.host = host
        self.port = port
    }
}
