import AsyncIO
import Synchronization
import TestSupport
import Testing

@testable import HTTP1

/// A responder that refuses a request from its head (`respond(toHead:)`) is answered before
/// the body is read: no `100 Continue`, no body held, the connection closed after the body
/// the client still sends has been read and dropped.
@Suite struct HeadAnswerTests {
    /// Refuses requests without `x-key: yes` from the head; counts what reaches `respond(to:)`.
    final class KeyCheckingResponder: HTTPResponder {
        let bodiesRead = Mutex(0)

        func respond(toHead head: HTTPRequestHead, remoteAddress: SocketAddress?) -> HTTPResponse? {
            head.headers["x-key"] == "yes" ? nil : HTTPResponse(status: .unauthorized, contentType: "text/plain", body: Array("no key\n".utf8))
        }

        func respond(to request: HTTPRequest) async -> HTTPResponse {
            bodiesRead.withLock { $0 += 1 }
            return HTTPResponse(status: .ok, contentType: "text/plain", body: Array("read \(request.body.count)\n".utf8))
        }
    }

    @Test func aRequestRefusedAtItsHeadIsAnsweredBeforeItsBodyArrives() async throws {
        let responder = KeyCheckingResponder()
        try await withRunningServer(responder: responder) { server in
            let client = try await server.connect()
            defer { client.connection.close() }
            // 32 MiB announced, none of it sent: the answer comes anyway.
            try await client.send("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 33554431\r\n\r\n")
            let response = try #require(try await client.response(timeout: .seconds(5)))
            #expect(response.head.status == .unauthorized && response.text == "no key\n")
            #expect(response.head.headers["Connection"]?.lowercased() == "close")
            // What the client goes on sending is read and dropped: 4 MiB more, no reset.
            for _ in 0..<64 { try await client.connection.write([UInt8](repeating: 0x61, count: 64 * 1024), deadline: .after(.seconds(5))) }
            #expect(responder.bodiesRead.withLock { $0 } == 0)
        }
    }

    @Test func aRefusedBodyIsDrainedThenTheConnectionCloses() async throws {
        let responder = KeyCheckingResponder()
        try await withRunningServer(responder: responder) { server in
            let client = try await server.connect()
            defer { client.connection.close() }
            let body = String(repeating: "b", count: 300_000)
            try await client.send("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            let response = try #require(try await client.response())
            #expect(response.head.status == .unauthorized)
            #expect(await client.seesClose(within: .seconds(5)))
            #expect(responder.bodiesRead.withLock { $0 } == 0)
        }
    }

    @Test func aClientExpectingContinueGetsTheRefusalInstead() async throws {
        let responder = KeyCheckingResponder()
        try await withRunningServer(responder: responder) { server in
            let client = try await server.connect()
            defer { client.connection.close() }
            try await client.send("POST /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1000000\r\n\r\n")
            let answer = String(decoding: try await client.readToEnd(timeout: .seconds(5)), as: UTF8.self)
            #expect(answer.hasPrefix("HTTP/1.1 401 "), "\(answer.prefix(40))")
            #expect(!answer.contains("100 Continue"))
        }
    }

    @Test func aRequestTheHeadAdmitsIsReadAndAnsweredAsBefore() async throws {
        let responder = KeyCheckingResponder()
        try await withRunningServer(responder: responder) { server in
            let client = try await server.connect()
            defer { client.connection.close() }
            try await client.send("POST /x HTTP/1.1\r\nHost: h\r\nx-key: yes\r\nExpect: 100-continue\r\nConnection: close\r\nContent-Length: 5\r\n\r\n")
            try await client.send("hello")
            let answer = String(decoding: try await client.readToEnd(timeout: .seconds(5)), as: UTF8.self)
            #expect(answer.hasPrefix("HTTP/1.1 100 Continue"))
            #expect(answer.hasSuffix("read 5\n"))
            #expect(responder.bodiesRead.withLock { $0 } == 1)
        }
    }
}
