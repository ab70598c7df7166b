import AsyncIO

/// CPU work on a large request, moved off the reactor that serves it.
///
/// A request runs on the reactor thread of its connection, between two `epoll_wait`s, and
/// so do the streams of every other connection of that reactor: while a 48 KB Claude Code
/// request is parsed and translated (about a millisecond of CPU, several under load), no
/// stream of that reactor moves. Work on a body of `threshold` bytes or more runs on the
/// cooperative pool instead, and the request comes back to its reactor for its I/O; smaller
/// bodies stay, since the two hops cost more than their work (about 10 µs against a few).
enum OffReactor {
    /// The body size from which parsing and translation leave the reactor.
    static let threshold = 16 << 10

    /// Runs `work` off the reactor when `bytes` reaches `threshold` and the caller runs on a
    /// reactor; in place otherwise.
    @inline(never)
    static func run<Result: Sendable, Failure: Error>(
        forBytes bytes: Int, _ work: @Sendable () throws(Failure) -> Result
    ) async throws(Failure) -> Result {
        guard bytes >= threshold, Reactor.current != nil else { return try work() }
        return try await withTaskExecutorPreference(globalConcurrentExecutor) { () async throws(Failure) -> Result in
            try work()
        }
    }
}
