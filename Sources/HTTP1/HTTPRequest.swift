import AsyncIO

/// A complete request as the server hands it to a responder: head and whole body.
public struct HTTPRequest: Sendable {
    /// The request line and header fields.
    public var head: HTTPRequestHead
    /// The whole body, de-chunked; empty when the request had none.
    public var body: [UInt8]
    /// The client, when the kernel could tell.
    public var remoteAddress: SocketAddress?

    /// A request as the server hands it over; tests and embedders build them too.
    public init(head: HTTPRequestHead, body: [UInt8] = [], remoteAddress: SocketAddress? = nil) {
        self.head = head
        self.body = body
        self.remoteAddress = remoteAddress
    }

    /// The head's method.
    public var method: HTTPMethod { head.method }
    /// The target's path, without the query.
    public var path: String { head.path }
    /// The head's header fields.
    public var headers: HTTPHeaders { head.headers }
}
