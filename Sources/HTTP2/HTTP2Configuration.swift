/// How an upstream HTTP/2 connection manages its streams, windows and keep-alive.
public struct HTTP2Configuration: Sendable {
    /// The receive window each stream starts with (SETTINGS_INITIAL_WINDOW_SIZE): the most
    /// response bytes a stream holds that its consumer has not taken. A consumer that stops
    /// reading stops its own stream here, never its neighbours.
    public var streamWindow = 256 * 1024
    /// The connection's receive window. It is given back as soon as bytes arrive (they are
    /// held per stream), so it only needs to exceed one stream's window.
    public var connectionWindow = 4 * 1024 * 1024
    /// Streams one connection carries at once at most, even when the server allows more
    /// (its SETTINGS_MAX_CONCURRENT_STREAMS is honoured when lower).
    public var maxConcurrentStreams = 256
    /// A connection that has received nothing for this long is sent a PING.
    public var pingInterval: Duration = .seconds(30)
    /// A PING unanswered for this long declares the connection dead: its streams fail and
    /// it takes no more.
    public var pingTimeout: Duration = .seconds(10)
    /// A connection that has carried no stream for this long is closed (GOAWAY).
    public var idleTimeout: Duration = .seconds(60)
    /// How often deadlines (PING, waits for a head or a chunk) are checked: their precision.
    public var tick: Duration = .seconds(1)

    /// The defaults above.
    public init() {}
}
