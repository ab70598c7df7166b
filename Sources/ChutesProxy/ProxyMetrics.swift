import CoreMetrics
import HTTP1
import Locking
import Prometheus

/// The proxy's metrics, recorded through swift-metrics into a Prometheus registry of the
/// server's own and served at `GET /metrics`.
///
/// Series with labels are made once and kept, so recording a request costs one dictionary
/// lookup under a lock (by model label; endpoint and status are found in that model's short
/// list), then atomic counter increments and swift-prometheus's locked histogram update.
/// `model` labels come from clients: at most `maxModelLabels` distinct names are kept,
/// later ones are counted as `other`. A request of a named key (`PROXY_KEYS_FILE`) adds a
/// `key` label with the key's name to the request and token series; names come from the
/// operator's file, and past `maxKeyLabels` of them the rest count as `other`. With
/// `PROVIDERS`, the upstream-facing series (upstream latency, time to first token, tokens,
/// 429 retries, pool waits, circuit breakers) get a `provider` label; without, they have
/// none, as before. Disabled (`METRICS_ENABLED=0`), every method returns at once.
public final class ProxyMetrics: Sendable {
    /// A circuit breaker's state, exported as 0, 1, 2.
    public enum BreakerState: Int, Sendable {
        case closed = 0, halfOpen = 1, open = 2
    }

    /// The registry `/metrics` serves; nil when metrics are off.
    let registry: PrometheusCollectorRegistry?
    /// Makes the series; the server tools make theirs with it too.
    let factory: PrometheusMetricsFactory
    private let activeStreams: Meter
    private let activeConnections: Meter
    private let upstreamConnections: Meter
    private let upstreamPoolWaiters: Meter
    private let upstreamHTTP2Connections: Meter
    private let upstreamHTTP2Streams: Meter
    /// Without `PROVIDERS`: one unlabelled series each. With: one per provider, all made at
    /// start-up (a registry refuses a name both with and without labels, and every series
    /// reads 0 before its first event, as the unlabelled ones always did).
    private let upstreamPoolWait: [String?: CoreMetrics.Timer]
    private let retriesOn429: [String?: CoreMetrics.Counter]
    private let rateLimitStoreFailures: CoreMetrics.Counter
    private let series = Mutex(Series())
    static let maxModelLabels = 64
    static let maxKeyLabels = 256

    private struct Series {
        /// By model label and key name: their series. At most `maxModelLabels` model names,
        /// plus `other`.
        var models: [SeriesLabels: ModelSeries] = [:]
        /// Model names given a label of their own so far (`other` is not one, unless a
        /// client named a model so while there was room).
        var knownModels: Set<String> = []
        /// Key names given a label of their own so far.
        var knownKeys: Set<String> = []
        /// `chutes_proxy_request_duration_seconds` by endpoint (a handful).
        var durations: [(endpoint: String, timer: CoreMetrics.Timer)] = []
        var fallbacks: [String: CoreMetrics.Counter] = [:]
        /// By model, or `provider model` with `PROVIDERS`.
        var breakers: [String: Meter] = [:]

        /// The label `model` is counted under: its own, or `other` once `maxModelLabels`
        /// names are known.
        mutating func modelLabel(_ model: String) -> String {
            if knownModels.contains(model) { return model }
            guard knownModels.count < ProxyMetrics.maxModelLabels else { return "other" }
            knownModels.insert(model)
            return model
        }

        /// The label a key name is counted under: its own, or `other` past `maxKeyLabels`.
        mutating func keyLabel(_ key: String?) -> String? {
            guard let key else { return nil }
            if knownKeys.contains(key) { return key }
            guard knownKeys.count < ProxyMetrics.maxKeyLabels else { return "other" }
            knownKeys.insert(key)
            return key
        }
    }

    /// The labels a request's series are found by.
    private struct SeriesLabels: Hashable {
        var model: String
        var key: String?
    }

    /// The series labelled with one model.
    private struct ModelSeries {
        /// `chutes_proxy_requests_total` by endpoint and status (a few per model).
        var requests: [(endpoint: String, status: HTTPStatus, counter: CoreMetrics.Counter)] = []
        /// Made when a request of this model first reached the upstream.
        var upstream: UpstreamSeries?

        mutating func requests(endpoint: String, status: HTTPStatus, make: () -> CoreMetrics.Counter) -> CoreMetrics.Counter {
            if let found = requests.first(where: { $0.status == status && $0.endpoint == endpoint }) { return found.counter }
            let counter = make()
            requests.append((endpoint, status, counter))
            return counter
        }

        mutating func upstream(make: () -> UpstreamSeries) -> UpstreamSeries {
            if let upstream { return upstream }
            let made = make()
            upstream = made
            return made
        }
    }

    private struct UpstreamSeries {
        let inputTokens: CoreMetrics.Counter
        let outputTokens: CoreMetrics.Counter
        let upstreamLatency: CoreMetrics.Timer
        let timeToFirstToken: CoreMetrics.Timer
    }

    /// Seconds, for latencies from a few milliseconds (a cached answer) to minutes (a long
    /// non-streamed completion).
    private static let latencyBuckets: [Duration] = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600].map { .milliseconds(Int64($0 * 1000)) }

    /// Metrics in a registry of their own; with `enabled: false` (`METRICS_ENABLED=0`) nothing
    /// is served. `providers`: the names of every provider when `PROVIDERS` is set, whose
    /// upstream-facing series then carry a `provider` label; empty: no such label.
    public init(enabled: Bool = true, providers: [String] = []) {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.latencyBuckets
        self.registry = enabled ? registry : nil
        self.factory = factory
        activeStreams = Meter(label: "chutes_proxy_active_streams", factory: factory)
        activeConnections = Meter(label: "chutes_proxy_active_connections", factory: factory)
        upstreamConnections = Meter(label: "chutes_proxy_upstream_connections", factory: factory)
        upstreamPoolWaiters = Meter(label: "chutes_proxy_upstream_pool_waiters", factory: factory)
        upstreamHTTP2Connections = Meter(label: "chutes_proxy_upstream_http2_connections", factory: factory)
        upstreamHTTP2Streams = Meter(label: "chutes_proxy_upstream_http2_streams", factory: factory)
        let labels: [String?] = providers.isEmpty ? [nil] : providers
        func dimensions(_ provider: String?) -> [(String, String)] { provider.map { [("provider", $0)] } ?? [] }
        upstreamPoolWait = Dictionary(
            uniqueKeysWithValues: labels.map { ($0, CoreMetrics.Timer(label: "chutes_proxy_upstream_pool_wait_seconds", dimensions: dimensions($0), factory: factory)) })
        retriesOn429 = Dictionary(
            uniqueKeysWithValues: labels.map { ($0, CoreMetrics.Counter(label: "chutes_proxy_upstream_429_retries_total", dimensions: dimensions($0), factory: factory)) })
        rateLimitStoreFailures = CoreMetrics.Counter(label: "chutes_proxy_rate_limit_store_failures_total", factory: factory)
    }

    /// A request is done: counts it by endpoint, status and model, and records its latencies
    /// and tokens.
    func requestFinished(_ fields: RequestRecord.Fields, endpoint: String, status: HTTPStatus, duration: Duration) {
        guard registry != nil else { return }
        let name = Self.label(fields.upstreamModel ?? fields.requestedModel)
        let reachedUpstream = fields.upstreamStatus != nil
        let (requests, timer, upstream) = series.withLock { series -> (CoreMetrics.Counter, CoreMetrics.Timer, UpstreamSeries?) in
            let model = series.modelLabel(name)
            let key = series.keyLabel(fields.keyName)
            let keyDimension = key.map { [("key", $0)] } ?? []
            let timer = series.durations.first { $0.endpoint == endpoint }?.timer ?? makeDurationTimer(endpoint, in: &series)
            func record(_ entry: inout ModelSeries) -> (CoreMetrics.Counter, UpstreamSeries?) {
                let requests = entry.requests(endpoint: endpoint, status: status) {
                    CoreMetrics.Counter(label: "chutes_proxy_requests_total", dimensions: [("endpoint", endpoint), ("status", status.description), ("model", model)] + keyDimension, factory: factory)
                }
                guard reachedUpstream else { return (requests, nil) }
                let upstream = entry.upstream {
                    // With PROVIDERS, the provider that answered (a model label names one provider's model).
                    let dimensions = (fields.provider.map { [("provider", $0)] } ?? []) + [("model", model)]
                    return UpstreamSeries(
                        inputTokens: CoreMetrics.Counter(label: "chutes_proxy_input_tokens_total", dimensions: dimensions + keyDimension, factory: factory),
                        outputTokens: CoreMetrics.Counter(label: "chutes_proxy_output_tokens_total", dimensions: dimensions + keyDimension, factory: factory),
                        upstreamLatency: CoreMetrics.Timer(label: "chutes_proxy_upstream_latency_seconds", dimensions: dimensions, factory: factory),
                        timeToFirstToken: CoreMetrics.Timer(label: "chutes_proxy_time_to_first_token_seconds", dimensions: dimensions, factory: factory)
                    )
                }
                return (requests, upstream)
            }
            let (requests, upstream) = record(&series.models[SeriesLabels(model: model, key: key), default: ModelSeries()])
            return (requests, timer, upstream)
        }
        requests.increment()
        timer.recordNanoseconds(Self.nanoseconds(duration))
        guard let upstream else { return }
        if let tokens = fields.inputTokens, tokens > 0 { upstream.inputTokens.increment(by: Int64(tokens)) }
        if let tokens = fields.outputTokens, tokens > 0 { upstream.outputTokens.increment(by: Int64(tokens)) }
        if let latency = fields.upstreamLatency { upstream.upstreamLatency.recordNanoseconds(Self.nanoseconds(latency)) }
        if fields.stream, let firstByte = fields.timeToFirstByte { upstream.timeToFirstToken.recordNanoseconds(Self.nanoseconds(firstByte)) }
    }

    private func makeDurationTimer(_ endpoint: String, in series: inout Series) -> CoreMetrics.Timer {
        let timer = CoreMetrics.Timer(label: "chutes_proxy_request_duration_seconds", dimensions: [("endpoint", endpoint)], factory: factory)
        series.durations.append((endpoint, timer))
        return timer
    }

    func streamStarted() {
        guard registry != nil else { return }
        activeStreams.increment()
    }

    func streamEnded() {
        guard registry != nil else { return }
        activeStreams.decrement()
    }

    /// An upstream 429 is being waited out and retried; `provider`: the label of a provider
    /// with `PROVIDERS` set, nil without (the series has no provider label then).
    func retryingOn429(provider: String? = nil) {
        guard registry != nil else { return }
        retriesOn429[provider]?.increment()
    }

    /// A named key's counters could not be read or written in Redis (`RATE_LIMIT_REDIS_URL`):
    /// the request was served without its limits (fail open).
    func rateLimitStoreFailed() {
        guard registry != nil else { return }
        rateLimitStoreFailures.increment()
    }

    /// A request queued this long for an upstream connection of a full pool
    /// (`UPSTREAM_MAX_CONNECTIONS`), whether it got one or timed out.
    func upstreamPoolWaited(_ duration: Duration, provider: String? = nil) {
        guard registry != nil else { return }
        upstreamPoolWait[provider]?.recordNanoseconds(Self.nanoseconds(duration))
    }

    /// A request moved from one model (or pool) to another after a failure.
    public func fallback(from: String, to: String) {
        guard registry != nil else { return }
        let (from, to) = (Self.label(from), Self.label(to))
        let counter = series.withLock { series in
            let key = "\(from) \(to)"
            if let counter = series.fallbacks[key] { return counter }
            let counter = CoreMetrics.Counter(label: "chutes_proxy_fallbacks_total", dimensions: [("from", from), ("to", to)], factory: factory)
            series.fallbacks[key] = counter
            return counter
        }
        counter.increment()
    }

    /// A model's circuit breaker changed state; `provider`: its provider's label with
    /// `PROVIDERS` set, nil without (no provider label then).
    public func breaker(model: String, provider: String? = nil, state: BreakerState) {
        guard registry != nil else { return }
        let model = Self.label(model)
        let meter = series.withLock { series in
            let key = provider.map { "\($0) \(model)" } ?? model
            if let meter = series.breakers[key] { return meter }
            let dimensions = provider.map { [("provider", $0)] } ?? []
            let meter = Meter(label: "chutes_proxy_circuit_breaker_state", dimensions: dimensions + [("model", model)], factory: factory)
            series.breakers[key] = meter
            return meter
        }
        meter.set(state.rawValue)
    }

    /// The text exposition format, with the gauges read at scrape time set first.
    func exposition(
        activeConnections: Int, upstreamConnections: Int, upstreamPoolWaiters: Int, upstreamHTTP2: (connections: Int, streams: Int) = (0, 0)
    ) -> [UInt8] {
        guard let registry else { return [] }
        self.activeConnections.set(activeConnections)
        self.upstreamConnections.set(upstreamConnections)
        self.upstreamPoolWaiters.set(upstreamPoolWaiters)
        upstreamHTTP2Connections.set(upstreamHTTP2.connections)
        upstreamHTTP2Streams.set(upstreamHTTP2.streams)
        return registry.emitToBuffer()
    }

    /// A label value from a model name: printable ASCII, at most 128 characters.
    private static func label(_ model: String?) -> String {
        guard let model, !model.isEmpty else { return "none" }
        // Almost always the name is already a valid label: kept as it is, with no copy.
        if model.utf8.count <= 128 && model.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return model }
        let cleaned = model.unicodeScalars.prefix(128).map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "_" }
        return String(cleaned)
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
