import Dispatch
import Glibc
import Locking

/// Where rendered log lines go.
public protocol LogSink: Sendable {
    /// Takes one line, newline included. Must not block.
    func write(_ line: [UInt8])
}

/// Writes log lines to a file descriptor (stderr by default) from a queue of its own, so a
/// slow reader (a full pipe, a stalled log collector) never blocks a request: lines wait in
/// a buffer of `capacity` bytes and, when that is full, are dropped and counted, the count
/// written out as soon as there is room again. A write goes out `batchDelay` after the first
/// line that waits, with every line that arrived meanwhile: under load one system call and
/// one thread wake-up carry hundreds of lines instead of one each.
public final class LogWriter: LogSink {
    private struct State {
        var pending: [UInt8] = []
        var flushScheduled = false
        var dropped = 0
    }

    private let fileDescriptor: Int32
    private let capacity: Int
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "claude-chutes-proxy.log-writer")
    private let batchDelay: DispatchTimeInterval

    /// The process's standard error, as the proxy logs by default.
    public static let standardError = LogWriter(fileDescriptor: STDERR_FILENO)

    /// Writes to `fileDescriptor`, holding at most `capacity` bytes and batching lines for `batchDelay`.
    public init(fileDescriptor: Int32, capacity: Int = 4 << 20, batchDelay: Duration = .milliseconds(5)) {
        self.fileDescriptor = fileDescriptor
        self.capacity = capacity
        let (seconds, attoseconds) = batchDelay.components
        self.batchDelay = .microseconds(Int(seconds) * 1_000_000 + Int(attoseconds / 1_000_000_000_000))
    }

    /// Queues one line; never blocks (a full buffer drops and counts it).
    public func write(_ line: [UInt8]) {
        let schedule = state.withLock { state -> Bool in
            guard state.pending.count + line.count <= capacity else {
                state.dropped += 1
                return false
            }
            state.pending += line
            defer { state.flushScheduled = true }
            return !state.flushScheduled
        }
        if schedule { queue.asyncAfter(deadline: .now() + batchDelay) { self.drain() } }
    }

    /// Returns once every line written so far is out (at exit).
    public func flush() {
        queue.sync { drain() }
    }

    /// Runs on `queue`: writes until nothing is pending.
    private func drain() {
        while true {
            let (bytes, dropped) = state.withLock { state -> ([UInt8], Int) in
                defer {
                    state.pending = []
                    state.dropped = 0
                }
                if state.pending.isEmpty && state.dropped == 0 { state.flushScheduled = false }
                return (state.pending, state.dropped)
            }
            if bytes.isEmpty && dropped == 0 { return }
            writeAll(bytes)
            if dropped > 0 { writeAll(Array("log writer: \(dropped) lines dropped, the output was not keeping up\n".utf8)) }
        }
    }

    private func writeAll(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fileDescriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else if written < 0 && errno == EAGAIN {
                    // A non-blocking descriptor that is full: wait until it takes more.
                    var poller = pollfd(fd: fileDescriptor, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&poller, 1, 1000)
                } else {
                    return  // closed or broken: nowhere to log to
                }
            }
        }
    }
}
