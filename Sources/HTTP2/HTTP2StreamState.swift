import AsyncIO

/// What one stream of an `HTTP2Session` holds: the request body still to send, the response
/// as it arrives, and the consumer parked for it.
struct HTTP2StreamState {
    typealias HeadWaiter = UnsafeContinuation<Result<HTTP2ResponseHead, HTTP2Error>, Never>
    typealias BodyWaiter = UnsafeContinuation<Result<ArraySlice<UInt8>?, HTTP2Error>, Never>

    /// The request body and how much of it nghttp2 has taken.
    var requestBody: [UInt8]
    var requestBodySent = 0
    /// Fields of the head being received (reset after an informational 1xx head).
    var status: Int?
    var fields: [HTTP2Field] = []
    /// The final head, once complete.
    var head: HTTP2ResponseHead?
    var headWaiter: (continuation: HeadWaiter, deadline: Deadline)?
    /// Body bytes received and not yet taken by the consumer: they hold the stream's window.
    var chunks: [ArraySlice<UInt8>] = []
    var bodyWaiter: (continuation: BodyWaiter, deadline: Deadline)?
    /// The server sent END_STREAM: after `chunks`, the body ends.
    var remoteEnded = false
    /// Why the stream failed (reset, connection lost); reported once `chunks` are taken.
    var failure: HTTP2Error?
    /// nghttp2 has closed the stream (`on_stream_close`): nothing more arrives.
    var closedInSession = false

    init(requestBody: [UInt8]) {
        self.requestBody = requestBody
    }

    /// Bytes waiting in `chunks`.
    var bufferedBytes: Int { chunks.reduce(0) { $0 + $1.count } }
}
