import AsyncIO
import TestSupport
import Testing

@testable import HTTP1

/// Servers and clients run on the reactor their configuration names.
@Suite struct ReactorInjectionTests {
    @Test func serverAndClientRunOnTheGivenReactor() async throws {
        let serverReactor = try Reactor()
        let clientReactor = try Reactor()
        var serverConfiguration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        serverConfiguration.reactor = serverReactor
        try await withRunningServer(
            configuration: serverConfiguration,
            responder: ClosureResponder { _ in
                HTTPResponse(status: 200, contentType: "text/plain", body: Array("ok".utf8))
            }
        ) { server in
            var clientConfiguration = HTTPClient.Configuration()
            clientConfiguration.reactor = clientReactor
            let client = try HTTPClient(configuration: clientConfiguration)
            defer { client.shutdown() }
            let url = try #require(HTTPURL("http://127.0.0.1:\(server.address.port)/"))
            for _ in 0..<3 {
                let response = try await client.execute(HTTPClientRequest(method: "GET", url: url))
                #expect(try await response.body.collect(upTo: 1024) == Array("ok".utf8))
            }
            // The listener and the accepted connection are on the server's reactor, the
            // upstream connection (reused for all three requests) on the client's.
            #expect(serverReactor.registrationCount == 2)
            #expect(clientReactor.registrationCount == 1)
        }
    }
}
