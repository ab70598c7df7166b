import TestSupport
import Testing

@testable import AsyncIO

/// Deadlines of waits that have ended do not pile up in the reactor.
@Suite struct ReactorTimerTests {
    @Test func timersOfCompletedWaitsDoNotAccumulate() async throws {
        // A reactor of its own, so other tests' timers do not count.
        let reactor = try Reactor()
        let (client, server) = try await makeConnectedPair(reactor: reactor)

        // Ping-pong: each side's read finds nothing yet and parks with a 10-minute deadline
        // (as the proxy's idle and upstream timeouts do), and each park ends well before it.
        let roundTrips = 3000
        async let echo: Void = {
            for _ in 0..<roundTrips {
                let byte = try await server.read(maxBytes: 1, deadline: .after(.seconds(600)))
                try await server.write(byte)
            }
        }()
        for round in 0..<roundTrips {
            try await client.write([UInt8(truncatingIfNeeded: round)])
            _ = try await client.read(maxBytes: 1, deadline: .after(.seconds(600)))
        }
        try await echo

        #expect(reactor.armedTimerCount >= roundTrips / 2, "the reads must have parked with deadlines")
        // At most two waits are in progress at any time; the heap may hold up to twice the
        // timers live at its last sweep, with a floor of 64.
        #expect(reactor.pendingTimerCount <= 2 * 64)
        client.close()
        server.close()
    }
}
