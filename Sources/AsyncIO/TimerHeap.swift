/// A deadline armed for one park of a registration.
struct ReactorTimer: Comparable {
    var deadline: Deadline
    /// Weak, so a closed connection's descriptor is released at once rather than when
    /// its last armed deadline (up to the idle timeout) would have fired.
    weak var registration: Registration?
    var interest: Interest
    var generation: UInt64
    static func < (a: ReactorTimer, b: ReactorTimer) -> Bool { a.deadline < b.deadline }
    static func == (a: ReactorTimer, b: ReactorTimer) -> Bool { a.deadline == b.deadline }
}

/// A binary min-heap of deadlines; touched only by the reactor thread.
///
/// Most waits end long before their deadline (a read that gets its bytes), leaving a
/// timer that is inert: its registration is gone or has moved on to a later park. Such
/// timers are not removed one by one (that would need a handle and a cross-thread
/// removal per wait); instead, whenever the heap has doubled since the last sweep, the
/// inert ones are dropped and the heap rebuilt. Each sweep costs O(n) and follows at
/// least n/2 pushes, so a push still costs O(1) amortised, and the heap never holds more
/// than twice the timers live at the last sweep (plus a small floor).
struct TimerHeap {
    private var storage: [ReactorTimer] = []
    private var sweepAt = TimerHeap.minimumSweepSize
    static let minimumSweepSize = 64
    var first: ReactorTimer? { storage.first }
    var count: Int { storage.count }

    /// Drops the timers `isInert` names (their wait has ended), when the heap has doubled
    /// since the last sweep.
    mutating func discardIfGrown(isInert: (ReactorTimer) -> Bool) {
        guard storage.count >= sweepAt else { return }
        storage.removeAll(where: isInert)
        // Floyd's bottom-up heap construction, O(n).
        for index in stride(from: storage.count / 2 - 1, through: 0, by: -1) { siftDown(from: index) }
        sweepAt = max(2 * storage.count, Self.minimumSweepSize)
    }

    mutating func push(_ timer: ReactorTimer) {
        storage.append(timer)
        var child = storage.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard storage[child] < storage[parent] else { break }
            storage.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() {
        let last = storage.removeLast()
        guard !storage.isEmpty else { return }
        storage[0] = last
        siftDown(from: 0)
    }

    private mutating func siftDown(from start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < storage.count && storage[left] < storage[smallest] { smallest = left }
            if right < storage.count && storage[right] < storage[smallest] { smallest = right }
            if smallest == parent { break }
            storage.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
