import Synchronization

/// Deadlines in `Atomic`s, for state read on every request without a lock or an actor hop
/// (such as the upstream's rate-limit cool-down).
extension Deadline: AtomicRepresentable {
    /// A deadline is stored in an atomic as its nanoseconds.
    public typealias AtomicRepresentation = UInt64.AtomicRepresentation

    /// The deadline as its atomic storage.
    public static func encodeAtomicRepresentation(_ value: consuming Deadline) -> AtomicRepresentation {
        UInt64.encodeAtomicRepresentation(value.nanoseconds)
    }

    /// The deadline back from its atomic storage.
    public static func decodeAtomicRepresentation(_ storage: consuming AtomicRepresentation) -> Deadline {
        Deadline(nanoseconds: UInt64.decodeAtomicRepresentation(storage))
    }
}
