/// The read buffer of an upstream connection, sized for what arrives on it.
///
/// Most upstream connections carry a stream that trickles (a few hundred bytes per event,
/// seconds apart) for tens of seconds, thousands at once; a buffer sized for bulk transfer
/// would be most of what such a stream costs. This one starts at `smallest`, doubles when a
/// read fills it (a large answer arriving at full speed), up to `largest`, and goes back to
/// `smallest` once `smallReadsBeforeShrinking` reads in a row used at most a quarter of it,
/// or when the connection goes back to its pool. Reads never wait on it: the bytes of a read
/// are handed on (to the response parser) before it is resized.
struct AdaptiveReadBuffer {
    static let smallest = 4 << 10
    static let largest = 64 << 10
    static let smallReadsBeforeShrinking = 16

    /// Where the next read goes; its size is the read's limit.
    private(set) var storage: UnsafeMutableRawBufferPointer
    private var smallReads = 0

    init() {
        storage = .allocate(byteCount: Self.smallest, alignment: 1)
    }

    /// The size the next read may fill.
    var capacity: Int { storage.count }

    /// Adjusts the size after a read of `count` bytes into `storage`, whose bytes the caller
    /// has already used.
    mutating func noteRead(_ count: Int) {
        if count == storage.count && storage.count < Self.largest {
            resize(to: storage.count * 2)
        } else if storage.count > Self.smallest && count <= storage.count / 4 {
            smallReads += 1
            if smallReads >= Self.smallReadsBeforeShrinking { resize(to: Self.smallest) }
        } else {
            smallReads = 0
        }
    }

    /// Back to the smallest size (between two responses).
    mutating func shrink() {
        if storage.count > Self.smallest { resize(to: Self.smallest) }
    }

    /// Frees the storage; the buffer is not used again.
    func deallocate() {
        storage.deallocate()
    }

    private mutating func resize(to size: Int) {
        storage.deallocate()
        storage = .allocate(byteCount: size, alignment: 1)
        smallReads = 0
    }
}
