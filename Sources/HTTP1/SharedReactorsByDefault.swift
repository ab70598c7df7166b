import AsyncIO

/// A configuration's reactor group: `ReactorGroup.shared` until one is set. Read lazily, so
/// building a configuration (as `check` and `--print-config` do) starts no reactor threads.
@propertyWrapper
public struct SharedReactorsByDefault: Sendable {
    private var chosen: ReactorGroup?

    /// No group chosen: `ReactorGroup.shared`.
    public init() {}

    /// The chosen group, else `ReactorGroup.shared`.
    public var wrappedValue: ReactorGroup {
        get { chosen ?? .shared }
        set { chosen = newValue }
    }
}
