import Testing

@testable import AsyncIO

/// The reactor's timer heap: deadlines come out in order, before and after inert timers are
/// swept, and a sweep keeps exactly the live ones.
@Suite struct TimerHeapTests {
    private func timer(_ milliseconds: Int, generation: UInt64) -> ReactorTimer {
        ReactorTimer(deadline: Deadline(nanoseconds: UInt64(milliseconds) * 1_000_000), registration: nil, interest: .readable, generation: generation)
    }

    @Test(arguments: [1, 63, 64, 65, 1000, 5000])
    func sweptHeapsPopInDeadlineOrderAndKeepOnlyLiveTimers(count: Int) {
        var random = SystemRandomNumberGenerator()
        var heap = TimerHeap()
        var live: [(deadline: UInt64, generation: UInt64)] = []
        for generation in 0..<UInt64(count) {
            let milliseconds = Int.random(in: 0..<100_000, using: &random)
            heap.push(timer(milliseconds, generation: generation))
            // Odd generations are inert: their wait ended.
            if generation % 2 == 0 { live.append((UInt64(milliseconds) * 1_000_000, generation)) }
            heap.discardIfGrown { $0.generation % 2 == 1 }
        }
        heap.discardIfGrown { $0.generation % 2 == 1 }
        var popped: [ReactorTimer] = []
        while let first = heap.first {
            popped.append(first)
            heap.pop()
        }
        let deadlines = popped.map(\.deadline.nanoseconds)
        #expect(deadlines == deadlines.sorted(), "popped out of order")
        // Every live timer is still there; inert ones only since the last sweep remain.
        let poppedGenerations = Set(popped.map(\.generation))
        #expect(live.allSatisfy { poppedGenerations.contains($0.generation) })
        #expect(popped.count <= max(2 * live.count, TimerHeap.minimumSweepSize) + 1)
    }
}
