import HTTP1
import JSON
import Translation

/// One OpenAI-compatible upstream the proxy may send requests to: where it is, its key and
/// how the key is sent, its connection limits, where its model list is, and its quirks.
///
/// The default provider, `chutes`, is made from the `CHUTES_*` and `UPSTREAM_*` settings
/// (`ProxyConfiguration.defaultProvider`); others come from `PROVIDERS` or `PROVIDERS_FILE`,
/// a JSON array of entries read by `list(json:variable:environment:)`:
///
///     [{"name": "openrouter", "base_url": "https://openrouter.ai/api", "api_key_env": "OPENROUTER_API_KEY",
///       "headers": {"X-Title": "claude-chutes-proxy"}, "reasoning_field": "reasoning"},
///      {"name": "ollama", "base_url": "http://127.0.0.1:11434", "models_endpoint": null}]
public struct ProviderDefinition: Sendable, Equatable {
    /// The name of the provider the `CHUTES_*` settings describe.
    public static let defaultName = "chutes"

    /// How the provider's key is sent.
    public enum Auth: Sendable, Equatable {
        /// `Authorization: Bearer <key>`.
        case bearer
        /// `x-api-key: <key>`.
        case xAPIKey
        /// `<name>: <key>`.
        case header(String)

        /// The header the key goes in, and its value.
        func field(for key: String) -> (name: String, value: String) {
            switch self {
            case .bearer: ("Authorization", "Bearer \(key)")
            case .xAPIKey: ("x-api-key", key)
            case .header(let name): (name, key)
            }
        }

        /// As `PROVIDERS` spells it.
        var text: String {
            switch self {
            case .bearer: "bearer"
            case .xAPIKey: "x-api-key"
            case .header(let name): name
            }
        }
    }

    /// `[a-z0-9][a-z0-9_-]{0,31}`: the left side of `name::model`.
    public var name: String
    /// Where `/v1/chat/completions` and the model list are, a path prefix kept.
    public var baseURL: HTTPURL
    /// The provider's own key; nil: none is sent (a local Ollama).
    public var apiKey: String?
    /// Where the key was read from (`api_key_env OPENROUTER_API_KEY`), shown instead of it.
    public var apiKeySource: String?
    /// How the key is sent.
    public var auth = Auth.bearer
    /// Sent with every request to this provider (`HTTP-Referer`, `X-Title`).
    public var headers = HTTPHeaders()
    /// Connections each reactor may hold to it; nil: `UPSTREAM_MAX_CONNECTIONS`.
    public var maxConnections: Int?
    /// Nil: `UPSTREAM_CONNECT_TIMEOUT`.
    public var connectTimeout: Duration?
    /// Nil: `UPSTREAM_TIMEOUT`.
    public var responseTimeout: Duration?
    /// Nil: `UPSTREAM_STREAM_IDLE_TIMEOUT`.
    public var streamIdleTimeout: Duration?
    /// The model list's path under `baseURL`; nil: the provider lists no models.
    public var modelsEndpoint: String? = "/v1/models"
    /// Where its server differs from Chutes.
    public var quirks = ProviderQuirks()

    /// A provider with Chutes' defaults at `baseURL`.
    public init(name: String, baseURL: HTTPURL, apiKey: String? = nil) {
        self.name = name
        self.baseURL = baseURL
        self.apiKey = apiKey
    }

    /// Whether `name` may name a provider: `[a-z0-9][a-z0-9_-]{0,31}`.
    static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...32).contains(bytes.count) else { return false }
        func alphanumeric(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) }
        return alphanumeric(bytes[0]) && bytes.dropFirst().allSatisfy { alphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// The entry keys `PROVIDERS` reads.
    static let keys =
        [
            "name", "base_url", "api_key_env", "api_key_file", "auth", "headers", "max_connections", "connect_timeout", "response_timeout", "stream_idle_timeout",
            "models_endpoint",
        ] + ProviderQuirks.keys

    /// Reads `PROVIDERS`' JSON array; `variable` names the setting in errors (`PROVIDERS`, or
    /// `PROVIDERS_FILE`); `environment` holds the variables `api_key_env` names. Every problem
    /// names the entry and the field.
    public static func list(json text: String, variable: String, environment: [String: String]) throws(ConfigurationError) -> [ProviderDefinition] {
        guard let value = try? JSONValue(parsing: text), let array = value.arrayValue else {
            throw ConfigurationError(
                variable: variable, problem: #"must be a JSON array of providers, e.g. [{"name":"openrouter","base_url":"https://openrouter.ai/api","api_key_env":"OPENROUTER_API_KEY"}]"#)
        }
        var providers: [ProviderDefinition] = []
        for (index, entry) in array.enumerated() {
            let provider = try EntryReader(variable: variable, index: index, entry: entry, environment: environment).read()
            guard !providers.contains(where: { $0.name == provider.name }) else {
                throw ConfigurationError(variable: variable, problem: "provider \(index + 1) (\"\(provider.name)\"): \"name\": another provider is named \"\(provider.name)\" already")
            }
            providers.append(provider)
        }
        return providers
    }
}

extension ProviderDefinition {
    /// A provider as `check` and `--print-config` describe it: where it is, where its key
    /// comes from (never the key), how it is sent, its headers' names, its own limits and
    /// its quirks.
    var describedLines: [String] {
        var lines = ["provider \(name): \(baseURL)"]
        lines.append("  key: " + (apiKeySource.map { "\($0), sent as \(auth.text)" } ?? "none"))
        let headerNames = headers.map(\.name)
        if !headerNames.isEmpty { lines.append("  headers: " + headerNames.joined(separator: ", ")) }
        var limits: [String] = []
        if let connections = maxConnections { limits.append("max_connections=\(connections)") }
        if let timeout = connectTimeout { limits.append("connect_timeout=\(SettingDisplay.seconds(timeout))") }
        if let timeout = responseTimeout { limits.append("response_timeout=\(SettingDisplay.seconds(timeout))") }
        if let timeout = streamIdleTimeout { limits.append("stream_idle_timeout=\(SettingDisplay.seconds(timeout))") }
        if !limits.isEmpty { lines.append("  limits: " + limits.joined(separator: " ")) }
        let differences = quirks.differences
        if !differences.isEmpty { lines.append("  quirks: " + differences.joined(separator: " ")) }
        return lines
    }
}

/// One entry of `PROVIDERS` read field by field, each problem naming the entry and the field.
private struct EntryReader {
    let variable: String
    let index: Int
    let entry: JSONValue
    let environment: [String: String]

    func fail(_ field: String?, _ problem: String, name: String? = nil) -> ConfigurationError {
        let label = "provider \(index + 1)" + (name.map { " (\"\($0)\")" } ?? "")
        return ConfigurationError(variable: variable, problem: label + (field.map { ": \"\($0)\"" } ?? "") + ": " + problem)
    }

    func read() throws(ConfigurationError) -> ProviderDefinition {
        guard let object = entry.objectValue else { throw fail(nil, "must be a JSON object with at least \"name\" and \"base_url\"") }
        let givenName = object["name"]?.stringValue
        for key in object.keys where !ProviderDefinition.keys.contains(key) {
            throw fail(key, "unknown field (fields: \(ProviderDefinition.keys.joined(separator: ", ")))", name: givenName)
        }
        guard let name = givenName else { throw fail("name", "is required: a name of lower-case letters, digits, - and _", name: nil) }
        guard ProviderDefinition.isValidName(name) else {
            throw fail("name", "'\(name)' is not a provider name: 1 to 32 of a-z, 0-9, - and _, starting with a letter or digit")
        }
        guard name != ProviderDefinition.defaultName else {
            throw fail("name", "\"chutes\" is the default provider, set by CHUTES_BASE_URL and CHUTES_API_KEY; give this one another name", name: name)
        }
        func field(_ key: String, _ problem: String) -> ConfigurationError { fail(key, problem, name: name) }

        guard let urlText = object["base_url"]?.stringValue else { throw field("base_url", "is required: the server's http(s) URL, e.g. https://openrouter.ai/api") }
        guard let baseURL = HTTPURL(urlText), baseURL.query == nil else { throw field("base_url", "'\(urlText)' is not an http(s) URL without a query") }
        var provider = ProviderDefinition(name: name, baseURL: baseURL)

        switch (object["api_key_env"], object["api_key_file"]) {
        case (_?, _?):
            throw field("api_key_env", "api_key_file is set too; give the key one way")
        case (let variableName?, nil):
            guard let variableName = variableName.stringValue, !variableName.isEmpty else { throw field("api_key_env", "must be the name of an environment variable") }
            guard let key = environment[variableName]?.trimmingWhitespace, !key.isEmpty else {
                throw field("api_key_env", "the environment variable \(variableName) is not set")
            }
            provider.apiKey = String(key)
            provider.apiKeySource = "api_key_env \(variableName)"
        case (nil, let path?):
            guard let path = path.stringValue, !path.isEmpty else { throw field("api_key_file", "must be the path of a file holding the key") }
            guard let text = ProxyConfiguration.readTextFile(path) else { throw field("api_key_file", "cannot read \(path)") }
            let key = text.trimmingWhitespace
            guard !key.isEmpty else { throw field("api_key_file", "\(path) is empty") }
            provider.apiKey = String(key)
            provider.apiKeySource = "api_key_file \(path)"
        case (nil, nil):
            break
        }
        if let key = provider.apiKey, !Self.isHeaderValue(key) {
            throw field(object["api_key_env"] != nil ? "api_key_env" : "api_key_file", "the key holds a control character")
        }

        if let auth = object["auth"] {
            guard let text = auth.stringValue, !text.isEmpty else { throw field("auth", #"must be "bearer", "x-api-key" or a header name"#) }
            switch text.lowercased() {
            case "bearer": provider.auth = .bearer
            case "x-api-key": provider.auth = .xAPIKey
            default:
                guard Self.isHeaderName(text) else { throw field("auth", "'\(text)' is neither bearer, x-api-key nor a header name") }
                provider.auth = .header(text)
            }
        }
        if let headers = object["headers"] {
            guard let fields = headers.objectValue else { throw field("headers", #"must be a JSON object of header names and values, e.g. {"X-Title":"my app"}"#) }
            for (headerName, value) in fields {
                guard Self.isHeaderName(headerName) else { throw field("headers", "'\(headerName)' is not a header name") }
                guard let value = value.stringValue, Self.isHeaderValue(value) else { throw field("headers", "the value of \(headerName) must be a string without control characters") }
                provider.headers.add(name: headerName, value: value)
            }
        }
        if let connections = object["max_connections"] {
            guard let count = connections.intValue, (0...100_000).contains(count) else { throw field("max_connections", "must be a whole number from 0 (no limit) to 100000") }
            provider.maxConnections = count
        }
        provider.connectTimeout = try seconds(object, "connect_timeout", name: name)
        provider.responseTimeout = try seconds(object, "response_timeout", name: name)
        provider.streamIdleTimeout = try seconds(object, "stream_idle_timeout", name: name)
        if let endpoint = object["models_endpoint"] {
            if endpoint.isNull || endpoint.stringValue == "" {
                provider.modelsEndpoint = nil
            } else {
                guard let path = endpoint.stringValue, path.hasPrefix("/"), Self.isHeaderValue(path), !path.contains(" ") else {
                    throw field("models_endpoint", "must be a path under base_url such as /v1/models, or null for none")
                }
                provider.modelsEndpoint = path
            }
        }
        provider.quirks = try quirks(object, name: name)
        return provider
    }

    private func seconds(_ object: JSONObject, _ key: String, name: String) throws(ConfigurationError) -> Duration? {
        guard let value = object[key] else { return nil }
        guard let number = value.doubleValue, number > 0, number <= Double(SettingText.maximumSeconds),
            let duration = Duration.seconds(untrusted: number, maximum: .seconds(SettingText.maximumSeconds))
        else { throw fail(key, "must be a number of seconds above 0 and at most \(SettingText.maximumSeconds)", name: name) }
        return duration
    }

    private func quirks(_ object: JSONObject, name: String) throws(ConfigurationError) -> ProviderQuirks {
        var quirks = ProviderQuirks()
        if let value = object["max_tokens_field"] {
            guard let field = value.stringValue.flatMap(MaxTokensField.init(rawValue:)) else {
                throw fail("max_tokens_field", #"must be "max_tokens" or "max_completion_tokens""#, name: name)
            }
            quirks.maxTokensField = field
        }
        if let value = object["reasoning_field"] {
            guard let field = value.stringValue.flatMap(ReasoningField.init(rawValue:)) else {
                throw fail("reasoning_field", #"must be "reasoning_content", "reasoning" or "none""#, name: name)
            }
            quirks.reasoningField = field
        }
        func flag(_ key: String) throws(ConfigurationError) -> Bool {
            guard let value = object[key] else { return true }
            guard let flag = value.boolValue else { throw fail(key, "must be true or false", name: name) }
            return flag
        }
        quirks.sendsChatTemplateKwargs = try flag("chat_template_kwargs")
        quirks.sendsStreamOptions = try flag("stream_options")
        quirks.sendsReasoningEffort = try flag("reasoning_effort")
        return quirks
    }

    /// An RFC 9110 token: what a header name may be.
    static func isHeaderName(_ text: String) -> Bool {
        !text.isEmpty
            && text.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
            }
    }

    /// No control characters (no CR or LF that would end the header early).
    static func isHeaderValue(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x20 && $0 != 0x7F }
    }
}
