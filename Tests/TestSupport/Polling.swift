/// Checks `condition` every few milliseconds until it holds or `bound` has passed; returns
/// whether it held. For a state with no signal to wait on (a gauge, a count): the bound keeps
/// a broken build from hanging, it is not a delay the test relies on.
public func poll(within bound: Duration = .seconds(10), until condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + bound
    while !(await condition()) {
        guard ContinuousClock.now < deadline else { return false }
        try? await Task.sleep(for: .milliseconds(2))
    }
    return true
}
