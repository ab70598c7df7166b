import AsyncIO
import Locking
import TestSupport
import Testing

@testable import HTTP1

/// Shutdown's wait for the last connection always returns: when it empties, or at the timeout.
@Suite struct ConnectionRegistryTests {
    /// Runs `operation`, giving up after `limit`; true when it finished in time. A watchdog,
    /// not synchronisation: a correct registry finishes in milliseconds. (A hung operation is
    /// left behind rather than awaited, so the test reports instead of hanging.)
    private func finishes(within limit: Duration, _ operation: @escaping @Sendable () async -> Void) async -> Bool {
        let outcome = Mutex<CheckedContinuation<Bool, Never>?>(nil)
        return await withCheckedContinuation { continuation in
            outcome.withLock { $0 = continuation }
            let settle: @Sendable (Bool) -> Void = { finished in
                outcome.withLock { pending in
                    pending?.resume(returning: finished)
                    pending = nil
                }
            }
            let work = Task {
                await operation(); settle(true)
            }
            Task {
                try? await Task.sleep(for: limit)
                settle(false)
                _ = work
            }
        }
    }

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
        registry.remove(server)
        #expect(await finishes(within: .seconds(20)) { await waiting.value })
        client.close()
    }

    @Test func anEmptyRegistryReturnsAtOnce() async {
        let registry = ConnectionRegistry()
        #expect(await finishes(within: .seconds(20)) { await registry.waitUntilEmpty(timeout: .seconds(3600)) })
    }
}
