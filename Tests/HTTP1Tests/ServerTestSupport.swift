import AsyncIO
import Synchronization
import Testing
@testable import HTTP1

/// A server on a free loopback port, running in a task until the test ends.
struct RunningServer: Sendable {
    let server: HTTPServer
    let task: Task<Void, Never>

    init(configuration: HTTPServerConfiguration = .init(host: "127.0.0.1", port: 0), responder: some HTTPResponder) throws {
        var configuration = configuration
        configuration.host = "127.0.0.1"
        configuration.port = 0
        let server = try HTTPServer(configuration: configuration, responder: responder)
        self.server = server
        self.task = Task { await server.run() }
    }

    var address: SocketAddress { server.localAddress }

    func connect() async throws -> RawClient {
        RawClient(connection: try await TCPConnection.connect(to: address))
    }

    /// Shuts the server down and waits until `run()` has returned.
    func stop() async {
        server.shutdown()
        await task.value
    }
}

/// A client that writes raw bytes and reads parsed responses.
final class RawClient {
    let connection: TCPConnection
    private var parser = HTTPResponseParser()

    init(connection: TCPConnection) {
        self.connection = connection
    }

    func send(_ text: String) async throws {
        try await connection.write(Array(text.utf8))
    }

    struct Response {
        var head: HTTPResponseHead
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Reads one whole response; nil when the server closed first.
    func response(toHEAD: Bool = false, timeout: Duration = .seconds(10)) async throws -> Response? {
        parser.expectResponse(toHEAD: toHEAD)
        var head: HTTPResponseHead?
        var body: [UInt8] = []
        let deadline = Deadline.after(timeout)
        while true {
            while let event = try parser.next() {
                switch event {
                case .head(let parsed): head = parsed
                case .body(let part): body += part
                case .end: return head.map { Response(head: $0, body: body) }
                }
            }
            let bytes = try await connection.read(deadline: deadline)
            if bytes.isEmpty {
                if head != nil, let event = try parser.finish(), event == .end {
                    return Response(head: head!, body: body)
                }
                return nil
            }
            parser.feed(bytes)
        }
    }

    /// True when the server closes the connection (end of stream) before `timeout`.
    func seesClose(within timeout: Duration = .seconds(10)) async -> Bool {
        do {
            while true {
                let bytes = try await connection.read(deadline: .after(timeout))
                if bytes.isEmpty { return true }
            }
        } catch {
            return false
        }
    }
}

/// Echoes method, path and body, for tests that check what the server parsed.
struct EchoResponder: HTTPResponder {
    func respond(to request: HTTPRequest) async -> HTTPResponse {
        var body = Array("\(request.method) \(request.head.target) ".utf8)
        body += request.body
        return HTTPResponse(status: 200, contentType: "text/plain", body: body)
    }
}
