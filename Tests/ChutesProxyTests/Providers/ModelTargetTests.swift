import Testing

@testable import ChutesProxy

/// Targets that name a provider: `provider::model` and `{"provider": ..., "model": ...}` in
/// `MODEL_MAP` and `ROUTES`, checked against the configured providers at start-up.
@Suite struct ModelTargetTests {
    static let providers = #"[{"name":"openrouter","base_url":"https://openrouter.ai/api"},{"name":"ollama","base_url":"http://127.0.0.1:11434"}]"#

    @Test func theShortFormSplitsAtTheFirstDoubleColonOnly() {
        #expect(ModelTarget("openrouter::deepseek/deepseek-chat") == ModelTarget(provider: "openrouter", model: "deepseek/deepseek-chat"))
        #expect(ModelTarget("ollama::llama3.2:3b") == ModelTarget(provider: "ollama", model: "llama3.2:3b"))
        // Chutes' own names keep their single colons and commas: the default provider's.
        #expect(ModelTarget("deepseek-ai/DeepSeek-V3.1:latency,zai-org/GLM-4.6") == ModelTarget(provider: nil, model: "deepseek-ai/DeepSeek-V3.1:latency,zai-org/GLM-4.6"))
        #expect(ModelTarget("chutes::zai-org/GLM-4.6").text == "zai-org/GLM-4.6", "chutes:: is the default provider")
    }

    @Test func mapValuesAndRouteModelsTakeBothForms() throws {
        let configuration = try ProxyConfiguration(environment: [
            "PROVIDERS": Self.providers,
            "MODEL_MAP": #"{"claude-*haiku*": "ollama::llama3.2:3b", "claude-*": ["zai-org/GLM-4.6", {"provider": "openrouter", "model": "z-ai/glm-4.6"}, "chutes::x/Y"]}"#,
            "ROUTES": #"[{"name":"think","when":{"thinking":true},"models":[{"provider":"openrouter","model":"deepseek/deepseek-r1"},"ollama::qwen3:8b"]}]"#,
        ])
        #expect(configuration.modelMap.upstreamModels(for: "claude-3-5-haiku") == ["ollama::llama3.2:3b"])
        #expect(configuration.modelMap.upstreamModels(for: "claude-sonnet-4") == ["zai-org/GLM-4.6", "openrouter::z-ai/glm-4.6", "x/Y"])
        #expect(configuration.routes.routes[0].models == ["openrouter::deepseek/deepseek-r1", "ollama::qwen3:8b"])
    }

    @Test(arguments: [
        (["MODEL_MAP": #"{"claude-*": ["a/B", "openrouterr::x"]}"#], "MODEL_MAP", #"the value for "claude-*" names the provider "openrouterr""#),
        (["MODEL_MAP": #"{"claude-*": {"provider": "nope", "model": "x"}}"#], "MODEL_MAP", #"the value for "claude-*" names the provider "nope""#),
        (["ROUTES": #"[{"name":"bg","models":"nope::x"}]"#], "ROUTES", #"route 1 ("bg") names the provider "nope""#),
        (["COMPACTION_MODEL": "nope::x"], "COMPACTION_MODEL", #"the model names the provider "nope""#),
    ])
    func anUnknownProviderStopsStartUpNamingTheSetting(environment: [String: String], variable: String, problem: String) throws {
        for providers in [Self.providers, nil] {
            var environment = environment
            environment["PROVIDERS"] = providers
            let error = try #require(throws: ConfigurationError.self) { try ProxyConfiguration(environment: environment) }
            #expect(error.variable == variable)
            #expect(error.problem.hasPrefix(problem), "\(error.problem)")
            #expect(error.problem.contains("the providers are chutes" + (providers == nil ? " " : ", openrouter, ollama")), "\(error.problem)")
        }
    }

    @Test func aTargetObjectMustNameBothProviderAndModel() {
        for value in [#"{"provider": "openrouter"}"#, #"{"provider": "openrouter", "model": ""}"#, #"{"provider": "openrouter", "model": "x", "extra": 1}"#] {
            #expect(throws: ConfigurationError.self, "\(value)") {
                try ProxyConfiguration(environment: ["PROVIDERS": Self.providers, "MODEL_MAP": #"{"claude-*": \#(value)}"#])
            }
        }
    }
}
