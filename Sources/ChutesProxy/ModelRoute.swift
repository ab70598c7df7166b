/// Step 2 of a `POST /v1/messages`: which upstream models a request goes to, in order.
struct RoutePlan: Sendable, Equatable {
    /// The route that matched: a `ROUTES` entry's name, or `MODEL_MAP:<pattern>` for a
    /// `MODEL_MAP` fallback list; nil for a single mapped name or the name as asked.
    var route: String?
    /// Models (each possibly a Chutes pool) to try in order.
    var candidates: [String]
}

enum ModelRoute {
    /// The first route (`ROUTES`) whose conditions hold, else `MODEL_MAP`, else the name as
    /// asked. For a request with images, models the list says take only text are left out,
    /// and a route left with none is passed over.
    @inline(never)
    static func plan(for request: MessagesRequest, routes: RouteTable, map: ModelMap, acceptsImages: (String) async -> Bool?) async -> RoutePlan {
        var estimate: Int?
        func estimatedInputTokens() -> Int {
            if let estimate { return estimate }
            let value = request.estimatedInputTokens
            estimate = value
            return value
        }
        for route in routes.routes where route.matches(request, estimatedInputTokens: estimatedInputTokens) {
            let models = request.hasImages ? await imageCapable(route.models, acceptsImages: acceptsImages) : route.models
            if !models.isEmpty { return RoutePlan(route: route.name, candidates: models) }
        }
        var candidates = [upstreamModel(for: request.model, in: map)]
        var route: String?
        if !ModelPool(request.model).isPool, let entry = map.entry(for: request.model), entry.models.count > 1 {
            candidates = entry.models
            // The access line names the list, so a fallback can be told from a single mapping.
            route = "MODEL_MAP:" + entry.pattern
        }
        if request.hasImages, candidates.count > 1 {
            let capable = await imageCapable(candidates, acceptsImages: acceptsImages)
            if !capable.isEmpty { candidates = capable }
        }
        return RoutePlan(route: route, candidates: candidates)
    }

    /// Claude Code asks for `claude-*` names, which an OpenAI-compatible upstream does not
    /// serve. When such a name that no route or `MODEL_MAP` entry matched is not found
    /// upstream, the error says how to map it; any other error is returned as it is.
    static func explainingUnmappedClaudeName(_ error: AnthropicError, request: MessagesRequest, plan: RoutePlan, map: ModelMap) -> AnthropicError {
        guard error.status == .notFound, plan.route == nil, request.model.lowercased().hasPrefix("claude-"),
            ModelPool(request.model).members.allSatisfy({ map.entry(for: $0.name) == nil })
        else { return error }
        return AnthropicError(
            status: .notFound,
            message:
                "model: \(request.model) is a Claude model name, which no MODEL_MAP entry or route maps to an upstream model (\(error.message)). Map Claude names on the proxy, e.g. MODEL_MAP='{\"claude-*haiku*\":\"Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8\",\"claude-*\":\"deepseek-ai/DeepSeek-V3.1\"}', or ask for an upstream model by its own name (claude --model deepseek-ai/DeepSeek-V3.1)"
        )
    }

    private static func imageCapable(_ models: [String], acceptsImages: (String) async -> Bool?) async -> [String] {
        var capable: [String] = []
        for model in models where await acceptsImages(model) != false { capable.append(model) }
        return capable
    }

    /// `MODEL_MAP` applied to each member of a Chutes pool (`a,b`) on its own, order and
    /// routing suffixes (`:latency`, `:throughput`) kept; a member mapped to a pool becomes
    /// its members (a member mapped to a fallback list, its first entry). A name no entry
    /// matches is sent as asked.
    static func upstreamModel(for model: String, in map: ModelMap) -> String {
        guard !map.isEmpty else { return model }
        return ModelPool(model).members.flatMap { member -> [ModelPool.Member] in
            guard let mapped = map.upstreamModel(for: member.name) else { return [member] }
            return ModelPool(mapped).members.map { target in
                ModelPool.Member(name: target.name, suffix: target.suffix.isEmpty ? member.suffix : target.suffix)
            }
        }.map { $0.name + $0.suffix }.joined(separator: ",")
    }
}
