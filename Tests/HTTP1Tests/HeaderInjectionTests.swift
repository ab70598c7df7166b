import AsyncIO
import TestSupport
import Testing

@testable import HTTP1

/// No header field is written with a line break or NUL in it, whoever chose its value:
/// the server answers 500 instead, and the client refuses to send the request.
@Suite struct HeaderInjectionTests {
    static let unsafeFields: [(name: String, value: String)] = [
        ("X-Echo", "a\r\nSet-Cookie: stolen=1"),
        ("X-Echo", "a\nSet-Cookie: stolen=1"),
        ("X-Echo", "a\rb"),
        ("X-Echo", "a\u{0}b"),
        ("X Echo", "name with a space"),
        ("X-Echo:", "name with a colon"),
        ("", "empty name"),
    ]

    /// Runs `body` with a client that has sent `GET /` to a server answering every request
    /// with `response`, and the response it got.
    private func withFirstResponse(serving response: HTTPResponse, _ body: (RawClient, RawClient.Response) async throws -> Void) async throws {
        try await withRunningServer(responder: ClosureResponder { _ in response }) { server in
            let client = try await server.connect()
            try await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            try await body(client, try #require(try await client.response()))
        }
    }

    @Test(arguments: unsafeFields)
    func theServerRefusesToWriteASizedResponseWithAnUnsafeField(name: String, value: String) async throws {
        var unsafe = HTTPResponse(status: 200, contentType: "text/plain", body: Array("hello".utf8))
        unsafe.headers.add(name: name, value: value)
        try await withFirstResponse(serving: unsafe) { client, response in
            #expect(response.head.status == 500)
            #expect(response.head.headers["Set-Cookie"] == nil)
            #expect(response.head.headers.firstUnsafeField == nil)
            // The connection still serves a next request normally.
            try await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await client.response()?.head.status == 500)
        }
    }

    @Test(arguments: unsafeFields)
    func theServerRefusesToStartAStreamWithAnUnsafeField(name: String, value: String) async throws {
        let unsafe = HTTPResponse(
            status: 200, headers: ["Content-Type": "text/event-stream", name: value],
            body: .stream { writer in
                try await writer.write(Array("data: x\n\n".utf8))
            })
        try await withFirstResponse(serving: unsafe) { _, response in
            #expect(response.head.status == 500)
            #expect(response.head.headers["Set-Cookie"] == nil)
            #expect(!response.text.contains("data: x"))
        }
    }

    @Test(arguments: unsafeFields)
    func theClientRefusesToSendAnUnsafeField(name: String, value: String) async throws {
        // A server that would answer the request: only the refusal can make it fail.
        let server = try ScriptedServer { connection in
            while try await connection.readRequest() != nil {
                try await connection.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            }
        }
        let client = try HTTPClient()
        do {
            let response = try await client.execute(HTTPClientRequest(method: "GET", url: server.url(), headers: [name: value]))
            Issue.record("the request was sent and answered \(response.status)")
        } catch {
            guard case .invalidRequest(let reason) = error else {
                Issue.record("refused for another reason than the field: \(error)")
                return
            }
            #expect(reason.contains("header"), "\(reason)")
        }
        #expect(server.accepted == 0, "a connection was opened for a request that cannot be sent")
    }

    @Test func safeFieldsAreWrittenAsGiven() async throws {
        var safe = HTTPResponse(status: 200, contentType: "text/plain", body: Array("ok".utf8))
        safe.headers.add(name: "X-Request-Id", value: "req_01 \t\"quoted\" ünïcode")
        try await withFirstResponse(serving: safe) { _, response in
            #expect(response.head.status == 200)
            #expect(response.head.headers["X-Request-Id"] == "req_01 \t\"quoted\" ünïcode")
        }
    }
}
