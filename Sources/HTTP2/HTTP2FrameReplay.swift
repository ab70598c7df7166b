/// A client session with no socket: requests go in, the server's bytes are fed by hand, and
/// what the session holds can be inspected. For the fuzz target that feeds it arbitrary
/// frames "from the upstream", and for tests of frame sequences no real server sends.
public final class HTTP2FrameReplay {
    private let session: HTTP2Session

    /// A session as `HTTP2Connection` makes it; its preface and SETTINGS are in `drainOutput()`.
    public init(configuration: HTTP2Configuration = .init()) throws(HTTP2Error) {
        session = try HTTP2Session(configuration: configuration)
    }

    /// Starts a stream; nil when the session has no room.
    public func startStream(_ request: HTTP2Request) -> Int32? {
        guard case .success(let id) = session.start(request) else { return nil }
        return id
    }

    /// Feeds bytes as if read from the server.
    public func receive(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { session.receive($0) }
        runWakeups()
    }

    /// The frames the session would send now.
    public func drainOutput() -> [UInt8] {
        defer { runWakeups() }
        return session.drainOutput()
    }

    /// The next body bytes of a stream, as its consumer would take them (nil inside: its
    /// end); nil when it has none yet.
    public func takeChunk(of streamID: Int32) -> Result<ArraySlice<UInt8>?, HTTP2Error>? {
        session.takeChunk(of: streamID)
    }

    /// The consumer of a stream leaves (RST_STREAM when the stream is open).
    public func finish(_ streamID: Int32) {
        session.finish(streamID)
        runWakeups()
    }

    /// Body bytes a stream holds that its consumer has not taken.
    public func bufferedBytes(of streamID: Int32) -> Int {
        session.streams[streamID]?.bufferedBytes ?? 0
    }

    /// The streams started and not closed.
    public var activeStreams: Int { session.activeStreams }

    /// Whether the session failed (protocol error from the server).
    public var hasFailed: Bool { !session.isUsable && !session.goingAway }

    private func runWakeups() {
        // Nothing parks on a replay; wake-ups of finished consumers resume nothing.
        session.wakeups = []
    }
}
