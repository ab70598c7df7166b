import AsyncIO

/// One circuit per upstream model: after `failureThreshold` consecutive failures that a
/// fallback would answer (capacity, 5xx, unreachable, timeout) the model is skipped for a
/// cool-down, which doubles with each failed retry up to `maximumCoolDown`; then one request
/// tries it (half-open) while others still skip it; a success closes the circuit. A 429's
/// `Retry-After` opens it for that long at once. Each change of state is set in
/// `chutes_proxy_circuit_breaker_state`.
actor CircuitBreaker {
    typealias Settings = CircuitBreakerSettings

    enum Admission: Equatable {
        /// Closed: go ahead.
        case allowed
        /// Half-open: this request is the one that tries the model again.
        case probe
        /// Open (or another request is probing): skip it until then.
        case skip(until: Deadline)
    }

    private struct Circuit {
        var consecutiveFailures = 0
        /// How many cool-downs in a row; the next lasts `coolDown * 2^(opened - 1)`.
        var opened = 0
        var openUntil: Deadline?
        var probing = false
    }

    private let settings: Settings
    private let metrics: ProxyMetrics?
    /// The `provider` label of its state series; nil without `PROVIDERS`.
    private let provider: String?
    private var circuits: [String: Circuit] = [:]

    /// One provider's breaker (each provider has its own, so its circuits are per provider
    /// and model).
    init(settings: Settings, metrics: ProxyMetrics? = nil, provider: String? = nil) {
        self.settings = settings
        self.metrics = metrics
        self.provider = provider
    }

    func admit(_ model: String, now: Deadline = .now) -> Admission {
        guard var circuit = circuits[model], let until = circuit.openUntil else { return .allowed }
        if now < until || circuit.probing { return .skip(until: max(until, now)) }
        circuit.probing = true
        circuits[model] = circuit
        metrics?.breaker(model: model, provider: provider, state: .halfOpen)
        return .probe
    }

    func recordSuccess(_ model: String) {
        // A model that never opened stays closed: its series is made only when it first opens.
        if circuits[model]?.openUntil != nil { metrics?.breaker(model: model, provider: provider, state: .closed) }
        circuits[model] = nil
    }

    /// A failure that a fallback would answer; `retryAfter` is the upstream's own cool-down.
    func recordFailure(_ model: String, retryAfter: Duration? = nil, now: Deadline = .now) {
        var circuit = circuits[model] ?? Circuit()
        circuit.consecutiveFailures += 1
        let wasProbing = circuit.probing
        circuit.probing = false
        if let retryAfter, retryAfter > .zero {
            circuit.opened += 1
            circuit.openUntil = now.adding(min(retryAfter, settings.maximumCoolDown))
            metrics?.breaker(model: model, provider: provider, state: .open)
        } else if wasProbing || circuit.consecutiveFailures >= settings.failureThreshold {
            circuit.opened += 1
            circuit.openUntil = now.adding(coolDown(afterOpening: circuit.opened))
            metrics?.breaker(model: model, provider: provider, state: .open)
        }
        circuits[model] = circuit
    }

    /// A request that was admitted ended without a verdict (the client went away, or a
    /// failure that says nothing of the model): a probe slot is given back.
    func release(_ model: String) {
        circuits[model]?.probing = false
    }

    private func coolDown(afterOpening count: Int) -> Duration {
        var delay = settings.coolDown
        for _ in 1..<max(1, count) {
            delay = delay * 2
            if delay >= settings.maximumCoolDown { return settings.maximumCoolDown }
        }
        return min(delay, settings.maximumCoolDown)
    }
}

/// When a model is skipped (`BREAKER_FAILURES`, `BREAKER_COOLDOWN`, `BREAKER_MAX_COOLDOWN`).
public struct CircuitBreakerSettings: Sendable, Equatable {
    /// Consecutive failures that open a model's circuit.
    public var failureThreshold = 3
    /// The first cool-down; each failed retry doubles it.
    public var coolDown: Duration = .seconds(30)
    /// The longest cool-down (`BREAKER_MAX_COOLDOWN`).
    public var maximumCoolDown: Duration = .seconds(300)

    /// The defaults: 3 failures, 30 s, doubling up to 300 s.
    public init() {}
}
