import AsyncIO
import Locking
import TestSupport
import Testing

@testable import HTTP1

/// What the pool does with no request to prompt it: its sweep closes idle connections past
/// their idle timeout and refuses waiters past the pool timeout.
@Suite struct ConnectionPoolSweepTests {
    private static func client(_ configure: (inout HTTPClient.Configuration) -> Void) throws -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.reactor = Reactor.shared
        configure(&configuration)
        return try HTTPClient(configuration: configuration)
    }

    @Test func anIdleConnectionIsClosedByTheSweepWithoutANewRequest() async throws {
        let idleTimeout = Duration.milliseconds(200)
        let sawEOF = Signal()
        let answered = Mutex<ContinuousClock.Instant?>(nil)
        let server = try ScriptedServer { connection in
            _ = try await connection.readRequest()
            try await connection.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            answered.withLock { $0 = .now }
            if try await connection.readUntilEOF() { sawEOF.fire() }
        }
        let client = try Self.client { $0.idleTimeout = idleTimeout }
        defer { client.shutdown() }
        let response = try await client.execute(HTTPClientRequest(url: server.url()))
        #expect(try await response.body.collect(upTo: 10) == Array("ok".utf8))
        #expect(client.openConnections == 1, "kept alive, idle in the pool")
        // No request follows: only the sweep can close it. The bound is generous for a
        // loaded machine, but far below what waiting for a next request would take (forever).
        #expect(await sawEOF.wait(timeout: .seconds(10)))
        let closedAfter = answered.withLock { $0 }.map { ContinuousClock.now - $0 }
        #expect(closedAfter.map { $0 >= idleTimeout } == true, "not before its idle timeout: \(String(describing: closedAfter))")
        #expect(client.openConnections == 0)
    }

    @Test func aWaiterPastThePoolTimeoutGetsPoolTimedOutNotAConnectTimeout() async throws {
        let release = Signal()
        let server = try ScriptedServer { connection in
            _ = try await connection.readRequest()
            await release.wait()
            try await connection.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            _ = try await connection.readUntilEOF()
        }
        let client = try Self.client {
            $0.maxConnectionsPerOrigin = 1
            $0.poolTimeout = .milliseconds(300)
        }
        defer {
            release.fire()
            client.shutdown()
        }
        let holding = Task { try await client.execute(HTTPClientRequest(url: server.url("/hold"))) }
        // The first request holds the only connection once the server has it.
        #expect(await poll { server.accepted == 1 })
        let started = ContinuousClock.now
        do {
            _ = try await client.execute(HTTPClientRequest(url: server.url("/waits")))
            Issue.record("the second request got a connection the first still holds")
        } catch {
            guard case .poolTimedOut(_, let waited) = error else {
                Issue.record("expected poolTimedOut, got \(error)")
                return
            }
            #expect(waited >= .milliseconds(300))
            #expect(ContinuousClock.now - started < .seconds(10))
        }
        #expect(client.waitingRequests == 0)
        release.fire()
        let held = try await holding.value
        #expect(held.poolWait == nil, "the first request never queued")
        #expect(try await held.body.collect(upTo: 10) == Array("ok".utf8))
    }

    @Test func aWaiterGetsTheConnectionWhenItComesBackAndSaysHowLongItWaited() async throws {
        let release = Signal()
        let server = try ScriptedServer { connection in
            while let request = try await connection.readRequest() {
                if request.head.hasPrefix("GET /hold") { await release.wait() }
                try await connection.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            }
        }
        let client = try Self.client { $0.maxConnectionsPerOrigin = 1 }
        defer { client.shutdown() }
        let holding = Task { try await client.execute(HTTPClientRequest(url: server.url("/hold"))) }
        let waiting = Task {
            _ = await poll { server.accepted == 1 }
            return try await client.execute(HTTPClientRequest(url: server.url("/waits")))
        }
        #expect(await poll { client.waitingRequests == 1 })
        release.fire()
        #expect(try await holding.value.body.collect(upTo: 10) == Array("ok".utf8))
        let waited = try await waiting.value
        #expect(try await waited.body.collect(upTo: 10) == Array("ok".utf8))
        #expect(waited.poolWait.map { $0 > .zero } == true)
        #expect(client.waitingRequests == 0)
        #expect(server.accepted == 1, "the waiter reused the connection that came back")
    }
}
