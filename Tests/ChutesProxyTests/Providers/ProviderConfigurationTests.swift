import Foundation
import HTTP1
import Testing

@testable import ChutesProxy

/// `PROVIDERS` and `PROVIDERS_FILE` read into provider definitions; each mistake a
/// `ConfigurationError` naming the setting, the entry and the field.
@Suite struct ProviderConfigurationTests {
    static let openRouter = #"{"name":"openrouter","base_url":"https://openrouter.ai/api","api_key_env":"OPENROUTER_API_KEY"}"#

    @Test func everyFieldIsRead() throws {
        let keyFile = NSTemporaryDirectory() + "providers-key-\(UUID().uuidString)"
        try "  file-key-0123456789\n".write(toFile: keyFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: keyFile) }
        let configuration = try ProxyConfiguration(environment: [
            "OPENROUTER_API_KEY": "sk-or-0123456789",
            "PROVIDERS": """
            [\(Self.openRouter.dropLast()),"auth":"bearer","headers":{"HTTP-Referer":"https://example.com","X-Title":"proxy"},"max_connections":8,
              "connect_timeout":2.5,"response_timeout":90,"stream_idle_timeout":30,"max_tokens_field":"max_completion_tokens","reasoning_field":"reasoning",
              "chat_template_kwargs":false,"stream_options":false,"reasoning_effort":false},
             {"name":"deepseek","base_url":"https://api.deepseek.com","api_key_file":"\(keyFile)","auth":"x-api-key"},
             {"name":"ollama","base_url":"http://127.0.0.1:11434","auth":"X-Ollama-Key","models_endpoint":null}]
            """,
        ])
        #expect(configuration.providers.map(\.name) == ["openrouter", "deepseek", "ollama"])
        let openRouter = configuration.providers[0]
        #expect(openRouter.baseURL == HTTPURL("https://openrouter.ai/api"))
        #expect(openRouter.apiKey == "sk-or-0123456789" && openRouter.apiKeySource == "api_key_env OPENROUTER_API_KEY")
        #expect(openRouter.auth == .bearer && openRouter.headers == ["HTTP-Referer": "https://example.com", "X-Title": "proxy"])
        #expect(openRouter.maxConnections == 8 && openRouter.connectTimeout == .milliseconds(2500))
        #expect(openRouter.responseTimeout == .seconds(90) && openRouter.streamIdleTimeout == .seconds(30))
        #expect(openRouter.modelsEndpoint == "/v1/models")
        #expect(openRouter.quirks.maxTokensField == .maxCompletionTokens && openRouter.quirks.reasoningField == .reasoning)
        #expect(!openRouter.quirks.sendsChatTemplateKwargs && !openRouter.quirks.sendsStreamOptions && !openRouter.quirks.sendsReasoningEffort)
        let deepSeek = configuration.providers[1]
        #expect(deepSeek.apiKey == "file-key-0123456789" && deepSeek.auth == .xAPIKey && deepSeek.quirks == ProviderQuirks())
        let ollama = configuration.providers[2]
        #expect(ollama.apiKey == nil && ollama.modelsEndpoint == nil && ollama.auth == .header("X-Ollama-Key"))
        // A provider's own limits win; what it leaves out is the UPSTREAM_* settings'.
        let client = configuration.clientConfiguration(for: openRouter)
        #expect(client.maxConnectionsPerOrigin == 8 && client.connectTimeout == .milliseconds(2500) && client.responseHeadTimeout == .seconds(90))
        #expect(configuration.clientConfiguration(for: ollama).responseHeadTimeout == configuration.upstreamResponseTimeout)
    }

    @Test func theFileFormIsReadAndExcludesTheOther() throws {
        let file = NSTemporaryDirectory() + "providers-\(UUID().uuidString).json"
        try "[\(Self.openRouter)]".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let environment = ["PROVIDERS_FILE": file, "OPENROUTER_API_KEY": "sk-or-0123456789"]
        #expect(try ProxyConfiguration(environment: environment).providers.map(\.name) == ["openrouter"])
        #expect(throws: ConfigurationError(variable: "PROVIDERS_FILE", problem: "PROVIDERS is set too; set one of them")) {
            _ = try ProxyConfiguration(environment: environment.merging(["PROVIDERS": "[\(Self.openRouter)]"]) { $1 })
        }
        #expect(throws: ConfigurationError(variable: "PROVIDERS_FILE", problem: "cannot read /no/such/providers.json")) {
            _ = try ProxyConfiguration(environment: ["PROVIDERS_FILE": "/no/such/providers.json"])
        }
        // A mistake in the file names PROVIDERS_FILE.
        try #"[{"name":"x","base_url":"ftp://x"}]"#.write(toFile: file, atomically: true, encoding: .utf8)
        let error = try #require(throws: ConfigurationError.self) { try ProxyConfiguration(environment: ["PROVIDERS_FILE": file]) }
        #expect(error.variable == "PROVIDERS_FILE" && error.problem.hasPrefix(#"provider 1 ("x"): "base_url""#))
    }

    @Test(arguments: [
        (#"{"name":"x"}"#, "must be a JSON array of providers"),
        (#"["x"]"#, "provider 1: must be a JSON object"),
        (#"[{"base_url":"http://a"}]"#, #"provider 1: "name": is required"#),
        (#"[{"name":"Open Router","base_url":"http://a"}]"#, #"provider 1: "name": 'Open Router' is not a provider name"#),
        (#"[{"name":"chutes","base_url":"http://a"}]"#, #"provider 1 ("chutes"): "name": "chutes" is the default provider"#),
        (#"[{"name":"a","base_url":"http://a"},{"name":"a","base_url":"http://b"}]"#, #"provider 2 ("a"): "name": another provider is named "a" already"#),
        (#"[{"name":"a","base_url":"http://a","baseurl":"x"}]"#, #"provider 1 ("a"): "baseurl": unknown field"#),
        (#"[{"name":"a"}]"#, #"provider 1 ("a"): "base_url": is required"#),
        (#"[{"name":"a","base_url":"openrouter.ai"}]"#, #"provider 1 ("a"): "base_url": 'openrouter.ai' is not an http(s) URL"#),
        (#"[{"name":"a","base_url":"http://a","api_key_env":"NOT_SET_ANYWHERE"}]"#, #"provider 1 ("a"): "api_key_env": the environment variable NOT_SET_ANYWHERE is not set"#),
        (#"[{"name":"a","base_url":"http://a","api_key_env":"K","api_key_file":"/k"}]"#, #"provider 1 ("a"): "api_key_env": api_key_file is set too"#),
        (#"[{"name":"a","base_url":"http://a","api_key_file":"/no/such/key"}]"#, #"provider 1 ("a"): "api_key_file": cannot read /no/such/key"#),
        (#"[{"name":"a","base_url":"http://a","auth":"bad header"}]"#, #"provider 1 ("a"): "auth": 'bad header' is neither"#),
        (#"[{"name":"a","base_url":"http://a","headers":["X"]}]"#, #"provider 1 ("a"): "headers": must be a JSON object"#),
        (#"[{"name":"a","base_url":"http://a","headers":{"X-A":"b\nc"}}]"#, #"provider 1 ("a"): "headers": the value of X-A"#),
        (#"[{"name":"a","base_url":"http://a","max_connections":-1}]"#, #"provider 1 ("a"): "max_connections": must be a whole number"#),
        (#"[{"name":"a","base_url":"http://a","response_timeout":"60"}]"#, #"provider 1 ("a"): "response_timeout": must be a number of seconds"#),
        (#"[{"name":"a","base_url":"http://a","models_endpoint":"v1/models"}]"#, #"provider 1 ("a"): "models_endpoint": must be a path"#),
        (#"[{"name":"a","base_url":"http://a","max_tokens_field":"tokens"}]"#, #"provider 1 ("a"): "max_tokens_field": must be"#),
        (#"[{"name":"a","base_url":"http://a","reasoning_field":"thoughts"}]"#, #"provider 1 ("a"): "reasoning_field": must be"#),
        (#"[{"name":"a","base_url":"http://a","stream_options":"no"}]"#, #"provider 1 ("a"): "stream_options": must be true or false"#),
    ])
    func mistakesNameTheSettingTheEntryAndTheField(json: String, problem: String) throws {
        let error = try #require(throws: ConfigurationError.self) { try ProxyConfiguration(environment: ["PROVIDERS": json, "K": "key-0123456789"]) }
        #expect(error.variable == "PROVIDERS")
        #expect(error.problem.hasPrefix(problem), "\(error.problem)")
    }

    @Test func printConfigDescribesEveryProviderButNeverAKey() throws {
        let environment = [
            "CHUTES_API_KEY": "cpk_0123456789", "OPENROUTER_API_KEY": "sk-or-0123456789",
            "PROVIDERS":
                #"[{"name":"openrouter","base_url":"https://openrouter.ai/api","api_key_env":"OPENROUTER_API_KEY","auth":"x-api-key","headers":{"X-Title":"t"},"response_timeout":90,"stream_options":false}]"#,
        ]
        let configuration = try ProxyConfiguration(environment: environment)
        let described = configuration.routingDescription
        #expect(described.contains("  provider chutes: https://llm.chutes.ai/\n    key: CHUTES_AUTH_STYLE=both (CHUTES_API_KEY set), sent as bearer"))
        #expect(described.contains("  provider openrouter: https://openrouter.ai/api\n    key: api_key_env OPENROUTER_API_KEY, sent as x-api-key\n    headers: X-Title"))
        #expect(described.contains("    limits: response_timeout=90\n    quirks: stream_options=false"))
        let printed = configuration.printableSettings(environment: environment).joined(separator: "\n") + described
        #expect(!printed.contains("sk-or-0123456789") && !printed.contains("cpk_0123456789"))
        // Without PROVIDERS the description is as it was: no provider section.
        #expect(!(try ProxyConfiguration(environment: [:])).routingDescription.contains("provider"))
    }

    @Test func withoutProvidersTheDefaultProviderIsTheChutesSettings() throws {
        let configuration = try ProxyConfiguration(environment: ["CHUTES_BASE_URL": "http://upstream.test:8000/prefix", "CHUTES_API_KEY": "cpk_0123456789"])
        #expect(configuration.providers.isEmpty)
        let chutes = configuration.defaultProvider
        #expect(chutes.name == "chutes" && chutes.baseURL == HTTPURL("http://upstream.test:8000/prefix") && chutes.apiKey == "cpk_0123456789")
        #expect(chutes.auth == .bearer && chutes.modelsEndpoint == "/v1/models" && chutes.quirks == ProviderQuirks())
    }

    /// A client may name any provider, so a provider's key is spent by anyone who reaches an
    /// open port, even with `CHUTES_AUTH_STYLE=header` (which keeps `CHUTES_API_KEY` out).
    @Test func startUpWarnsThatAProvidersKeyIsOpenToTheNetwork() throws {
        var environment = ["HOST": "0.0.0.0", "CHUTES_AUTH_STYLE": "header", "CHUTES_API_KEY": "cpk_0123456789", "OPENROUTER_API_KEY": "sk-or-0123456789"]
        #expect(try ProxyConfiguration(environment: environment).openRelayWarning(port: 8080) == nil)
        environment["PROVIDERS"] = "[\(Self.openRouter)]"
        let warning = try #require(try ProxyConfiguration(environment: environment).openRelayWarning(port: 8080))
        #expect(warning.contains("the openrouter provider's key") && !warning.contains("CHUTES_API_KEY") && !warning.contains("sk-or-0123456789"))
        environment["CHUTES_AUTH_STYLE"] = "both"
        #expect(try ProxyConfiguration(environment: environment).openRelayWarning(port: 8080)?.contains("CHUTES_API_KEY, the openrouter provider's key") == true)
        environment["HOST"] = "127.0.0.1"
        #expect(try ProxyConfiguration(environment: environment).openRelayWarning(port: 8080) == nil)
        environment["HOST"] = "0.0.0.0"
        environment["CHUTES_AUTH_STYLE"] = "env"
        environment["PROXY_API_KEYS"] = "proxy-key-0123456789"
        #expect(try ProxyConfiguration(environment: environment).openRelayWarning(port: 8080) == nil)
    }
}
