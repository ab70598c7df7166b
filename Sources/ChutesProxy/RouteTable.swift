import JSON

/// Routes by scenario (`ROUTES`, or the file named by `ROUTES_FILE`): a JSON array evaluated
/// in order, the first route whose conditions all hold wins, and names the upstream model or
/// fallback list for the request. No route matching leaves the request to `MODEL_MAP`.
///
///     [{"name": "background", "when": {"model": "claude-*haiku*"}, "models": "Qwen/Qwen3-Coder-30B-A3B-Instruct"},
///      {"name": "think", "when": {"thinking": true}, "models": ["deepseek-ai/DeepSeek-R1-0528", "zai-org/GLM-4.6"]},
///      {"name": "long", "when": {"min_input_tokens": 100000}, "models": "moonshotai/Kimi-K2-Instruct-0905"},
///      {"name": "default", "models": ["zai-org/GLM-4.6", "deepseek-ai/DeepSeek-V3.1"]}]
public struct RouteTable: Sendable, Equatable {
    /// One route: its conditions (nil: any) and the models to try in order.
    public struct Route: Sendable, Equatable {
        /// Its name, as the access log and `--print-config` show it.
        public var name: String
        /// Glob on the requested model (without `:thinking`-style suffixes), case ignored.
        public var model: String?
        /// Matches when reasoning is on (`true`) or off (`false`).
        public var thinking: Bool?
        /// Estimated input tokens at least this many.
        public var minInputTokens: Int?
        /// Matches when the request carries an image (`true`) or none (`false`).
        public var images: Bool?
        /// Matches when the request declares tools (`true`) or none (`false`).
        public var tools: Bool?
        /// Upstream models (each may be a Chutes pool) tried in order.
        public var models: [String]
    }

    /// The routes in the order they are tried.
    public var routes: [Route] = []

    /// No routes: `MODEL_MAP` alone decides.
    public init() {}

    /// These routes, tried in order.
    public init(routes: [Route]) { self.routes = routes }

    static let conditionNames = ["model", "thinking", "min_input_tokens", "images", "tools"]

    /// Reads the JSON form; `variable` names the setting in errors.
    public init(json text: String, variable: String) throws(ConfigurationError) {
        func fail(_ problem: String) -> ConfigurationError { ConfigurationError(variable: variable, problem: problem) }
        guard let value = try? JSONValue(parsing: text), let array = value.arrayValue else {
            throw fail(#"must be a JSON array of routes, e.g. [{"name":"background","when":{"model":"claude-*haiku*"},"models":["a","b"]}]"#)
        }
        for (index, entry) in array.enumerated() {
            guard let object = entry.objectValue else { throw fail("route \(index + 1) is not a JSON object") }
            let name = object["name"]?.stringValue ?? "route \(index + 1)"
            let label = "route \(index + 1) (\"\(name)\")"
            for key in object.keys where !["name", "when", "models"].contains(key) {
                throw fail("\(label): unknown field \"\(key)\" (fields: name, when, models)")
            }
            guard let modelsValue = object["models"] else { throw fail("\(label): \"models\" is required") }
            let models: [String]
            do {
                models = try ModelMap.modelList(modelsValue)
            } catch {
                throw fail("\(label): \"models\" \(error.message)")
            }
            var route = Route(name: name, models: models)
            if let when = object["when"] {
                guard let conditions = when.objectValue else { throw fail("\(label): \"when\" must be a JSON object") }
                for (key, condition) in conditions {
                    switch key {
                    case "model":
                        guard let glob = condition.stringValue, !glob.isEmpty else { throw fail("\(label): \"model\" must be a model name or glob") }
                        route.model = glob
                    case "thinking", "images", "tools":
                        guard let flag = condition.boolValue else { throw fail("\(label): \"\(key)\" must be true or false") }
                        switch key {
                        case "thinking": route.thinking = flag
                        case "images": route.images = flag
                        default: route.tools = flag
                        }
                    case "min_input_tokens":
                        guard let tokens = condition.intValue, tokens >= 0 else { throw fail("\(label): \"min_input_tokens\" must be a whole number of tokens") }
                        route.minInputTokens = tokens
                    default:
                        throw fail("\(label): unknown condition \"\(key)\" (conditions: \(Self.conditionNames.joined(separator: ", ")))")
                    }
                }
            }
            routes.append(route)
        }
    }

    /// Whether there is no route.
    public var isEmpty: Bool { routes.isEmpty }

    /// The table in `ROUTES`' JSON form.
    var jsonText: String {
        JSONValue.array(
            routes.map { route in
                var when = JSONObject()
                if let model = route.model { when["model"] = JSONValue(model) }
                if let thinking = route.thinking { when["thinking"] = JSONValue(thinking) }
                if let tokens = route.minInputTokens { when["min_input_tokens"] = JSONValue(tokens) }
                if let images = route.images { when["images"] = JSONValue(images) }
                if let tools = route.tools { when["tools"] = JSONValue(tools) }
                var object: JSONObject = ["name": JSONValue(route.name)]
                if !when.isEmpty { object["when"] = .object(when) }
                object["models"] = route.models.count == 1 ? JSONValue(route.models[0]) : .array(route.models.map { JSONValue($0) })
                return .object(object)
            }
        ).jsonText
    }
}

extension RouteTable.Route {
    /// Whether the request meets every condition; the token estimate is made only when a
    /// condition needs it.
    func matches(_ request: MessagesRequest, estimatedInputTokens: () -> Int) -> Bool {
        if let model, !ModelMap.glob(model.lowercased(), matches: request.model.lowercased()) { return false }
        if let thinking, thinking != request.thinking { return false }
        if let images, images != request.hasImages { return false }
        if let tools, tools != request.hasTools { return false }
        // The body size bounds the estimate for text: a small request needs no estimate.
        if let minInputTokens, (!request.hasImages && request.bodyBytes < minInputTokens) || estimatedInputTokens() < minInputTokens { return false }
        return true
    }

    /// `think: thinking=true -> a | b`
    var summary: String {
        var conditions: [String] = []
        if let model { conditions.append("model=\(model)") }
        if let thinking { conditions.append("thinking=\(thinking)") }
        if let minInputTokens { conditions.append("input_tokens>=\(minInputTokens)") }
        if let images { conditions.append("images=\(images)") }
        if let tools { conditions.append("tools=\(tools)") }
        return "\(name): \(conditions.isEmpty ? "always" : conditions.joined(separator: " and ")) -> \(models.joined(separator: " | "))"
    }
}
