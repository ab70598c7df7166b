import Glibc
import Locking

/// Which readiness a task waits for.
enum Interest: Sendable {
    case readable, writable
}

/// Why a parked task was woken.
enum WakeReason: Sendable {
    case ready, timedOut, closed, cancelled
}

/// One descriptor registered with the reactor: its readiness and the tasks parked on it.
///
/// The descriptor is registered once, edge-triggered, for both directions. An edge that
/// arrives while nobody waits is remembered, so a task that saw EAGAIN and parks just after
/// the edge is still woken (at worst it retries the system call once for nothing).
/// Owns the descriptor once registered: it is closed when the last reference goes.
final class Registration: Sendable {
    let fileDescriptor: Int32
    /// False when registering failed: the descriptor then stays its creator's to close, so
    /// exactly one owner closes it (a second close could hit a number already reused).
    private let ownsDescriptor = Atomic<Bool>(true)

    private struct Waiter {
        /// Which park this is, so its timer or cancellation resumes it and no later one.
        let generation: UInt64
        let continuation: UnsafeContinuation<WakeReason, Never>
    }

    private struct Direction {
        var ready = false
        /// Usually one task waits per direction. Two can: TLS may need the other direction
        /// (an `SSL_write` that must read a renegotiation message while a reader waits for
        /// bytes, an `SSL_read` that must write while a writer waits for buffer space). A
        /// peer can cause that, so it must not trap; the second waiter goes in `others`
        /// (kept apart so the usual single park allocates nothing).
        var first: Waiter?
        var others: [Waiter] = []

        mutating func park(_ waiter: Waiter) {
            if first == nil { first = waiter } else { others.append(waiter) }
        }

        /// Removes every waiter: the first, and the rest (usually empty).
        mutating func takeAll() -> (Waiter?, [Waiter]) {
            defer { first = nil; others = [] }
            return (first, others)
        }

        mutating func take(generation: UInt64) -> Waiter? {
            if let waiter = first, waiter.generation == generation {
                first = others.isEmpty ? nil : others.removeFirst()
                return waiter
            }
            guard let index = others.firstIndex(where: { $0.generation == generation }) else { return nil }
            return others.remove(at: index)
        }

        func isParked(generation: UInt64) -> Bool {
            first?.generation == generation || others.contains { $0.generation == generation }
        }
    }

    private struct State {
        var read = Direction()
        var write = Direction()
        var closed = false

        mutating func modify<Result>(_ interest: Interest, _ body: (inout Direction) -> Result) -> Result {
            switch interest {
            case .readable: body(&read)
            case .writable: body(&write)
            }
        }
    }

    private let state = Mutex(State())
    /// Numbers the parks; atomic so a park learns its number before it takes the lock.
    private let parks = Atomic<UInt64>(0)

    init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
    }

    deinit {
        if ownsDescriptor.load(ordering: .acquiring) { Glibc.close(fileDescriptor) }
    }

    /// Gives the descriptor back to the caller of a failed `Reactor.register`.
    func relinquishDescriptor() {
        ownsDescriptor.store(false, ordering: .releasing)
    }

    var isClosed: Bool { state.withLock { $0.closed } }

    /// Suspends until the descriptor reports `interest`, the deadline passes, it is closed, or
    /// the task is cancelled.
    func wait(for interest: Interest, deadline: Deadline, reactor: Reactor) async -> WakeReason {
        let generation = parks.wrappingAdd(1, ordering: .relaxed).newValue
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<WakeReason, Never>) in
                let immediate: WakeReason? = state.withLock { state in
                    if state.closed { return .closed }
                    return state.modify(interest) { direction in
                        if direction.ready {
                            direction.ready = false
                            return .ready
                        }
                        // Checked under the lock the cancellation handler takes: either it
                        // is seen here, or the handler finds the waiter parked below.
                        if Task.isCancelled { return .cancelled }
                        direction.park(Waiter(generation: generation, continuation: continuation))
                        if !deadline.isNever {
                            reactor.addTimer(deadline, registration: self, interest: interest, generation: generation)
                        }
                        return nil
                    }
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            resume(interest, generation: generation, reason: .cancelled)
        }
    }

    /// Called by the reactor thread with the epoll bits of an edge.
    func deliver(readable: Bool, writable: Bool) {
        let (readers, writers) = state.withLock { state in
            var readers: (Waiter?, [Waiter]) = (nil, [])
            var writers: (Waiter?, [Waiter]) = (nil, [])
            if readable {
                if state.read.first == nil { state.read.ready = true } else { readers = state.read.takeAll() }
            }
            if writable {
                if state.write.first == nil { state.write.ready = true } else { writers = state.write.takeAll() }
            }
            return (readers, writers)
        }
        Self.resume(readers, with: .ready)
        Self.resume(writers, with: .ready)
    }

    /// Called by the reactor thread when a park's deadline passed.
    func expire(_ interest: Interest, generation: UInt64) {
        resume(interest, generation: generation, reason: .timedOut)
    }

    /// Whether the park that armed a timer with `generation` is still waiting; when not,
    /// the timer is inert and the reactor may drop it.
    func isParked(_ interest: Interest, generation: UInt64) -> Bool {
        state.withLock { state in state.modify(interest) { $0.isParked(generation: generation) } }
    }

    /// Tasks parked on `interest` now (for tests).
    func waiterCount(_ interest: Interest) -> Int {
        state.withLock { state in state.modify(interest) { ($0.first == nil ? 0 : 1) + $0.others.count } }
    }

    /// Marks the registration closed and wakes both directions; true the first time.
    func markClosed() -> Bool {
        let (first, readers, writers) = state.withLock { state in
            let first = !state.closed
            state.closed = true
            return (first, state.read.takeAll(), state.write.takeAll())
        }
        Self.resume(readers, with: .closed)
        Self.resume(writers, with: .closed)
        return first
    }

    private func resume(_ interest: Interest, generation: UInt64, reason: WakeReason) {
        let waiter = state.withLock { state in state.modify(interest) { $0.take(generation: generation) } }
        waiter?.continuation.resume(returning: reason)
    }

    private static func resume(_ waiters: (Waiter?, [Waiter]), with reason: WakeReason) {
        waiters.0?.continuation.resume(returning: reason)
        for waiter in waiters.1 { waiter.continuation.resume(returning: reason) }
    }
}
