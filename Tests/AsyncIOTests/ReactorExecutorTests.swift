import Synchronization
import TestSupport
import Testing

@testable import AsyncIO

/// A reactor is a task executor: a task that prefers it runs on the reactor's thread, and a
/// wait it parks on one of the reactor's descriptors resumes there.
@Suite struct ReactorExecutorTests {
    @Test func aTaskThatPrefersAReactorRunsOnItsThreadAcrossParks() async throws {
        let reactor = try Reactor()
        let (client, server) = try await makeConnectedPair(reactor: reactor)
        #expect(Reactor.current == nil, "the test itself runs on the cooperative pool")

        // The test's task answers each byte; the reactor's task sends one and reads the
        // answer, which has usually not arrived yet: it parks, and an edge resumes it.
        let roundTrips = 500
        async let echo: Void = {
            for _ in 0..<roundTrips {
                try await server.write(try await server.read(maxBytes: 1, deadline: .after(.seconds(60))))
            }
        }()
        let armedBefore = reactor.armedTimerCount
        let stepsOnReactor = try await withTaskExecutorPreference(reactor) {
            var onReactor = reactor.isCurrent ? 1 : 0
            for round in 0..<roundTrips {
                try await client.write([UInt8(truncatingIfNeeded: round)])
                _ = try await client.read(maxBytes: 1, deadline: .after(.seconds(60)))
                if reactor.isCurrent && Reactor.current === reactor { onReactor += 1 }
            }
            return onReactor
        }
        try await echo
        #expect(stepsOnReactor == roundTrips + 1)
        #expect(reactor.armedTimerCount - armedBefore >= roundTrips / 2, "the reads must have parked")
        #expect(Reactor.current == nil, "after the preference ends the task is back on the pool")
        client.close()
        server.close()
    }

    @Test func childTasksInheritTheReactorAndJobsFromOtherThreadsWakeIt() async throws {
        let reactor = try Reactor()
        let onReactor = await withTaskExecutorPreference(reactor) {
            await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        // A detached task on the pool resumes this one from another thread
                        // while the reactor may sleep in epoll_wait.
                        await Task.detached { await Task.yield() }.value
                        return reactor.isCurrent
                    }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
        }
        #expect(onReactor == 8)
    }

    @Test func aGroupHandsOutItsReactorsInTurn() throws {
        let first = try Reactor()
        let second = try Reactor()
        let group = ReactorGroup(first, [second])
        let handedOut = (0..<4).map { _ in group.next() }
        #expect(handedOut.map { $0 === first } == [true, false, true, false])
        #expect(group.currentIndex == nil)
        #expect(ReactorGroup.shared.reactors.first === Reactor.shared)
    }
}
