import HTTP1
import JSON

/// `claude-chutes-proxy check`: with a configuration that was read without error, reaches the
/// upstream, lists its models and looks for settings that cannot work. Nothing is sent that
/// costs tokens (listing models is free), so the key itself is not proven: Chutes lists its
/// models to anyone.
public enum ConfigurationCheck {
    /// What `check` found: lines to print, and the problems that make it fail.
    public struct Report: Sendable {
        /// What was found, for a person to read.
        public var lines: [String] = []
        /// What stops the proxy from working; empty when it can.
        public var problems: [String] = []
        /// Whether no problem was found.
        public var passed: Bool { problems.isEmpty }
    }

    /// Validates `configuration`, reaches each provider and lists its models.
    public static func run(_ configuration: ProxyConfiguration) async -> Report {
        var report = Report()
        let base = configuration.upstreamBaseURL
        report.lines.append("upstream: \(base)")
        let key = configuration.upstreamAPIKey
        switch (configuration.authStyle, key) {
        case (.env, nil):
            report.problems.append("CHUTES_AUTH_STYLE=env but CHUTES_API_KEY is not set: no request could be authenticated")
        case (.header, _):
            report.lines.append("upstream key: the client's own (CHUTES_AUTH_STYLE=header)")
        case (_, _?):
            report.lines.append("upstream key: CHUTES_API_KEY is set")
        case (.both, nil):
            report.lines.append("upstream key: the client's own (CHUTES_API_KEY is not set)")
        }
        // Whatever a provider says is scrubbed of every configured key.
        let redactor = SecretRedactor(secrets: [key] + configuration.providers.map(\.apiKey))
        var headers = HTTPHeaders()
        if let key, configuration.authStyle != .header { headers.add(name: "Authorization", value: "Bearer \(key)") }
        let listed = await list(configuration.defaultProvider, configuration: configuration, authentication: headers, redactor: redactor)
        switch listed {
        case .failure(let problem):
            report.problems.append(problem.text)
            return report
        case .success(let models):
            report.lines.append("models offered: \(models.count)")
            report.lines += models.sorted().map { "  \($0)" }
            report.lines += unknownMapTargets(configuration.modelMap, provider: nil, offered: models).map {
                "warning: MODEL_MAP sends requests to \($0), which the upstream does not list"
            }
        }
        for provider in configuration.providers {
            report.lines += provider.describedLines
            guard let endpoint = provider.modelsEndpoint else {
                report.lines.append("  models: not listed (models_endpoint null)")
                continue
            }
            var authentication = HTTPHeaders()
            Upstream.authenticate(&authentication, for: provider, key: provider.apiKey)
            switch await list(provider, configuration: configuration, authentication: authentication, redactor: redactor) {
            case .failure(let problem):
                report.problems.append("provider \(provider.name): \(problem.text)")
            case .success(let models):
                report.lines.append("  models offered (\(endpoint)): \(models.count)")
                report.lines += models.sorted().map { "    \(provider.name)::\($0)" }
                report.lines += unknownMapTargets(configuration.modelMap, provider: provider.name, offered: models).map {
                    "warning: MODEL_MAP sends requests to \($0), which provider \(provider.name) does not list"
                }
            }
        }
        return report
    }

    /// The ids of a provider's model list, or what went wrong (the operator's own check: the
    /// whole story, address included, the keys scrubbed).
    private static func list(
        _ provider: ProviderDefinition, configuration: ProxyConfiguration, authentication: HTTPHeaders, redactor: SecretRedactor
    ) async -> Result<[String], Problem> {
        let client: HTTPClient
        do {
            client = try HTTPClient(configuration: configuration.clientConfiguration(for: provider))
        } catch {
            return .failure(Problem(text: "cannot load the upstream trust store: \(error)"))
        }
        defer { client.shutdown() }
        var headers: HTTPHeaders = ["Accept": "application/json"]
        for field in authentication { headers.add(name: field.name, value: field.value) }
        let url = provider.baseURL.appending(provider.modelsEndpoint ?? "/v1/models")
        let body: [UInt8]
        let status: HTTPStatus
        do {
            let response = try await client.execute(HTTPClientRequest(method: .get, url: url, headers: headers))
            status = response.status
            body = try await response.body.collect(upTo: 16 << 20)
        } catch {
            return .failure(Problem(text: "GET \(url) failed: \(error)"))
        }
        guard status == .ok else {
            return .failure(Problem(text: "GET \(url) answered \(status): \(UpstreamErrors.message(in: body, redactor: redactor))"))
        }
        guard let models = (try? JSONValue(parsing: body))?["data"]?.arrayValue?.compactMap({ $0["id"]?.stringValue }) else {
            return .failure(Problem(text: "GET \(url) answered 200 but not with an OpenAI model list ({\"data\":[{\"id\":...}]})"))
        }
        return .success(models)
    }

    /// What stopped a model list from being read.
    private struct Problem: Error {
        var text: String
    }

    /// `MODEL_MAP` targets on `provider` (nil: the default one) missing from its list,
    /// ignoring case, `:suffix` routing hints and the members of `a,b` pools that are listed.
    static func unknownMapTargets(_ map: ModelMap, provider: String?, offered: [String]) -> [String] {
        let known = Set(offered.map { $0.lowercased() })
        var missing: [String] = []
        for target in map.entries.flatMap(\.models) where !missing.contains(target) {
            let named = ModelTarget(target)
            guard named.provider == provider else { continue }
            let members = provider == nil ? ModelPool(named.model).members.map(\.name) : [named.model]
            if members.contains(where: { !known.contains($0.lowercased()) }) { missing.append(target) }
        }
        return missing
    }
}

/// `claude-chutes-proxy healthcheck`: asks a proxy on this machine for `/health`, as a
/// container's HEALTHCHECK does (the runtime image has no curl).
public enum HealthProbe {
    /// Nil when the proxy at the configured port answered 200, else what went wrong. The
    /// address is the loopback one matching `HOST` (or `HOST` itself when it names one
    /// interface); with HTTPS served, the certificate must be valid for that address.
    public static func check(_ configuration: ProxyConfiguration, timeout: Duration = .seconds(3)) async -> String? {
        let host: String
        switch configuration.host {
        case "0.0.0.0", "localhost", "": host = "127.0.0.1"
        case "::": host = "[::1]"
        case let address where address.contains(":"): host = "[\(address)]"
        case let address: host = address
        }
        let scheme = configuration.http.tls == nil ? "http" : "https"
        guard let url = HTTPURL("\(scheme)://\(host):\(configuration.port)/health") else {
            return "cannot form a URL for \(configuration.host):\(configuration.port)"
        }
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.connectTimeout = timeout
        clientConfiguration.responseHeadTimeout = timeout
        clientConfiguration.betweenChunksTimeout = timeout
        if let certificate = configuration.servingTLSFiles.certificateChain { clientConfiguration.trustRoots = .file(certificate) }
        do {
            let client = try HTTPClient(configuration: clientConfiguration)
            let response = try await client.execute(HTTPClientRequest(method: .get, url: url, headers: ["Connection": "close"]))
            _ = try? await response.body.collect(upTo: 1 << 16)
            return response.status == .ok ? nil : "GET \(url) answered \(response.status)"
        } catch {
            return "GET \(url) failed: \(error)"
        }
    }
}
