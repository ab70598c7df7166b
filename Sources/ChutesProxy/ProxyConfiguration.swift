import AsyncIO
import HTTP1
import JSON
import Logging
import Translation

/// Everything the proxy is configured with: an immutable value, read once from the
/// environment by `ProxyConfiguration(environment:)` (embedders may build one directly).
public struct ProxyConfiguration: Sendable {
    /// Where the client's key comes from: its own header, the proxy's `CHUTES_API_KEY`, or
    /// the client's when it sends one and the proxy's otherwise.
    public enum AuthStyle: String, Sendable, CaseIterable {
        case header, env, both
    }

    /// The address to listen on (`HOST`): this machine only unless told otherwise, so the
    /// operator's `CHUTES_API_KEY` is not offered to the network by default.
    public var host: String = "127.0.0.1"
    /// The port to listen on; 0 picks a free one (`PORT`).
    public var port: Int = 8080
    /// Per-connection HTTP limits and timeouts; `http.tls` serves HTTPS; `http.reactors` are
    /// the event loops of both the server and the upstream client.
    public var http = HTTPServerConfiguration()
    /// `REACTOR_THREADS`: 0 keeps `http.reactors` (by default one per available CPU,
    /// `ReactorGroup.availableCPUs`); more makes `ProxyServer` start a group of that many.
    public var reactorThreads = 0

    /// The OpenAI-compatible upstream, possibly with a path prefix.
    public var upstreamBaseURL = HTTPURL("https://llm.chutes.ai")!
    /// The upstream key the proxy may use (`CHUTES_API_KEY`).
    public var upstreamAPIKey: String?
    /// Whose key goes upstream (`CHUTES_AUTH_STYLE`).
    public var authStyle = AuthStyle.both
    /// Which certificates the upstream connection trusts (`CHUTES_CA_FILE`, else the system store).
    public var upstreamTrustRoots: TLSConfiguration.TrustRoots = .system
    /// Name resolution, TCP and TLS together (`UPSTREAM_CONNECT_TIMEOUT`).
    public var upstreamConnectTimeout: Duration = .seconds(10)
    /// Upstream connections each reactor may have open at once (`UPSTREAM_MAX_CONNECTIONS`);
    /// 0: no limit but the descriptor limit.
    public var upstreamMaxConnections = 0
    /// How long a request waits for an upstream connection of a full pool (`UPSTREAM_POOL_TIMEOUT`).
    public var upstreamPoolTimeout: Duration = .seconds(30)
    /// Whether upstream connections speak HTTP/2 (`UPSTREAM_HTTP2`).
    public var upstreamHTTP2 = HTTP2Mode.auto
    /// Until the response head (a non-streaming completion can take minutes).
    public var upstreamResponseTimeout: Duration = .seconds(600)
    /// Longest silence between two pieces of a streamed response.
    public var upstreamStreamIdleTimeout: Duration = .seconds(300)

    /// The providers besides the default one (`PROVIDERS` or `PROVIDERS_FILE`); the default,
    /// `chutes`, is `defaultProvider`, made from the settings above.
    public var providers: [ProviderDefinition] = []
    /// `PROVIDERS` and `PROVIDERS_FILE` as given; `init(environment:)` reads them into
    /// `providers` once the environment their `api_key_env` names is at hand.
    var providerSources: (list: String?, file: String?) = (nil, nil)

    /// Requested model -> upstream model or fallback list (`MODEL_MAP`).
    public var modelMap = ModelMap()
    /// Routes by scenario (`ROUTES` or `ROUTES_FILE`), tried before `modelMap`.
    public var routes = RouteTable()
    /// When a failing model of a fallback list is skipped.
    public var circuitBreaker = CircuitBreakerSettings()
    /// Where `routes` came from: "ROUTES", or the path in `ROUTES_FILE`.
    var routesOrigin: String?
    /// Tool renames (`TOOL_NAME_MAP`).
    public var toolNameRules = ToolNameMapping.Rules()
    /// Correct the case of model names against the upstream's model list.
    public var autoFixModelCase = true
    /// How long the upstream's model list is trusted.
    public var modelDiscoveryTTL: Duration = .seconds(300)
    /// `TOOL_CALL_PARSER`, read once.
    public var toolCallParser = ToolCallParserChoice.auto
    /// A global bound on `max_tokens` (`MAX_TOKENS_CAP`), on top of the model list's limits.
    public var maxTokensCap: Int?
    /// `chat_template_kwargs` that switch reasoning on (`THINKING_TEMPLATE_KWARGS`).
    public var thinkingTemplateKwargs: JSONObject?
    /// The model that writes compaction summaries (`COMPACTION_MODEL`); nil: the request's.
    public var compactionModel: String?
    /// What to do, unasked, with a conversation past the model's window (`AUTO_COMPACT`).
    public var autoCompact = AutoCompact.off

    /// Whether an upstream 429 (not a capacity one) is retried (`PROXY_BACKOFF_ON_429`).
    public var backoffOn429 = true
    /// How many times (`PROXY_MAX_RETRY_ON_429`).
    public var maxRetriesOn429 = 1
    /// The longest `Retry-After` honoured (`PROXY_MAX_RETRY_AFTER` gives it in seconds).
    public var maxRetryAfter: Duration = .seconds(2)
    /// How long the upstream may be silent before a `ping` keeps a stream alive
    /// (`STREAM_PING_INTERVAL` gives it in seconds).
    public var pingInterval: Duration = .seconds(15)
    /// The emulated server tools, web search and web fetch (`WEB_SEARCH_*`, `WEB_FETCH_*`).
    public var serverTools = ServerToolSettings()

    /// After `ProxyServer.shutdown()`, how long to keep accepting (with `/ready` answering
    /// 503) before the listener closes and the drain begins.
    public var shutdownDelay: Duration = .zero

    /// Translation details in the log (`DEBUG_PROXY`, or `LOG_LEVEL` debug or trace).
    public var debug = false
    /// `LOG_FORMAT`: JSON lines or text.
    public var logFormat = LogFormat.json
    /// `LOG_LEVEL`: `info` writes one access line per request; `debug` adds detail.
    public var logLevel = Logger.Level.info
    /// `METRICS_ENABLED`: record metrics and serve them at `GET /metrics`.
    public var metricsEnabled = true
    /// Keys a client must present (`PROXY_API_KEYS`, `PROXY_API_KEYS_FILE`); empty: open.
    /// When set, the upstream key is `upstreamAPIKey` only, never a client's.
    public var inboundKeys = InboundKeys([])
    /// Named keys with limits (`PROXY_KEYS_FILE`), read at start-up and reloaded while serving.
    public var namedKeys: [NamedKey] = []
    /// `PROXY_KEYS_FILE`: where `namedKeys` come from, watched for changes.
    public var keysFile: String?
    /// `PROXY_KEYS_RELOAD_INTERVAL`: how often the keys file is checked for a change.
    public var keysReloadInterval: Duration = .seconds(5)
    /// `RATE_LIMIT_REDIS_URL`: where the named keys' counters live, shared by replicas; nil:
    /// in this process.
    var rateLimitRedis: RedisURL?
    /// `RATE_LIMIT_REDIS_TIMEOUT`: the longest a connect or a command to Redis may take.
    public var rateLimitRedisTimeout: Duration = .milliseconds(250)
    /// Whether a client must present a key: unnamed (`inboundKeys`) or named (`namedKeys`).
    public var requiresKeys: Bool { !inboundKeys.isEmpty || !namedKeys.isEmpty }
    /// `METRICS_REQUIRE_KEY`: `/metrics` asks for an inbound key too.
    public var metricsRequireKey = false

    /// The PEM files HTTPS is served with (`TLS_CERT_FILE`, `TLS_KEY_FILE`), kept to be shown
    /// by `--print-config`; `init(environment:)` loads them into `http.tls`.
    var servingTLSFiles: (certificateChain: String?, privateKey: String?) = (nil, nil)
    /// `PROXY_API_KEYS` and `PROXY_API_KEYS_FILE` as given; `init(environment:)` reads them
    /// into `inboundKeys`.
    var inboundKeySources: (list: String?, file: String?) = (nil, nil)

    /// The defaults, listening on `host`:`port`.
    public init(host: String = "127.0.0.1", port: Int = 8080) {
        self.host = host
        self.port = port
    }

    /// Settings that are wrong together: inbound keys need the proxy's own upstream key.
    public func validate() throws(ConfigurationError) {
        if requiresKeys && (upstreamAPIKey ?? "").isEmpty {
            throw ConfigurationError(
                variable: inboundKeys.isEmpty ? "PROXY_KEYS_FILE" : "PROXY_API_KEYS",
                problem: "inbound keys are set but CHUTES_API_KEY is not: with inbound keys the upstream key comes from CHUTES_API_KEY only (a client's key is never forwarded); set CHUTES_API_KEY")
        }
        if metricsRequireKey && !requiresKeys {
            throw ConfigurationError(variable: "METRICS_REQUIRE_KEY", problem: "no inbound key is set (PROXY_API_KEYS, PROXY_API_KEYS_FILE or PROXY_KEYS_FILE) to protect /metrics with")
        }
        try serverTools.validate()
        try validateTargets()
    }

    /// What start-up warns of when anyone who can reach the port would spend the operator's
    /// keys: the proxy listens beyond loopback, no inbound key is asked for, and a client's
    /// request may go upstream with `CHUTES_API_KEY` (unless `CHUTES_AUTH_STYLE=header`) or
    /// with a provider's configured key (whatever the auth style: a client may name any
    /// provider, `openrouter::model`). Nil when that is not so.
    public func openRelayWarning(port: Int) -> String? {
        var spent: [String] = []
        if authStyle != .header, !(upstreamAPIKey ?? "").isEmpty { spent.append("CHUTES_API_KEY") }
        spent += providers.filter { !($0.apiKey ?? "").isEmpty }.map { "the \($0.name) provider's key" }
        guard !requiresKeys, !spent.isEmpty, let address = TCPListener.address(host: host, port: port), !address.isLoopback else { return nil }
        return
            "listening on \(address) beyond this machine with \(spent.joined(separator: ", ")) and no inbound keys: anyone who can reach the port spends \(spent.count == 1 ? "that key" : "those keys"); set PROXY_API_KEYS (docs/running-for-a-team.md), or HOST=127.0.0.1 to serve this machine only"
    }

    /// The HTTP server's configuration with the proxy's address and error format.
    var serverConfiguration: HTTPServerConfiguration {
        var server = http
        server.host = host
        server.port = port
        // Requests the server refuses before routing (malformed, too large, over the connection
        // limit) get a request id too.
        server.errorResponse = { status, message in AnthropicError(status: status, message: message).response(requestID: RequestID.make()) }
        return server
    }

    /// The provider the `CHUTES_*` settings describe, named `chutes`: the one requests go to
    /// unless a target names another, and the only one a client's own key may go to.
    public var defaultProvider: ProviderDefinition {
        var provider = ProviderDefinition(name: ProviderDefinition.defaultName, baseURL: upstreamBaseURL, apiKey: upstreamAPIKey)
        // Whose key goes is CHUTES_AUTH_STYLE's choice: the client's, CHUTES_API_KEY, or either.
        provider.apiKeySource = "CHUTES_AUTH_STYLE=\(authStyle.rawValue)" + (upstreamAPIKey == nil ? "" : " (CHUTES_API_KEY set)")
        return provider
    }

    /// The upstream client's configuration for `provider`: its own limits and timeouts where
    /// it sets them, the `UPSTREAM_*` settings otherwise.
    func clientConfiguration(for provider: ProviderDefinition) -> HTTPClient.Configuration {
        var client = clientConfiguration
        if let maxConnections = provider.maxConnections { client.maxConnectionsPerOrigin = maxConnections }
        if let timeout = provider.connectTimeout { client.connectTimeout = timeout }
        if let timeout = provider.responseTimeout { client.responseHeadTimeout = timeout }
        if let timeout = provider.streamIdleTimeout { client.betweenChunksTimeout = timeout }
        return client
    }

    var clientConfiguration: HTTPClient.Configuration {
        var client = HTTPClient.Configuration()
        client.trustRoots = upstreamTrustRoots
        client.connectTimeout = upstreamConnectTimeout
        client.maxConnectionsPerOrigin = upstreamMaxConnections
        client.poolTimeout = upstreamPoolTimeout
        client.http2 = upstreamHTTP2
        client.responseHeadTimeout = upstreamResponseTimeout
        client.betweenChunksTimeout = upstreamStreamIdleTimeout
        // The same event loops on both sides: a request's upstream connection is watched by
        // the reactor that runs the request, so the upstream's answer resumes it on that thread.
        client.reactors = http.reactors
        return client
    }
}
