import Glibc

/// Everything the socket layer can fail with, each case saying what failed and why.
public enum IOError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A system call failed: which call, on what, and the errno it set.
    case systemCall(_ call: String, errno: Int32, target: String? = nil)
    /// The deadline passed before the operation could finish.
    case timedOut(_ operation: String)
    /// The descriptor was closed (by this process) while the operation waited or before it began.
    case closed
    /// The waiting task was cancelled.
    case cancelled
    /// A host name could not be resolved.
    case nameResolution(host: String, reason: String)

    /// What failed, for a person: the system call and its error, or what timed out.
    public var description: String {
        switch self {
        case let .systemCall(call, errno, target):
            let what = target.map { "\(call)(\($0))" } ?? call
            return "\(what) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        case .timedOut(let operation):
            return "\(operation) timed out"
        case .closed:
            return "the connection is closed"
        case .cancelled:
            return "the operation was cancelled"
        case let .nameResolution(host, reason):
            return "could not resolve \(host): \(reason)"
        }
    }

    /// The error for the call that just failed, reading the thread's errno.
    static func last(_ call: String, target: String? = nil) -> IOError {
        .systemCall(call, errno: errno, target: target)
    }
}
