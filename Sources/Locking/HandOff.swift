/// A value given once to whoever takes it: a task or a closure that must own something
/// alone captures the hand-off, not the value, so nothing else keeps the value (and what it
/// references) alive for as long as that task runs.
public final class HandOff<Value: Sendable>: Sendable {
    private let slot: Mutex<Value?>

    /// Holds `value` until `take()`.
    public init(_ value: consuming sending Value) {
        slot = Mutex(Optional(value))
    }

    /// The value; nil when it was taken already.
    public func take() -> Value? {
        slot.withLock { $0.take() }
    }
}
