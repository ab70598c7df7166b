import CSyscalls

/// A reactor runs the tasks that prefer it, on its own thread, between two `epoll_wait`s.
extension Reactor: TaskExecutor {
    /// Queues a job of a task that prefers this reactor. From the reactor's own thread (a
    /// continuation resumed by an edge, a child task of a connection's task) this is a locked
    /// append; from another thread it also wakes the loop when it sleeps in `epoll_wait`.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let mustWake = pending.withLock { pending in
            pending.jobs.append(job)
            defer { pending.sleeping = false }
            return pending.sleeping
        }
        if mustWake { _ = csyscalls_eventfd_signal(wakeFD) }
    }

    /// Runs the queued jobs, and those they queue in turn, up to a bound so that edges and
    /// deadlines are not starved by tasks that keep yielding. `batch` is the loop's buffer,
    /// swapped with the queue's so neither allocates once both have grown.
    func runJobs(_ batch: inout [UnownedJob], executor: UnownedTaskExecutor) {
        var ran = 0
        while ran < 1024 {
            pending.withLock { pending in swap(&batch, &pending.jobs) }
            if batch.isEmpty { return }
            for job in batch { job.runSynchronously(on: executor) }
            ran += batch.count
            batch.removeAll(keepingCapacity: true)
        }
    }
}
