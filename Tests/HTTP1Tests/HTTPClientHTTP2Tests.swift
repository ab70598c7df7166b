import AsyncIO
import HTTP1
import TestSupport
import Testing

/// The client's pool over a real HTTP/2 server (nghttpd): requests share connections.
@Suite(.serialized, .enabled(if: Nghttpd.isInstalled, "nghttpd (nghttp2-server) is not installed"))
struct HTTPClientHTTP2Tests {
    private func client(_ mode: HTTP2Mode = .auto, configure: (inout HTTPClient.Configuration) -> Void = { _ in }) throws -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configure(&configuration)
        configuration.trustRoots = .file(TestCertificates.shared.caFile)
        configuration.http2 = mode
        return try HTTPClient(configuration: configuration)
    }

    private func url(_ server: Nghttpd, _ path: String) -> HTTPURL {
        HTTPURL("\(server.tls ? "https" : "http")://\(server.tls ? "localhost" : "127.0.0.1"):\(server.port)\(path)")!
    }

    @Test func concurrentRequestsToAnH2OriginShareOneConnection() async throws {
        let server = try await Nghttpd(tls: true)
        let client = try client()
        defer { client.shutdown() }
        let url = url(server, "/large")
        // Every response is held open (its body unread) until all have their heads: the
        // requests are in flight together, and still one connection carries them.
        let responses = try await withThrowingTaskGroup(of: HTTPClientResponse.self) { group in
            for _ in 0..<20 { group.addTask { try await client.execute(HTTPClientRequest(url: url)) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(client.http2Connections.connections == 1)
        #expect(client.http2Connections.streams == 20)
        #expect(client.statistics.connectionsOpened == 1)
        for response in responses {
            #expect(response.status == .ok)
            #expect(try await response.body.collect(upTo: 4 << 20) == Nghttpd.largeBody)
        }
        #expect(await poll { client.http2Connections.streams == 0 })
    }

    @Test func aFullConnectionMakesThePoolOpenAnother() async throws {
        let server = try await Nghttpd(tls: true, arguments: ["-m", "2"])
        let client = try client()
        defer { client.shutdown() }
        let url = url(server, "/large")
        // The first connection learns the limit from the server's SETTINGS.
        let first = try await client.execute(HTTPClientRequest(url: url))
        var held = [first]
        for _ in 0..<5 { held.append(try await client.execute(HTTPClientRequest(url: url))) }
        #expect(client.http2Connections.connections == 3)
        #expect(client.http2Connections.streams == 6)
        for response in held { #expect(try await response.body.collect(upTo: 4 << 20) == Nghttpd.largeBody) }
    }

    /// `UPSTREAM_MAX_CONNECTIONS` counts a multiplexed connection as one connection: with
    /// two allowed and both full, a request waits for room (here, past its pool timeout)
    /// instead of opening a third.
    @Test func multiplexedConnectionsCountAgainstTheConnectionLimit() async throws {
        let server = try await Nghttpd(tls: true, arguments: ["-m", "2"])
        let client = try client {
            $0.maxConnectionsPerOrigin = 2
            $0.poolTimeout = .milliseconds(300)
        }
        defer { client.shutdown() }
        let url = url(server, "/large")
        var held: [HTTPClientResponse] = []
        for _ in 0..<4 { held.append(try await client.execute(HTTPClientRequest(url: url))) }
        #expect(client.http2Connections.connections == 2)
        #expect(client.openConnections == 2)
        do {
            let extra = try await client.execute(HTTPClientRequest(url: url))
            Issue.record("a fifth stream was opened, on connection \(client.http2Connections.connections): \(extra.status)")
        } catch {
            guard case .poolTimedOut = error else { throw error }
        }
        #expect(client.http2Connections.connections == 2)
        // Room on a connection is used again as soon as a stream ends.
        let first = held.removeFirst()
        #expect(try await first.body.collect(upTo: 4 << 20) == Nghttpd.largeBody)
        let next = try await client.execute(HTTPClientRequest(url: url))
        held.append(next)
        #expect(client.http2Connections.connections == 2)
        for response in held { #expect(try await response.body.collect(upTo: 4 << 20) == Nghttpd.largeBody) }
    }

    @Test func h2cWithPriorKnowledgeOnlyWhenOn() async throws {
        let server = try await Nghttpd(tls: false)
        let on = try client(.on)
        defer { on.shutdown() }
        let response = try await on.execute(HTTPClientRequest(url: url(server, "/small")))
        #expect(try await response.body.collect(upTo: 1000) == Array("hello over h2".utf8))
        #expect(on.http2Connections.connections == 1)

        // auto speaks HTTP/1.1 to an http:// origin: nghttpd does not answer it as HTTP/1.1.
        let auto = try client(.auto)
        defer { auto.shutdown() }
        await #expect(throws: HTTPClientError.self) { _ = try await auto.execute(HTTPClientRequest(url: url(server, "/small"))) }
        #expect(auto.http2Connections.connections == 0)
    }

    @Test func offNeverOffersH2() async throws {
        // nghttpd speaks only h2: without h2 in ALPN it has nothing to agree on.
        let server = try await Nghttpd(tls: true)
        let off = try client(.off)
        defer { off.shutdown() }
        await #expect(throws: HTTPClientError.self) { _ = try await off.execute(HTTPClientRequest(url: url(server, "/small"))) }
        #expect(off.http2Connections.connections == 0)
        let auto = try client(.auto)
        defer { auto.shutdown() }
        #expect(try await auto.execute(HTTPClientRequest(url: url(server, "/small"))).status == .ok)
    }

    @Test func aBodyDroppedUnreadResetsItsStreamAndTheConnectionCarriesOn() async throws {
        let server = try await Nghttpd(tls: true)
        let client = try client()
        defer { client.shutdown() }
        do {
            let response = try await client.execute(HTTPClientRequest(url: url(server, "/large")))
            #expect(response.status == .ok)
        }
        #expect(await poll { server.server.log.contains("(error_code=CANCEL(0x08))") })
        #expect(await poll { client.http2Connections.streams == 0 })
        let again = try await client.execute(HTTPClientRequest(url: url(server, "/small")))
        #expect(try await again.body.collect(upTo: 1000) == Array("hello over h2".utf8))
        #expect(client.statistics.connectionsOpened == 1)
    }
}
