import Glibc
import Synchronization

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

    private struct Direction {
        var ready = false
        var waiter: UnsafeContinuation<WakeReason, Never>?
        /// Bumped for every park, so a timer armed for an earlier park cannot wake a later one.
        var generation: UInt64 = 0
    }

    private struct State {
        var read = Direction()
        var write = Direction()
        var closed = false

        subscript(_ interest: Interest) -> Direction {
            get { interest == .readable ? read : write }
            set { if interest == .readable { read = newValue } else { write = newValue } }
        }
    }

    private let state = Mutex(State())

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
        await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<WakeReason, Never>) in
                let immediate: WakeReason? = state.withLock { state in
                    if state.closed { return .closed }
                    if state[interest].ready {
                        state[interest].ready = false
                        return .ready
                    }
                    if Task.isCancelled { return .cancelled }
                    precondition(state[interest].waiter == nil, "two tasks wait for the same direction of one descriptor")
                    state[interest].waiter = continuation
                    state[interest].generation &+= 1
                    if !deadline.isNever {
                        reactor.addTimer(deadline, registration: self, interest: interest, generation: state[interest].generation)
                    }
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            wake(interest, reason: .cancelled)
        }
    }

    /// Called by the reactor thread with the epoll bits of an edge.
    func deliver(readable: Bool, writable: Bool) {
        let (reader, writer) = state.withLock { state in
            var reader: UnsafeContinuation<WakeReason, Never>?
            var writer: UnsafeContinuation<WakeReason, Never>?
            if readable {
                if let waiter = state.read.waiter { reader = waiter; state.read.waiter = nil } else { state.read.ready = true }
            }
            if writable {
                if let waiter = state.write.waiter { writer = waiter; state.write.waiter = nil } else { state.write.ready = true }
            }
            return (reader, writer)
        }
        reader?.resume(returning: .ready)
        writer?.resume(returning: .ready)
    }

    /// Called by the reactor thread when a park's deadline passed.
    func expire(_ interest: Interest, generation: UInt64) {
        let waiter = state.withLock { state -> UnsafeContinuation<WakeReason, Never>? in
            guard state[interest].generation == generation, let waiter = state[interest].waiter else { return nil }
            state[interest].waiter = nil
            return waiter
        }
        waiter?.resume(returning: .timedOut)
    }

    /// Whether the park that armed a timer with `generation` is still waiting; when not,
    /// the timer is inert and the reactor may drop it.
    func isParked(_ interest: Interest, generation: UInt64) -> Bool {
        state.withLock { state in state[interest].generation == generation && state[interest].waiter != nil }
    }

    /// Marks the registration closed and wakes both directions; true the first time.
    func markClosed() -> Bool {
        let (first, reader, writer) = state.withLock { state in
            let first = !state.closed
            state.closed = true
            defer { state.read.waiter = nil; state.write.waiter = nil }
            return (first, state.read.waiter, state.write.waiter)
        }
        reader?.resume(returning: .closed)
        writer?.resume(returning: .closed)
        return first
    }

    private func wake(_ interest: Interest, reason: WakeReason) {
        let waiter = state.withLock { state -> UnsafeContinuation<WakeReason, Never>? in
            defer { state[interest].waiter = nil }
            return state[interest].waiter
        }
        waiter?.resume(returning: reason)
    }
}
