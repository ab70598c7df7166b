import AsyncIO
import HTTP1
import JSON

/// One provider's OpenAI-compatible backend: where it is, how to authenticate, and the state
/// shared by every request to it (its connection pool, rate-limit cool-down, model list and
/// circuit breaker). `Upstreams` holds one per provider; a class, so handing one to a request
/// is one reference, not a copy of the configuration it holds.
final class Upstream: Sendable {
    let configuration: ProxyConfiguration
    /// The provider it is (for the default one, made from the `CHUTES_*` settings).
    let provider: ProviderDefinition
    /// The default provider: the only one a client's own key may go to.
    let isDefault: Bool
    let client: HTTPClient
    let retryState = RetryState()
    let catalog: ModelCatalog
    /// Which of its models are skipped for now (one circuit per provider and model).
    let breaker: CircuitBreaker
    let metrics: ProxyMetrics
    /// Every provider's configured key: scrubbed from whatever this upstream says, since an
    /// upstream may echo a key it was never sent but another provider was given.
    let configuredKeys: [String?]
    /// The `provider` label of its metrics; nil without `PROVIDERS`, whose metrics are as
    /// they always were.
    let metricsLabel: String?

    /// The default provider alone, as `ProxyConfiguration` describes it.
    convenience init(configuration: ProxyConfiguration, metrics: ProxyMetrics = ProxyMetrics(enabled: false)) throws(HTTPClientError) {
        try self.init(
            configuration: configuration, provider: configuration.defaultProvider, isDefault: true, configuredKeys: [configuration.upstreamAPIKey], metricsLabel: nil,
            metrics: metrics)
    }

    /// `provider`'s upstream; `configuredKeys` are every provider's keys.
    init(
        configuration: ProxyConfiguration, provider: ProviderDefinition, isDefault: Bool, configuredKeys: [String?], metricsLabel: String?, metrics: ProxyMetrics
    ) throws(HTTPClientError) {
        self.configuration = configuration
        self.provider = provider
        self.isDefault = isDefault
        self.configuredKeys = configuredKeys
        self.metricsLabel = metricsLabel
        self.metrics = metrics
        breaker = CircuitBreaker(settings: configuration.circuitBreaker, metrics: metrics, provider: metricsLabel)
        let client = try HTTPClient(configuration: configuration.clientConfiguration(for: provider))
        self.client = client
        let modelsURL = provider.modelsEndpoint.map { provider.baseURL.appending($0) }
        catalog = ModelCatalog(ttl: configuration.modelDiscoveryTTL) {
            guard let modelsURL else { return [] }
            return try await Self.fetchModels(client: client, url: modelsURL, provider: provider)
        }
    }

    /// The key a request goes to this provider with: the default provider's is the client's
    /// (as `CHUTES_AUTH_STYLE` chose it, `MessagesRequest.key`); any other provider's is
    /// its own configured key, whoever asks.
    func key(forClientKey clientKey: String?) -> String? {
        isDefault ? clientKey : provider.apiKey
    }

    /// The key to send upstream for a client request, per `CHUTES_AUTH_STYLE`.
    /// With inbound keys, always `CHUTES_API_KEY`: the client's key is the proxy's, never forwarded.
    func apiKey(for headers: HTTPHeaders) -> String? {
        guard !configuration.requiresKeys else { return configuration.upstreamAPIKey }
        let clientKey: String? = {
            if let key = headers["x-api-key"], !key.isEmpty { return key }
            if let authorization = headers["Authorization"], authorization.lowercased().hasPrefix("bearer ") {
                let token = authorization.dropFirst("bearer ".count).trimmingOptionalWhitespace
                return token.isEmpty ? nil : String(token)
            }
            return nil
        }()
        switch configuration.authStyle {
        case .header: return clientKey
        case .env: return configuration.upstreamAPIKey
        case .both: return clientKey ?? configuration.upstreamAPIKey
        }
    }

    /// What must be scrubbed from the upstream's words for a request sent with `key`: that key,
    /// and every provider's configured key (`CHUTES_API_KEY` among them, which the model-list
    /// fetch sends).
    func redactor(for key: String?) -> SecretRedactor {
        SecretRedactor(key: key, configured: configuredKeys)
    }

    /// `apiKey(for:)`, or the 401 that says how to give one under this `CHUTES_AUTH_STYLE`.
    func requiredAPIKey(for headers: HTTPHeaders) throws(AnthropicError) -> String {
        if let key = apiKey(for: headers) { return key }
        let message: String
        switch configuration.authStyle {
        case .header where configuration.upstreamAPIKey != nil:
            message =
                "no API key: CHUTES_AUTH_STYLE=header forwards the client's own key and never the proxy's CHUTES_API_KEY; send x-api-key or Authorization: Bearer, or set CHUTES_AUTH_STYLE=both on the proxy to use CHUTES_API_KEY when the client sends none"
        case .header:
            message = "no API key: CHUTES_AUTH_STYLE=header forwards the client's own key; send x-api-key or Authorization: Bearer"
        case .env:
            message = "no API key: CHUTES_AUTH_STYLE=env sends the proxy's CHUTES_API_KEY, which is not set on the proxy"
        case .both:
            message = "no API key: send x-api-key or Authorization: Bearer, or set CHUTES_API_KEY on the proxy"
        }
        throw AnthropicError(status: .unauthorized, message: message)
    }

    /// Sends a request, waiting out rate limits: on 429 it waits `Retry-After` (capped) or
    /// backs off, up to `PROXY_MAX_RETRY_ON_429` times, and every request to this upstream
    /// shares the cool-down. A 429 that says the model is at capacity (Chutes' words) is an
    /// overload, thrown at once as 529 without waiting; a 429 left after the retries is
    /// thrown as Anthropic's 429. Other answers are returned as they are.
    func send(method: HTTPMethod, path: String, body: [UInt8], key: String?) async throws(UpstreamFailure) -> HTTPClientResponse {
        var headers: HTTPHeaders = ["Accept": "application/json, text/event-stream"]
        if !body.isEmpty { headers.add(name: "Content-Type", value: "application/json") }
        Self.authenticate(&headers, for: provider, key: key)
        let request = HTTPClientRequest(method: method, url: provider.baseURL.appending(path), headers: headers, body: body)
        var attempt = 0
        while true {
            do {
                try await retryState.waitForCoolDown()
            } catch {
                throw UpstreamFailure(error: AnthropicError(status: .clientClosedRequest, type: "api_error", message: "the client went away"))
            }
            let response: HTTPClientResponse
            do {
                response = try await client.execute(request)
            } catch {
                if case .poolTimedOut(_, let waited) = error {
                    notePoolWait(waited)
                    throw UpstreamFailure(error: UpstreamErrors.fromClientError(error), poolExhausted: true)
                }
                throw UpstreamFailure(error: UpstreamErrors.fromClientError(error))
            }
            if let waited = response.poolWait { notePoolWait(waited) }
            RequestRecord.current?.noteUpstreamResponse(status: response.status, invocationID: response.headers["x-chutes-invocationid"], provider: metricsLabel)
            guard response.status == .tooManyRequests else { return response }
            let errorBody = (try? await Self.collect(response, limit: 64 << 10)) ?? []
            let error = UpstreamErrors.fromResponse(status: .tooManyRequests, body: errorBody, estimatedPromptTokens: 0, redactor: redactor(for: key))
            guard error.status == .tooManyRequests, configuration.backoffOn429, attempt < configuration.maxRetriesOn429 else {
                throw UpstreamFailure(error: error, retryAfter: response.headers["Retry-After"])
            }
            metrics.retryingOn429(provider: metricsLabel)
            let delay = RetryState.delay(retryAfter: response.headers["Retry-After"], attempt: attempt, cap: configuration.maxRetryAfter)
            await retryState.coolDown(for: delay)
            attempt += 1
        }
    }

    /// A wait for an upstream connection: into the request's access line and the metrics.
    private func notePoolWait(_ waited: Duration) {
        RequestRecord.current?.notePoolWait(waited)
        metrics.upstreamPoolWaited(waited, provider: metricsLabel)
    }

    /// Reads a whole (error or JSON) body, up to `limit` bytes.
    static func collect(_ response: HTTPClientResponse, limit: Int) async throws(AnthropicError) -> [UInt8] {
        do {
            return try await response.body.collect(upTo: limit)
        } catch {
            throw UpstreamErrors.fromClientError(error)
        }
    }

    /// Adds the headers that authenticate a request to `provider` with `key`: its auth field
    /// (none without a key: Chutes' `Authorization: Bearer` by default), then its own headers.
    static func authenticate(_ headers: inout HTTPHeaders, for provider: ProviderDefinition, key: String?) {
        if let key {
            let field = provider.auth.field(for: key)
            headers.add(name: field.name, value: field.value)
        }
        for field in provider.headers { headers.add(name: field.name, value: field.value) }
    }

    /// The model list, asked with the provider's configured key (`CHUTES_API_KEY` for the
    /// default one).
    private static func fetchModels(client: HTTPClient, url: HTTPURL, provider: ProviderDefinition) async throws -> [ModelInfo] {
        var headers: HTTPHeaders = ["Accept": "application/json"]
        authenticate(&headers, for: provider, key: provider.apiKey)
        let response = try await client.execute(HTTPClientRequest(method: .get, url: url, headers: headers))
        let body = try await response.body.collect(upTo: 16 << 20)
        guard response.status == .ok else { throw AnthropicError(status: response.status, message: "model list unavailable") }
        return try JSONValue(parsing: body)["data"]?.arrayValue?.compactMap(ModelInfo.init(listEntry:)) ?? []
    }
}

/// An upstream request that failed, with what the caller may act on beyond the error.
struct UpstreamFailure: Error {
    init(error: AnthropicError, retryAfter: String? = nil, poolExhausted: Bool = false) {
        self.error = error
        self.retryAfter = retryAfter
        self.poolExhausted = poolExhausted
    }

    var error: AnthropicError
    /// The upstream's `Retry-After`, when it sent one.
    var retryAfter: String?
    /// No upstream connection came free in time: the proxy's own limit, which another model
    /// of the same upstream would meet too, so it neither falls over nor counts against the
    /// model's circuit breaker.
    var poolExhausted: Bool
    /// The model (or pool) whose attempt failed; set by `UpstreamCaller`.
    var model: String?
}
