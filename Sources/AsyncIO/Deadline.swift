import Glibc

/// A point on the monotonic clock after which an I/O wait gives up.
///
/// Deadlines are absolute so that one limit can span many reads (a request head that
/// arrives in pieces must still arrive within its header timeout).
public struct Deadline: Sendable, Comparable, Hashable {
    /// Nanoseconds on CLOCK_MONOTONIC.
    let nanoseconds: UInt64

    /// No deadline: wait until ready, closed or cancelled.
    public static let never = Deadline(nanoseconds: .max)

    /// This moment on the monotonic clock.
    public static var now: Deadline { Deadline(nanoseconds: monotonicNanoseconds()) }

    /// The instant `duration` from now (saturating).
    public static func after(_ duration: Duration) -> Deadline {
        Deadline.now.adding(duration)
    }

    /// This instant moved `duration` later (saturating; negative durations count as zero).
    public func adding(_ duration: Duration) -> Deadline {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0 else { return self }
        let whole = UInt64(clamping: seconds).multipliedReportingOverflow(by: 1_000_000_000)
        guard !whole.overflow else { return .never }
        let total = nanoseconds.addingReportingOverflow(whole.partialValue &+ UInt64(attoseconds / 1_000_000_000))
        return total.overflow ? .never : Deadline(nanoseconds: total.partialValue)
    }

    /// How long until this instant; zero once it has passed.
    public var remaining: Duration {
        let now = monotonicNanoseconds()
        guard nanoseconds > now else { return .zero }
        return .nanoseconds(Int64(clamping: nanoseconds - now))
    }

    /// Whether this is `.never`, the deadline that does not pass.
    public var isNever: Bool { nanoseconds == .max }

    /// Earlier deadlines sort first.
    public static func < (lhs: Deadline, rhs: Deadline) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
}

func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}
