import AsyncIO
import Glibc
import HTTP1
import JSON
import Logging
import Translation

extension ProxySetting {
    /// Every setting, in the order `--help`, `--print-config` and `.env.example` list them.
    /// To add a setting, add a row: its variable, flag, help and `--print-config` line follow.
    public static let all: [ProxySetting] = [
        ProxySetting(
            "HOST", "address to listen on (numeric, or localhost); 0.0.0.0 listens on every interface (the container image sets it)", default: "127.0.0.1",
            read: { value, c throws(ConfigurationError) in
                // Checked here, so --print-config and check refuse what serving would.
                guard TCPListener.address(host: value.text, port: 0) != nil else {
                    throw value.problem("'\(value.text)' is not a numeric IPv4 or IPv6 address or localhost (host names are not resolved)")
                }
                c.host = value.text
            },
            show: { $0.host }),
        ProxySetting(
            "PORT", "port to listen on; 0 picks a free one", default: "8080",
            read: { value, c throws(ConfigurationError) in c.port = try value.integer(in: 0...65535) },
            show: { String($0.port) }),
        ProxySetting(
            "CHUTES_BASE_URL", "the OpenAI-compatible upstream; a path prefix is kept", default: "https://llm.chutes.ai",
            read: { value, c throws(ConfigurationError) in
                guard let url = HTTPURL(value.text) else { throw value.problem("'\(value.text)' is not an http(s) URL") }
                c.upstreamBaseURL = url
            },
            show: { "\($0.upstreamBaseURL.scheme.rawValue)://\($0.upstreamBaseURL.hostHeader)\($0.upstreamBaseURL.path)" }),
        ProxySetting(
            "CHUTES_API_KEY", "the upstream key the proxy may use", secret: true,
            read: { value, c in c.upstreamAPIKey = value.text },
            show: { $0.upstreamAPIKey ?? "" }),
        ProxySetting(
            "CHUTES_AUTH_STYLE", "whose key goes upstream: header (the client's), env (CHUTES_API_KEY), both (the client's, else CHUTES_API_KEY)", default: "both",
            read: { value, c throws(ConfigurationError) in
                // The reference proxy also named the header styles after the header.
                switch value.text.lowercased() {
                case "header", "x-api-key", "authorization": c.authStyle = .header
                case "env": c.authStyle = .env
                case "both": c.authStyle = .both
                default: throw value.problem("'\(value.text)' is not one of header, env, both (or x-api-key, authorization)")
                }
            },
            show: { $0.authStyle.rawValue }),
        ProxySetting(
            "CHUTES_CA_FILE", "PEM bundle the upstream's certificate must chain to, instead of the system store",
            read: { value, c throws(ConfigurationError) in
                guard access(value.text, R_OK) == 0 else { throw value.problem("cannot read \(value.text)") }
                c.upstreamTrustRoots = .file(value.text)
            },
            show: { if case .file(let path) = $0.upstreamTrustRoots { path } else { "" } }),
        ProxySetting(
            "PROVIDERS",
            "JSON array of further OpenAI-compatible upstreams ({name, base_url, api_key_env|api_key_file, auth, headers, timeouts, models_endpoint, quirks}); a target names one as name::model",
            read: { value, c in c.providerSources.list = value.text },
            show: { $0.providerSources.list.map(ProviderDefinition.printable) ?? "" }),
        ProxySetting(
            "PROVIDERS_FILE", "a file holding the PROVIDERS JSON (not both)",
            read: { value, c in c.providerSources.file = value.text },
            show: { $0.providerSources.file ?? "" }),
        ProxySetting(
            "MODEL_MAP", "JSON object from requested model to upstream model (a name, a Chutes pool \"a,b\", or an array tried in order): exact names, then ignoring case, then * patterns",
            default: "{}",
            read: { value, c throws(ConfigurationError) in c.modelMap = try ModelMap(json: value.text) },
            show: { $0.modelMap.jsonText }),
        ProxySetting(
            "ROUTES", "JSON array of routes by scenario (model glob, thinking, min_input_tokens, images, tools -> models), first match wins",
            read: { value, c throws(ConfigurationError) in
                c.routes = try RouteTable(json: value.text, variable: "ROUTES")
                c.routesOrigin = "ROUTES"
            },
            show: { $0.routesOrigin == "ROUTES" ? $0.routes.jsonText : "" }),
        ProxySetting(
            "ROUTES_FILE", "a file holding the ROUTES JSON (not both)",
            read: { value, c throws(ConfigurationError) in
                guard c.routesOrigin == nil else { throw value.problem("ROUTES is set too; set one of them") }
                guard let text = ProxyConfiguration.readTextFile(value.text) else { throw value.problem("cannot read \(value.text)") }
                c.routes = try RouteTable(json: text, variable: "ROUTES_FILE")
                c.routesOrigin = value.text
            },
            show: { $0.routesOrigin.map { $0 == "ROUTES" ? "" : $0 } ?? "" }),
        ProxySetting(
            "BREAKER_FAILURES", "failures in a row after which a model of a fallback list is skipped", default: "3",
            read: { value, c throws(ConfigurationError) in c.circuitBreaker.failureThreshold = try value.integer(in: 1...1000) },
            show: { String($0.circuitBreaker.failureThreshold) }),
        ProxySetting(
            "BREAKER_COOLDOWN", "seconds a failing model is skipped, doubled after each failed retry", default: "30",
            read: { value, c throws(ConfigurationError) in
                c.circuitBreaker.coolDown = try value.seconds()
                c.circuitBreaker.maximumCoolDown = max(c.circuitBreaker.maximumCoolDown, c.circuitBreaker.coolDown)
            },
            show: { SettingDisplay.seconds($0.circuitBreaker.coolDown) }),
        ProxySetting(
            "BREAKER_MAX_COOLDOWN", "the longest cool-down in seconds", default: "300",
            read: { value, c throws(ConfigurationError) in
                let maximum = try value.seconds()
                guard maximum >= c.circuitBreaker.coolDown else { throw value.problem("is shorter than BREAKER_COOLDOWN") }
                c.circuitBreaker.maximumCoolDown = maximum
            },
            show: { SettingDisplay.seconds($0.circuitBreaker.maximumCoolDown) }),
        ProxySetting(
            "AUTO_FIX_MODEL_CASE", "correct the case of model names against the upstream's model list", default: "1", switch: true,
            read: { value, c throws(ConfigurationError) in c.autoFixModelCase = try value.flag() },
            show: { SettingDisplay.flag($0.autoFixModelCase) }),
        ProxySetting(
            "MODEL_DISCOVERY_TTL", "seconds the upstream's model list is trusted", default: "300",
            read: { value, c throws(ConfigurationError) in c.modelDiscoveryTTL = try value.seconds() },
            show: { SettingDisplay.seconds($0.modelDiscoveryTTL) }),
        ProxySetting(
            "TOOL_NAME_MAP", "JSON object renaming tools: {\"from\":\"to\"}, or {\"model\":{\"from\":\"to\"}} per upstream model", default: "{}",
            read: { value, c throws(ConfigurationError) in
                do throws(TranslationError) {
                    c.toolNameRules = try ToolNameMapping.Rules(json: value.text)
                } catch {
                    throw value.problem(error.message)
                }
            },
            show: { $0.toolNameRules.jsonText }),
        ProxySetting(
            "TOOL_CALL_PARSER", "text tool-call format to parse: auto, none, or " + ToolCallFamily.allCases.map(\.rawValue).joined(separator: ", "), default: "auto",
            read: { value, c throws(ConfigurationError) in
                // A family's other names (vLLM's and sglang's, e.g. glm47, minimax, ernie45) are taken too.
                guard let choice = ToolCallParserChoice(setting: value.text) else {
                    let known = ["auto", "none"] + ToolCallFamily.allCases.map(\.rawValue)
                    throw value.problem("'\(value.text)' is not one of \(known.joined(separator: ", "))")
                }
                c.toolCallParser = choice
            },
            show: { $0.toolCallParser.description }),
        ProxySetting(
            "MAX_TOKENS_CAP", "upper bound for max_tokens (many models refuse Claude Code's 128000)",
            read: { value, c throws(ConfigurationError) in c.maxTokensCap = try value.integer(in: 1...10_000_000) },
            show: { $0.maxTokensCap.map(String.init) ?? "" }),
        ProxySetting(
            "THINKING_TEMPLATE_KWARGS", "JSON object sent as chat_template_kwargs when reasoning is on, e.g. {\"thinking\":true}",
            read: { value, c throws(ConfigurationError) in
                guard let object = (try? JSONValue(parsing: value.text))?.objectValue else {
                    throw value.problem("must be a JSON object, e.g. {\"thinking\":true}")
                }
                c.thinkingTemplateKwargs = object
            },
            show: { $0.thinkingTemplateKwargs.map { JSONValue.object($0).jsonText } ?? "" }),
        ProxySetting(
            "COMPACTION_MODEL", "model that summarizes a conversation for compact_20260112 (default: the request's own model, as routed)",
            read: { value, c throws(ConfigurationError) in
                guard !value.text.isEmpty, value.text.utf8.count <= MessagesRequest.maxModelNameBytes else {
                    throw value.problem("must be a model name of 1 to \(MessagesRequest.maxModelNameBytes) bytes")
                }
                c.compactionModel = value.text
            },
            show: { $0.compactionModel ?? "" }),
        ProxySetting(
            "AUTO_COMPACT", "off|clear_tool_uses|summarize: shorten a conversation past the model's context_length unasked (off: answer \"prompt is too long\", which Claude Code compacts on)",
            default: "off",
            read: { value, c throws(ConfigurationError) in
                guard let mode = AutoCompact(rawValue: value.text.lowercased()) else {
                    throw value.problem("'\(value.text)' is not one of \(AutoCompact.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                c.autoCompact = mode
            },
            show: { $0.autoCompact.rawValue }),
        ProxySetting(
            "PROXY_BACKOFF_ON_429", "retry upstream 429s", default: "1", switch: true,
            read: { value, c throws(ConfigurationError) in c.backoffOn429 = try value.flag() },
            show: { SettingDisplay.flag($0.backoffOn429) }),
        ProxySetting(
            "PROXY_MAX_RETRY_ON_429", "how many times a 429 is retried", default: "1",
            read: { value, c throws(ConfigurationError) in c.maxRetriesOn429 = try value.integer(in: 0...20) },
            show: { String($0.maxRetriesOn429) }),
        ProxySetting(
            "PROXY_MAX_RETRY_AFTER", "the longest wait before a retry in seconds, whatever Retry-After says", default: "2",
            read: { value, c throws(ConfigurationError) in c.maxRetryAfter = try value.seconds() },
            show: { SettingDisplay.seconds($0.maxRetryAfter) }),
        ProxySetting(
            "STREAM_PING_INTERVAL", "seconds of upstream silence after which a ping event keeps a stream alive", default: "15",
            read: { value, c throws(ConfigurationError) in c.pingInterval = try value.seconds() },
            show: { SettingDisplay.seconds($0.pingInterval) }),
        ProxySetting(
            "UPSTREAM_CONNECT_TIMEOUT", "seconds for name resolution, TCP and TLS to the upstream", default: "10",
            read: { value, c throws(ConfigurationError) in c.upstreamConnectTimeout = try value.seconds() },
            show: { SettingDisplay.seconds($0.upstreamConnectTimeout) }),
        ProxySetting(
            "UPSTREAM_TIMEOUT", "seconds until the upstream's response head", default: "600",
            read: { value, c throws(ConfigurationError) in c.upstreamResponseTimeout = try value.seconds() },
            show: { SettingDisplay.seconds($0.upstreamResponseTimeout) }),
        ProxySetting(
            "UPSTREAM_MAX_CONNECTIONS",
            "upstream connections each event-loop thread (REACTOR_THREADS) may have open at once; past it a request waits up to UPSTREAM_POOL_TIMEOUT; 0 is no limit but the descriptor limit (one HTTP/1.1 connection carries one stream; an HTTP/2 one counts as one, however many it carries)",
            default: "0",
            read: { value, c throws(ConfigurationError) in c.upstreamMaxConnections = try value.integer(in: 0...1_000_000) },
            show: { String($0.upstreamMaxConnections) }),
        ProxySetting(
            "UPSTREAM_POOL_TIMEOUT", "seconds a request waits for an upstream connection under UPSTREAM_MAX_CONNECTIONS before it is answered 529 overloaded_error with Retry-After", default: "30",
            read: { value, c throws(ConfigurationError) in c.upstreamPoolTimeout = try value.seconds() },
            show: { SettingDisplay.seconds($0.upstreamPoolTimeout) }),
        ProxySetting(
            "UPSTREAM_HTTP2",
            "HTTP/2 to the upstream: auto offers h2 in TLS (ALPN) and uses it when the upstream picks it, so requests share a few connections; on also speaks h2c (prior knowledge) to http:// upstreams; off is HTTP/1.1 only",
            default: "auto",
            read: { value, c throws(ConfigurationError) in
                guard let mode = HTTP2Mode(rawValue: value.text.lowercased()) else { throw value.problem("'\(value.text)' is not auto, off or on") }
                c.upstreamHTTP2 = mode
            },
            show: { $0.upstreamHTTP2.rawValue }),
        ProxySetting(
            "UPSTREAM_STREAM_IDLE_TIMEOUT", "seconds of silence in a streamed response before it is ended with an error event", default: "300",
            read: { value, c throws(ConfigurationError) in c.upstreamStreamIdleTimeout = try value.seconds() },
            show: { SettingDisplay.seconds($0.upstreamStreamIdleTimeout) }),
        ProxySetting(
            "MAX_CONNECTIONS",
            "client connections served at once; past it a new one is answered 503 (overloaded_error) and closed. Each takes a descriptor, and a stream over an HTTP/1.1 upstream another: 10,000 fills a descriptor limit of 20,000",
            default: "10000",
            read: { value, c throws(ConfigurationError) in c.http.maxConnections = try value.integer(in: 1...1_000_000) },
            show: { String($0.http.maxConnections) }),
        ProxySetting(
            "REACTOR_THREADS", "event-loop threads that serve connections and run their requests; 0 is one per CPU the process may use (taskset and a container's CPU limit count)", default: "0",
            read: { value, c throws(ConfigurationError) in c.reactorThreads = try value.integer(in: 0...256) },
            show: { String($0.reactorThreads) }),
        ProxySetting(
            "SHUTDOWN_GRACE_PERIOD", "seconds requests in flight (streams included) may take to finish after SIGTERM before they are cut", default: "10",
            read: { value, c throws(ConfigurationError) in c.http.shutdownGracePeriod = try value.seconds() },
            show: { SettingDisplay.seconds($0.http.shutdownGracePeriod) }),
        ProxySetting(
            "SHUTDOWN_DELAY", "seconds the proxy keeps serving after SIGTERM with /ready answering 503, for load balancers that poll readiness, before it stops accepting", default: "0",
            read: { value, c throws(ConfigurationError) in c.shutdownDelay = try value.seconds() },
            show: { SettingDisplay.seconds($0.shutdownDelay) }),
        ProxySetting(
            "TLS_CERT_FILE", "PEM certificate chain to serve HTTPS with (with TLS_KEY_FILE)",
            read: { value, c in c.servingTLSFiles.certificateChain = value.text },
            show: { $0.servingTLSFiles.certificateChain ?? "" }),
        ProxySetting(
            "TLS_KEY_FILE", "PEM private key of TLS_CERT_FILE",
            read: { value, c in c.servingTLSFiles.privateKey = value.text },
            show: { $0.servingTLSFiles.privateKey ?? "" }),
        ProxySetting(
            "WEB_SEARCH_PROVIDER", "who answers the web_search server tool: none (the model is told search is unavailable), searxng, brave, tavily, exa; see docs/server-tools.md",
            default: "none",
            read: { value, c throws(ConfigurationError) in
                guard let provider = ServerToolSettings.Provider(rawValue: value.text.lowercased()) else {
                    throw value.problem("'\(value.text)' is not one of \(ServerToolSettings.Provider.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                c.serverTools.provider = provider
            },
            show: { $0.serverTools.provider.rawValue }),
        ProxySetting(
            "WEB_SEARCH_URL", "SearXNG's address (its JSON API at /search); for brave, tavily and exa, a replacement for their API address",
            read: { value, c throws(ConfigurationError) in
                guard let url = HTTPURL(value.text) else { throw value.problem("'\(value.text)' is not an http(s) URL") }
                c.serverTools.searchURL = url
            },
            show: { $0.serverTools.searchURL.map { "\($0.scheme.rawValue)://\($0.hostHeader)\($0.path)" } ?? "" }),
        ProxySetting(
            "WEB_SEARCH_API_KEY", "the search provider's key (brave, tavily, exa)", secret: true,
            read: { value, c in c.serverTools.searchAPIKey = value.text },
            show: { $0.serverTools.searchAPIKey ?? "" }),
        ProxySetting(
            "WEB_TOOLS_TIMEOUT", "seconds one web search or one web fetch (redirects included) may take", default: "15",
            read: { value, c throws(ConfigurationError) in c.serverTools.toolTimeout = try value.seconds() },
            show: { SettingDisplay.seconds($0.serverTools.toolTimeout) }),
        ProxySetting(
            "SERVER_TOOLS_TIME_LIMIT", "seconds one request's server-tool loop (model turns, searches, fetches) may take before it answers with pause_turn", default: "300",
            read: { value, c throws(ConfigurationError) in c.serverTools.loopTimeLimit = try value.seconds() },
            show: { SettingDisplay.seconds($0.serverTools.loopTimeLimit) }),
        ProxySetting(
            "WEB_FETCH_ALLOW_PRIVATE", "let web_fetch reach private, loopback, link-local and metadata addresses (never on a shared proxy)", default: "0", switch: true,
            read: { value, c throws(ConfigurationError) in c.serverTools.fetchAllowPrivate = try value.flag() },
            show: { SettingDisplay.flag($0.serverTools.fetchAllowPrivate) }),
        ProxySetting(
            "WEB_FETCH_MAX_BYTES", "the largest page or PDF web_fetch reads", default: "5242880",
            read: { value, c throws(ConfigurationError) in c.serverTools.fetchMaxBytes = try value.integer(in: 1024...(64 << 20)) },
            show: { String($0.serverTools.fetchMaxBytes) }),
        ProxySetting(
            "DEBUG_PROXY", "translation details in the log; the same as LOG_LEVEL=debug (keys never appear)", default: "0", switch: true,
            read: { value, c throws(ConfigurationError) in c.debug = try value.flag() },
            show: { SettingDisplay.flag($0.debug) }),
        ProxySetting(
            "LOG_LEVEL", "info writes one access line per request; debug adds detail; also " + Logger.Level.allCases.map(\.rawValue).joined(separator: ", "), default: "info",
            read: { value, c throws(ConfigurationError) in
                guard let level = Logger.Level(rawValue: value.text.lowercased()) else {
                    throw value.problem("'\(value.text)' is not one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                c.logLevel = level
            },
            show: { $0.logLevel.rawValue }),
        ProxySetting(
            "LOG_FORMAT", "log lines as json or text", default: "json",
            read: { value, c throws(ConfigurationError) in
                guard let format = LogFormat(rawValue: value.text.lowercased()) else { throw value.problem("'\(value.text)' is not json or text") }
                c.logFormat = format
            },
            show: { $0.logFormat.rawValue }),
        ProxySetting(
            "METRICS_ENABLED", "record metrics and serve them at GET /metrics", default: "1", switch: true,
            read: { value, c throws(ConfigurationError) in c.metricsEnabled = try value.flag() },
            show: { SettingDisplay.flag($0.metricsEnabled) }),
        ProxySetting(
            "METRICS_REQUIRE_KEY", "/metrics asks for an inbound key too", default: "0", switch: true,
            read: { value, c throws(ConfigurationError) in c.metricsRequireKey = try value.flag() },
            show: { SettingDisplay.flag($0.metricsRequireKey) }),
        ProxySetting(
            "PROXY_API_KEYS", "comma-separated keys a client must present (x-api-key or Authorization: Bearer); unset: open", secret: true, refusesBlank: true,
            read: { value, c in c.inboundKeySources.list = value.text },
            show: { $0.inboundKeySources.list ?? "" }),
        ProxySetting(
            "PROXY_API_KEYS_FILE", "a file of inbound keys, one per line (# comments), with PROXY_API_KEYS", refusesBlank: true,
            read: { value, c in c.inboundKeySources.file = value.text },
            show: { $0.inboundKeySources.file ?? "" }),
        ProxySetting(
            "PROXY_KEYS_FILE",
            "a JSON file of named keys with limits and allowed models (docs/running-for-a-team.md); reloaded on SIGHUP and when it changes",
            refusesBlank: true,
            read: { value, c in c.keysFile = value.text },
            show: { $0.keysFile ?? "" }),
        ProxySetting(
            "PROXY_KEYS_RELOAD_INTERVAL", "seconds between checks of PROXY_KEYS_FILE for a change (0: only on SIGHUP)", default: "5",
            read: { value, c throws(ConfigurationError) in c.keysReloadInterval = try value.seconds() },
            show: { SettingDisplay.seconds($0.keysReloadInterval) }),
        ProxySetting(
            "RATE_LIMIT_REDIS_URL", "redis://[user:password@]host[:port][/db]: keep the named keys' counters in Redis or Valkey, shared by replicas; unset: in this process",
            // Not `secret`: shown with its password replaced, so the address stays visible.
            read: { value, c throws(ConfigurationError) in c.rateLimitRedis = try RedisURL(value.text) },
            show: { $0.rateLimitRedis?.redacted ?? "" }),
        ProxySetting(
            "RATE_LIMIT_REDIS_TIMEOUT", "seconds a connect or a command to RATE_LIMIT_REDIS_URL may take before the request is served uncounted", default: "0.25",
            read: { value, c throws(ConfigurationError) in
                let timeout = try value.seconds()
                guard timeout > .zero else { throw value.problem("must be more than 0") }
                c.rateLimitRedisTimeout = timeout
            },
            show: { SettingDisplay.seconds($0.rateLimitRedisTimeout) }),
    ]
}

extension ModelMap {
    /// The map in `MODEL_MAP`'s JSON form.
    var jsonText: String {
        JSONValue.object(
            JSONObject(
                entries.map { entry in
                    (entry.pattern, entry.models.count == 1 ? JSONValue(entry.models[0]) : .array(entry.models.map { JSONValue($0) }))
                })
        ).jsonText
    }
}

extension ToolNameMapping.Rules {
    /// The rules in `TOOL_NAME_MAP`'s JSON form, keys sorted.
    var jsonText: String {
        var object = JSONObject(global.sorted { $0.key < $1.key }.map { ($0.key, JSONValue($0.value)) })
        for (model, renames) in perModel.sorted(by: { $0.key < $1.key }) {
            object.append(key: model, value: .object(JSONObject(renames.sorted { $0.key < $1.key }.map { ($0.key, JSONValue($0.value)) })))
        }
        return JSONValue.object(object).jsonText
    }
}
