import HTTP1

/// Every provider's `Upstream`: the default one (`chutes`, the `CHUTES_*` settings) and one
/// for each entry of `PROVIDERS`, each with its own connection pool, 429 cool-down, model
/// list and circuit breaker. A target (`ModelTarget`'s short form) finds its upstream here.
struct Upstreams: Sendable {
    /// The default provider's.
    let primary: Upstream
    /// The others', by provider name.
    private let named: [String: Upstream]
    /// All of them, the default one first, in the order configured.
    let all: [Upstream]

    init(configuration: ProxyConfiguration, metrics: ProxyMetrics = ProxyMetrics(enabled: false)) throws(HTTPClientError) {
        // One list of every configured key, shared by every upstream's redactor.
        let keys = [configuration.upstreamAPIKey] + configuration.providers.map(\.apiKey)
        // Without PROVIDERS the metrics have no provider label, as before.
        let labelled = !configuration.providers.isEmpty
        var all = [
            try Upstream(
                configuration: configuration, provider: configuration.defaultProvider, isDefault: true, configuredKeys: keys,
                metricsLabel: labelled ? ProviderDefinition.defaultName : nil, metrics: metrics)
        ]
        var named: [String: Upstream] = [:]
        for provider in configuration.providers {
            let upstream = try Upstream(configuration: configuration, provider: provider, isDefault: false, configuredKeys: keys, metricsLabel: provider.name, metrics: metrics)
            named[provider.name] = upstream
            all.append(upstream)
        }
        primary = all[0]
        self.named = named
        self.all = all
    }

    /// The upstream `target` goes to, and the model's name there. A provider that is not
    /// configured (a client's `name::model`) is a 404 naming the ones that are.
    func route(_ target: String) throws(AnthropicError) -> (upstream: Upstream, model: String) {
        // The usual case, a default provider's name: one scan of the bytes, no copy.
        guard ModelTarget.namesProvider(target) else { return (primary, target) }
        let parsed = ModelTarget(target)
        guard let provider = parsed.provider else { return (primary, parsed.model) }
        guard let upstream = named[provider] else {
            let known = all.map(\.provider.name).joined(separator: ", ")
            throw AnthropicError(
                status: .notFound, message: "model: \(target.escapedForLog) names the provider \"\(provider.escapedForLog)\", which is not configured; the providers are \(known)")
        }
        return (upstream, parsed.model)
    }

    /// What the model list of `target`'s provider says of it (nil when nothing, or when the
    /// target names no configured provider).
    func info(for target: String, correctCase: Bool) async -> ModelInfo? {
        guard let (upstream, model) = try? route(target) else { return nil }
        return await upstream.catalog.resolve(model, correctCase: correctCase).info
    }

    /// Closes every upstream's connections.
    func shutdown() {
        for upstream in all { upstream.client.shutdown() }
    }
}
