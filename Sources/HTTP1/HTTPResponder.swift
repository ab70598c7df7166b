/// Answers requests. The server calls it once per request, in order per connection; the task
/// it runs in is cancelled when the client goes away.
public protocol HTTPResponder: Sendable {
    /// The answer to `request`. It cannot throw: a failure is answered as a response (for the
    /// proxy, Anthropic's error envelope).
    func respond(to request: HTTPRequest) async -> HTTPResponse
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
