import TestSupport
import Testing

@testable import AsyncIO

/// Two tasks parked on one direction of a descriptor (TLS can do that when a peer sends a
/// renegotiation or key update mid-response) are both served; nothing traps.
@Suite struct TwoWaitersTests {
    private func parked(_ registration: Registration, _ interest: Interest, count: Int) async {
        while registration.waiterCount(interest) < count { await Task.yield() }
    }

    @Test func twoReadersParkedOnOneDescriptorAreBothWokenByOneEdge() async throws {
        let (client, server) = try await makeConnectedPair()
        let registration = server.registration
        async let first = registration.wait(for: .readable, deadline: .after(.seconds(60)), reactor: .shared)
        async let second = registration.wait(for: .readable, deadline: .after(.seconds(60)), reactor: .shared)
        await parked(registration, .readable, count: 2)
        try await client.write([1])
        #expect(await [first, second] == [.ready, .ready])
        client.close()
        server.close()
    }

    @Test func cancellingOneOfTwoWaitersLeavesTheOtherParked() async throws {
        let (client, server) = try await makeConnectedPair()
        let registration = server.registration
        let cancelled = Task { await registration.wait(for: .readable, deadline: .never, reactor: .shared) }
        await parked(registration, .readable, count: 1)
        let staying = Task { await registration.wait(for: .readable, deadline: .never, reactor: .shared) }
        await parked(registration, .readable, count: 2)
        cancelled.cancel()
        #expect(await cancelled.value == .cancelled)
        #expect(registration.waiterCount(.readable) == 1)
        server.close()
        #expect(await staying.value == .closed)
        client.close()
    }

    @Test func aDeadlineEndsOnlyItsOwnPark() async throws {
        let (client, server) = try await makeConnectedPair()
        let registration = server.registration
        let patient = Task { await registration.wait(for: .readable, deadline: .never, reactor: .shared) }
        await parked(registration, .readable, count: 1)
        #expect(await registration.wait(for: .readable, deadline: .after(.milliseconds(20)), reactor: .shared) == .timedOut)
        #expect(registration.waiterCount(.readable) == 1)
        try await client.write([1])
        #expect(await patient.value == .ready)
        client.close()
        server.close()
    }
}
