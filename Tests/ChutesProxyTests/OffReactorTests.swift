import AsyncIO
import Testing

@testable import ChutesProxy

/// Issue 22, item 4: a large request's parse and translation leave the reactor that serves it,
/// so the streams of that reactor keep moving; a small one stays (the hops would cost more).
@Suite struct OffReactorTests {
    @Test func largeWorkLeavesTheReactorAndTheCallerComesBack() async throws {
        let reactor = try Reactor()
        let (large, small, after) = await withTaskExecutorPreference(reactor) {
            let large = await OffReactor.run(forBytes: OffReactor.threshold) { Reactor.current == nil }
            let small = await OffReactor.run(forBytes: OffReactor.threshold - 1) { reactor.isCurrent }
            return (large, small, reactor.isCurrent)
        }
        #expect(large, "work on a body of the threshold's size ran on the reactor")
        #expect(small, "work on a small body left the reactor")
        #expect(after, "the caller did not come back to its reactor")
    }
}
