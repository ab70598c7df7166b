import Glibc

/// Starts a detached POSIX thread that runs `body`: for work that must never occupy a thread
/// of Swift's cooperative pool (the reactor's `epoll_wait`, a blocking `getaddrinfo`).
/// Returns `pthread_create`'s error number: 0 when the thread started.
func startDetachedThread(_ body: @escaping @Sendable () -> Void) -> Int32 {
    let box = Unmanaged.passRetained(ThreadBody(body))
    var thread = pthread_t()
    let started = pthread_create(
        &thread, nil,
        { argument in
            Unmanaged<ThreadBody>.fromOpaque(argument!).takeRetainedValue().run()
            return nil
        }, box.toOpaque())
    guard started == 0 else {
        box.release()
        return started
    }
    pthread_detach(thread)
    return 0
}

/// The closure a new thread runs, carried through `pthread_create`'s untyped argument.
private final class ThreadBody {
    let run: @Sendable () -> Void

    init(_ run: @escaping @Sendable () -> Void) {
        self.run = run
    }
}
