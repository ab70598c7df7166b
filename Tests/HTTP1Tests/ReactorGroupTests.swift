import AsyncIO
import Testing

@testable import HTTP1

/// A server spreads its connections over its reactors and runs each connection's requests on
/// the reactor that watches its socket; a client uses connections of the caller's reactor.
@Suite struct ReactorGroupTests {
    /// Answers with the position, in `group`, of the reactor running the responder.
    struct WhichReactor: HTTPResponder {
        let group: ReactorGroup
        func respond(to request: HTTPRequest) async -> HTTPResponse {
            HTTPResponse(status: 200, contentType: "text/plain", body: Array((group.currentIndex.map(String.init) ?? "none").utf8))
        }
    }

    @Test func connectionsAreSpreadAndEachStaysOnItsReactor() async throws {
        let group = ReactorGroup(try Reactor(), [try Reactor()])
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.reactors = group
        let running = try RunningServer(configuration: configuration, responder: WhichReactor(group: group))
        var answers: [[String]] = []
        for _ in 0..<4 {
            let client = try await running.connect()
            var onThisConnection: [String] = []
            for _ in 0..<3 {
                try await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                onThisConnection.append(try #require(try await client.response()).text)
            }
            answers.append(onThisConnection)
            client.connection.close()
        }
        #expect(answers == [["0", "0", "0"], ["1", "1", "1"], ["0", "0", "0"], ["1", "1", "1"]])
        // The listener and two connections on the first reactor, two on the second.
        #expect(group.reactors.map(\.registrationCount) == [3, 2])
        await running.stop()
    }

    @Test func aClientUsesConnectionsOfTheCallersReactor() async throws {
        let running = try RunningServer(responder: EchoResponder())
        let first = try Reactor()
        let second = try Reactor()
        var configuration = HTTPClient.Configuration()
        configuration.reactors = ReactorGroup(first, [second])
        let client = try HTTPClient(configuration: configuration)
        let url = try #require(HTTPURL("http://127.0.0.1:\(running.address.port)/"))

        let onSecond = try await withTaskExecutorPreference(second) {
            let response = try await client.execute(HTTPClientRequest(method: .get, url: url))
            _ = try await response.body.collect(upTo: 1024)
            return second.isCurrent
        }
        #expect(onSecond)
        #expect([first.registrationCount, second.registrationCount] == [0, 1])
        // A caller on no reactor of the group gets the first one's connections.
        let response = try await client.execute(HTTPClientRequest(method: .get, url: url))
        _ = try await response.body.collect(upTo: 1024)
        #expect([first.registrationCount, second.registrationCount] == [1, 1])
        client.shutdown()
        await running.stop()
    }
}
