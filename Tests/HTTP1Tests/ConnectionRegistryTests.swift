import AsyncIO
import TestSupport
import Testing

@testable import HTTP1

/// Shutdown's wait for the last connection always returns: when it empties, or at the timeout.
@Suite struct ConnectionRegistryTests {
    @Test func aTimeoutThatFiresBeforeTheWaiterRegistersStillEndsTheWait() async throws {
        let (client, server) = try await makeConnectedPair()
        let registry = ConnectionRegistry()
        #expect(registry.admit(server, limit: 10))
        // A zero timeout races the waiter's registration; before the fix some of these
        // waits registered after the timer had fired and never returned.
        // Many at once keep the cooperative pool busy, so children start out of order.
        let finished = await finishes(within: .seconds(20)) {
            await withDiscardingTaskGroup { group in
                for _ in 0..<64 {
                    group.addTask { for _ in 0..<100 { await registry.waitUntilEmpty(timeout: .zero) } }
                }
            }
        }
        #expect(finished, "waitUntilEmpty hung")
        registry.remove(server)
        client.close()
    }

    @Test func theWaitEndsWhenTheLastConnectionGoes() async throws {
        let (client, server) = try await makeConnectedPair()
        let registry = ConnectionRegistry()
        #expect(registry.admit(server, limit: 10))
        let waiting = Task { await registry.waitUntilEmpty(timeout: .seconds(3600)) }
        // The wake-up under test needs a waiter registered before the last connection goes
        // (a waiter that registers later finds the registry empty and never waits).
        #expect(await eventually(within: .seconds(20)) { registry.waiterCount == 1 })
        registry.remove(server)
        // Woken by the removal, not by its one-hour timeout.
        #expect(await finishes(within: .seconds(5)) { await waiting.value }, "the last connection going did not end the wait")
        waiting.cancel()
        client.close()
    }

    @Test func anEmptyRegistryReturnsAtOnce() async {
        let registry = ConnectionRegistry()
        #expect(await finishes(within: .seconds(20)) { await registry.waitUntilEmpty(timeout: .seconds(3600)) })
    }
}
