import AsyncIO

/// Answers requests. The server calls it once per request, in order per connection; the task
/// it runs in is cancelled when the client goes away.
public protocol HTTPResponder: Sendable {
    /// The answer to `request`. It cannot throw: a failure is answered as a response (for the
    /// proxy, Anthropic's error envelope).
    func respond(to request: HTTPRequest) async -> HTTPResponse

    /// An answer from the head alone, or nil to read the body and call `respond(to:)`.
    ///
    /// Called once the head is parsed, before any `100 Continue` and before the body is
    /// read: a request that will be refused whatever its body says (no valid key) is answered
    /// without the server holding its body. The server then reads and discards what the
    /// client still sends of the body (unless it waits for `100 Continue`), and closes.
    func respond(toHead head: HTTPRequestHead, remoteAddress: SocketAddress?) -> HTTPResponse?
}

extension HTTPResponder {
    /// Reads every body: no answer from the head alone.
    public func respond(toHead head: HTTPRequestHead, remoteAddress: SocketAddress?) -> HTTPResponse? { nil }
}

/// A responder made from a closure, for tests and small servers.
public struct ClosureResponder: HTTPResponder {
    let body: @Sendable (HTTPRequest) async -> HTTPResponse

    /// Answers every request with `body`.
    public init(_ body: @escaping @Sendable (HTTPRequest) async -> HTTPResponse) {
        self.body = body
    }

    /// Calls the closure.
    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        await body(request)
    }
}
