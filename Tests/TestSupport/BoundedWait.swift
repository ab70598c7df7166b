import Locking

/// Runs `operation`, giving up after `limit`; true when it finished in time. A watchdog,
/// not synchronisation: the bound is what the test asserts (an operation that should end in
/// milliseconds did not hang, or did not wait out a long timeout). A hung operation is left
/// behind rather than awaited, so the test reports instead of hanging.
public func finishes(within limit: Duration, _ operation: @escaping @Sendable () async -> Void) async -> Bool {
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

/// Polls `condition` every millisecond until it holds, for at most `limit`; its last value.
/// For state a test cannot be signalled about (a waiter queued inside a pool or registry,
/// read through a counter): the wait ends as soon as the state is reached, and the bound
/// only turns a state never reached into a failure instead of a hang.
public func eventually(within limit: Duration, _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return await condition()
}
