import AsyncIO
import Synchronization
import TestSupport
import Testing

@testable import HTTP1

/// A server on a free loopback port, running in a task until the test ends.
struct RunningServer: StoppableServer {
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

/// Runs `body` with a server on a free loopback port, then stops it, also when `body` throws.
func withRunningServer<Result>(
    configuration: HTTPServerConfiguration = .init(host: "127.0.0.1", port: 0), responder: some HTTPResponder, _ body: (RunningServer) async throws -> Result
) async throws -> Result {
    try await withStopping(try RunningServer(configuration: configuration, responder: responder), body)
}

/// Echoes method, path and body, for tests that check what the server parsed.
struct EchoResponder: HTTPResponder {
    func respond(to request: HTTPRequest) async -> HTTPResponse {
        var body = Array("\(request.method) \(request.head.target) ".utf8)
        body += request.body
        return HTTPResponse(status: 200, contentType: "text/plain", body: body)
    }
}
