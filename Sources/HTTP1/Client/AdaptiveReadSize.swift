/// How much an upstream connection reads at a time, sized for what arrives on it.
///
/// Most upstream connections carry a stream that trickles (a few hundred bytes per event,
/// seconds apart) for tens of seconds, thousands at once; a read buffer sized for bulk
/// transfer and held for the connection's life was most of what such a stream cost. The
/// buffer now exists only around a read (`PooledConnection.fill`), and its size starts at
/// `smallest`, doubles when a read fills it (a large answer arriving at full speed), up to
/// `largest`, and goes back to `smallest` once `smallReadsBeforeShrinking` reads in a row used
/// at most a quarter of it, or when the connection goes back to its pool.
struct AdaptiveReadSize {
    static let smallest = 4 << 10
    static let largest = 64 << 10
    static let smallReadsBeforeShrinking = 16

    /// The size of the next read.
    private(set) var current = Self.smallest
    private var smallReads = 0

    /// Adjusts the size after a read of `count` bytes.
    mutating func noteRead(_ count: Int) {
        if count == current && current < Self.largest {
            current *= 2
            smallReads = 0
        } else if current > Self.smallest && count <= current / 4 {
            smallReads += 1
            if smallReads >= Self.smallReadsBeforeShrinking { reset() }
        } else {
            smallReads = 0
        }
    }

    /// Back to the smallest size (between two responses).
    mutating func reset() {
        current = Self.smallest
        smallReads = 0
    }
}
