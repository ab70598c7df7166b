extension Duration {
    /// A duration from a number of seconds that came from outside (a header, an environment
    /// variable): nil when it is negative, not a number or infinite, and clamped to
    /// `maximum` when larger. `Duration.seconds(Double)` and `Int64(seconds * 1000)` trap on
    /// such values instead.
    static func seconds(untrusted seconds: Double, maximum: Duration) -> Duration? {
        guard seconds.isFinite, seconds >= 0 else { return nil }
        let maximumSeconds = Double(maximum.components.seconds)
        guard seconds < maximumSeconds else { return maximum }
        // Below `maximum` (at most Int64.max seconds), so the milliseconds fit an Int64.
        return .milliseconds(Int64((seconds * 1000).rounded(.down)))
    }
}
