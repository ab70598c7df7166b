import CSyscalls
import Glibc
import Locking

/// The event loop: one dedicated thread blocked in `epoll_wait`, never a thread of the
/// cooperative pool. It turns readiness edges and expired deadlines into resumed tasks.
///
/// A reactor is also a `TaskExecutor`: a task that prefers it (`withTaskExecutorPreference`,
/// `addTask(executorPreference:)`) runs on the reactor's thread, between two `epoll_wait`s.
/// A continuation such a task parked on one of this reactor's descriptors is then resumed on
/// the same thread, right after the edge arrives, with no wake-up of another thread: the
/// way an nginx worker runs. `HTTPServer` runs each connection's task so, on the reactor its
/// socket is registered with (see `ReactorGroup`).
///
/// Sockets, servers and clients use `Reactor.shared` unless given another (an embedder that
/// wants its own event thread, or a test that counts one reactor's timers). A reactor's
/// thread lives as long as the process.
///
/// Work from other threads (new timers, registrations to release, jobs of tasks) goes through
/// `pending` and, when the loop must notice it sooner than its current sleep, an eventfd
/// wake-up.
public final class Reactor: Sendable {
    /// The process-wide reactor, started on first use.
    public static let shared: Reactor = {
        csyscalls_ignore_sigpipe()
        do {
            return try Reactor()
        } catch {
            fatalError("cannot start the I/O reactor: \(error)")
        }
    }()

    struct Pending {
        /// Jobs of tasks that prefer this reactor as their executor, in arrival order.
        var jobs: [UnownedJob] = []
        var timers: [ReactorTimer] = []
        var released: [Unmanaged<Registration>] = []
        /// When the loop will next wake by itself; a timer due earlier must wake it.
        var sleepingUntil: Deadline = .never
        var sleeping = false
    }

    private let epollFD: Int32
    let wakeFD: Int32
    let pending = Mutex(Pending())
    /// Timers in the heap after the loop's last pass, and timers armed in all (for tests and
    /// diagnostics; written by the reactor thread only).
    private let heapCount = Atomic<Int>(0)
    private let armedCount = Atomic<Int>(0)
    private let registeredCount = Atomic<Int>(0)

    /// Starts a reactor with its own thread.
    public init() throws(IOError) {
        epollFD = csyscalls_epoll_create()
        guard epollFD >= 0 else { throw .last("epoll_create1") }
        wakeFD = csyscalls_eventfd()
        guard wakeFD >= 0 else { throw .last("eventfd") }
        guard csyscalls_epoll_ctl_add(epollFD, wakeFD, csyscalls_EPOLLIN | csyscalls_EPOLLET, 0) == 0 else {
            throw .last("epoll_ctl(ADD eventfd)")
        }
        let started = startDetachedThread { self.run() }
        guard started == 0 else { throw .systemCall("pthread_create", errno: started) }
    }

    /// Registers a non-blocking descriptor for edge-triggered readiness in both directions.
    /// On success the registration owns (and eventually closes) the descriptor; on failure
    /// it stays the caller's.
    func register(_ fileDescriptor: Int32) throws(IOError) -> Registration {
        let registration = Registration(fileDescriptor: fileDescriptor)
        let token = Unmanaged.passRetained(registration)
        let events = csyscalls_EPOLLIN | csyscalls_EPOLLOUT | csyscalls_EPOLLRDHUP | csyscalls_EPOLLET
        let address = UInt64(UInt(bitPattern: token.toOpaque()))
        guard csyscalls_epoll_ctl_add(epollFD, fileDescriptor, events, address) == 0 else {
            let error = IOError.last("epoll_ctl(ADD)")
            registration.relinquishDescriptor()
            token.release()
            throw error
        }
        registeredCount.add(1, ordering: .relaxed)
        return registration
    }

    /// Stops watching the descriptor. The reactor's reference is dropped only after the batch
    /// of events being handled, which may still name it, is done.
    func deregister(_ registration: Registration) {
        _ = csyscalls_epoll_ctl_del(epollFD, registration.fileDescriptor)
        let token = Unmanaged.passUnretained(registration)
        // A sleeping loop is woken so the descriptor is closed now, not at the next event.
        let mustWake = pending.withLock { pending in
            pending.released.append(token)
            defer { pending.sleeping = false }
            return pending.sleeping
        }
        if mustWake { _ = csyscalls_eventfd_signal(wakeFD) }
    }

    /// Arms a deadline for one park of `registration`.
    func addTimer(_ deadline: Deadline, registration: Registration, interest: Interest, generation: UInt64) {
        armedCount.add(1, ordering: .relaxed)
        let mustWake = pending.withLock { pending in
            pending.timers.append(ReactorTimer(deadline: deadline, registration: registration, interest: interest, generation: generation))
            if pending.sleeping && deadline < pending.sleepingUntil {
                pending.sleepingUntil = deadline
                return true
            }
            return false
        }
        if mustWake { _ = csyscalls_eventfd_signal(wakeFD) }
    }

    /// Timers not yet expired or discarded: in the heap or about to be pushed. Stays
    /// proportional to the waits in progress, however many have completed.
    public var pendingTimerCount: Int {
        heapCount.load(ordering: .relaxed) + pending.withLock { $0.timers.count }
    }

    /// Descriptors registered since start (listeners and connections).
    public var registrationCount: Int { registeredCount.load(ordering: .relaxed) }

    /// Deadlines armed since start (each park with a deadline arms one).
    public var armedTimerCount: Int { armedCount.load(ordering: .relaxed) }

    /// The reactor whose thread calls this, or nil on any other thread.
    public static var current: Reactor? {
        csyscalls_current_reactor().map { Unmanaged<Reactor>.fromOpaque($0).takeUnretainedValue() }
    }

    /// Whether the caller runs on this reactor's thread.
    public var isCurrent: Bool {
        csyscalls_current_reactor() == Unmanaged.passUnretained(self).toOpaque()
    }

    /// The loop: run the jobs of tasks that prefer this reactor, take in new timers and
    /// released registrations, fire expired deadlines, then wait for edges (without sleeping
    /// when jobs are already queued) and resume the tasks parked on them. Jobs resumed by
    /// an edge run in the next pass, on this thread.
    private func run() {
        // The thread keeps the reactor alive (it never ends), so the unretained pointer stays valid.
        csyscalls_set_current_reactor(Unmanaged.passUnretained(self).toOpaque())
        csyscalls_set_thread_name("reactor")  // how it shows in top -H and perf
        var events = [csyscalls_epoll_event](repeating: csyscalls_epoll_event(), count: 256)
        var timers = TimerHeap()
        var jobs: [UnownedJob] = []
        let executor = asUnownedTaskExecutor()
        while true {
            runJobs(&jobs, executor: executor)
            let (newTimers, released) = pending.withLock { pending in
                defer { pending.timers.removeAll(keepingCapacity: true); pending.released.removeAll(keepingCapacity: true) }
                return (pending.timers, pending.released)
            }
            for token in released { token.release() }
            for timer in newTimers { timers.push(timer) }
            fireExpired(&timers)
            timers.discardIfGrown { timer in !(timer.registration?.isParked(timer.interest, generation: timer.generation) ?? false) }
            heapCount.store(timers.count, ordering: .relaxed)

            let wakeAt = timers.first?.deadline ?? .never
            // Announce the sleep under the same lock that checks for newer work, so work
            // added from now on either is seen here or wakes the wait below. Queued jobs
            // (a fired timer's, a task's that yielded) still let edges in first: a poll.
            enum Next { case loop, poll, sleep }
            let next = pending.withLock { pending -> Next in
                if !pending.timers.isEmpty || !pending.released.isEmpty { return .loop }
                if !pending.jobs.isEmpty { return .poll }
                pending.sleeping = true
                pending.sleepingUntil = wakeAt
                return .sleep
            }
            if next == .loop { continue }
            let timeout = next == .poll ? 0 : Self.milliseconds(until: wakeAt)
            let count = events.withUnsafeMutableBufferPointer { buffer in
                csyscalls_epoll_wait(epollFD, buffer.baseAddress, Int32(buffer.count), timeout)
            }
            if next == .sleep { pending.withLock { $0.sleeping = false } }
            if count < 0 {
                if errno == EINTR { continue }
                fatalError("epoll_wait failed: \(IOError.last("epoll_wait"))")
            }
            for index in 0..<Int(count) {
                let event = events[index]
                if event.token == 0 {
                    _ = csyscalls_eventfd_drain(wakeFD)
                    continue
                }
                let registration = Unmanaged<Registration>.fromOpaque(UnsafeRawPointer(bitPattern: UInt(event.token))!)
                    .takeUnretainedValue()
                let failed = event.events & (csyscalls_EPOLLERR | csyscalls_EPOLLHUP) != 0
                let readable = failed || event.events & (csyscalls_EPOLLIN | csyscalls_EPOLLRDHUP) != 0
                let writable = failed || event.events & csyscalls_EPOLLOUT != 0
                registration.deliver(readable: readable, writable: writable)
            }
        }
    }

    private func fireExpired(_ timers: inout TimerHeap) {
        let now = Deadline.now
        while let first = timers.first, first.deadline <= now {
            timers.pop()
            first.registration?.expire(first.interest, generation: first.generation)
        }
    }

    private static func milliseconds(until deadline: Deadline) -> Int32 {
        if deadline.isNever { return -1 }
        let now = monotonicNanoseconds()
        guard deadline.nanoseconds > now else { return 0 }
        let millis = (deadline.nanoseconds - now + 999_999) / 1_000_000
        return Int32(clamping: millis)
    }
}
