import Locking

/// A count that scripted servers share across the tasks answering their connections.
public final class Counter: Sendable {
    private let count = Mutex(0)

    public init() {}

    /// Adds one and returns the new count (1 the first time).
    @discardableResult
    public func increment() -> Int {
        count.withLock { count in
            count += 1
            return count
        }
    }

    public var value: Int { count.withLock { $0 } }
}
