import HTTP1
import Locking
import Testing

@testable import ChutesProxy

/// What a long stream keeps of its request: thousands of slow streams at once each kept the
/// whole request body (48 KB for Claude Code) for the stream's life.
@Suite struct StreamMemoryTests {
    /// A copy of a request's body, made by the handler, that can tell whether anyone else
    /// still holds the same storage: writing to a shared array copies it first, so its
    /// address changes; writing to the only reference does not.
    private final class BodyProbe: Sendable {
        private let body = Mutex<[UInt8]>([])

        func keep(_ bytes: [UInt8]) { body.withLock { $0 = bytes } }

        /// Whether the kept body's storage is referenced from here alone.
        func isOnlyHolder() -> Bool {
            body.withLock { body in
                let before = body.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
                let after = body.withUnsafeMutableBufferPointer { UInt(bitPattern: $0.baseAddress) }
                return before == after
            }
        }
    }

    @Test func aStreamingResponseDoesNotKeepTheRequestBody() async throws {
        let probe = BodyProbe()
        let route = ProxyRoute(method: .post, path: "/stream") { request in
            probe.keep(request.body)
            return HTTPResponse(
                status: 200, headers: ["Content-Type": "text/event-stream"],
                body: .stream { writer in
                    // By now the request is answered: only the probe may hold its body.
                    try await writer.write(Array((probe.isOnlyHolder() ? "released" : "kept").utf8))
                })
        }
        try await withRunningProxy(configuration: ProxyConfiguration(), routes: [route]) { running in
            let body = String(repeating: "x", count: 48 * 1024)
            let text = try await running.sendRaw("POST /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            #expect(text.hasPrefix("HTTP/1.1 200"))
            #expect(text.contains("released"), "the request body is still referenced while the stream is written")
        }
    }
}
