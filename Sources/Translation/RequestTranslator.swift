import JSON

/// Anthropic Messages request -> OpenAI chat-completions request.
public enum RequestTranslator {
    /// Model-name suffixes that switch reasoning on, as the reference proxy accepted them.
    static let thinkingSuffixes = [":thinking", ":think", ":reasoning", ":reason"]

    /// The largest `max_tokens` accepted: past every model's output limit (and `MAX_TOKENS_CAP`'s
    /// range), so a larger value is a client's mistake or an attack, answered with a 400
    /// naming the field as Anthropic's API does, never a number carried into the window
    /// arithmetic.
    public static let maxTokensLimit = 10_000_000

    /// `model` without the proxy's own reasoning suffix (`:thinking`, ...), and whether it had one.
    public static func strippingThinkingSuffix(_ model: String) -> (model: String, hadSuffix: Bool) {
        let lowered = model.lowercased()
        for suffix in thinkingSuffixes where lowered.hasSuffix(suffix) {
            return (String(model.dropLast(suffix.count)), true)
        }
        return (model, false)
    }

    /// Whether the request switches reasoning on (by `thinking`, `output_config.effort`, a
    /// model suffix or the `X-Enable-Thinking` header), as the translation will decide.
    public static func requestsThinking(_ body: JSONValue, enableThinkingHeader: Bool) -> Bool {
        guard let request = body.objectValue else { return false }
        var options = TranslationOptions()
        options.enableThinkingHeader = enableThinkingHeader
        let bySuffix = strippingThinkingSuffix(request["model"]?.stringValue ?? "").hadSuffix
        let effort = (try? OutputConfig.parse(request["output_config"]))?.effort
        return reasoningSwitch(request, effort: effort, bySuffix: bySuffix, options: options).isOn
    }

    /// Translates a request body; throws for what Anthropic's API would reject with 400.
    public static func translate(_ body: JSONValue, options: TranslationOptions) throws(TranslationError) -> (upstream: JSONValue, context: RequestContext) {
        guard let request = body.objectValue else { throw .wrongType("body", expected: "a JSON object") }
        guard let modelValue = request["model"] else { throw .missing("model") }
        guard var model = modelValue.stringValue, !model.isEmpty else { throw .wrongType("model", expected: "a non-empty string") }
        guard let messagesValue = request["messages"] else { throw .missing("messages") }
        guard let messages = messagesValue.arrayValue else { throw .wrongType("messages", expected: "a valid list") }
        guard let maxTokensValue = request["max_tokens"] else { throw .missing("max_tokens") }
        guard let maxTokens = maxTokensValue.intValue, maxTokens >= 1 else { throw .wrongType("max_tokens", expected: "a positive integer") }
        guard maxTokens <= maxTokensLimit else { throw TranslationError(field: "max_tokens", message: "\(maxTokens) > \(maxTokensLimit), the most any model accepts") }

        let requestedModel = model
        let thinkingBySuffix: Bool
        (model, thinkingBySuffix) = strippingThinkingSuffix(model)
        let upstreamModel = options.resolveModel(model)

        let outputConfig = try OutputConfig.parse(request["output_config"])
        let declaredTools = try declaredCustomTools(request["tools"])
        let toolNames = ToolNameMapping(declared: declaredTools.map(\.name), rules: options.toolNameRules, model: upstreamModel)

        var upstream = JSONObject()
        upstream.reserveCapacity(16)  // every member this function may add, so it allocates once
        upstream.append(key: "model", value: JSONValue(upstreamModel))
        var openAIMessages: [JSONValue] = []
        var systemText = try request["system"].flatMap { system throws(TranslationError) in try MessageTranslator.systemText(system, field: "system") }
        if let schema = outputConfig.schema, options.structuredOutput == .instructed {
            let instruction = StructuredOutput.systemInstruction(schema: schema)
            systemText = systemText.map { JSONString.joined([$0, JSONString(instruction)], separator: "\n\n") } ?? JSONString(instruction)
        }
        if let text = systemText, !text.isEmpty {
            openAIMessages.append(["role": "system", "content": .string(text)])
        }
        let inlineThinking = ToolCallFamily.forModel(upstreamModel)?.readsThinkingInline ?? false
        for (index, message) in messages.enumerated() {
            openAIMessages += try MessageTranslator.translate(
                message, field: "messages.\(index)", toolNames: toolNames, inlineThinking: inlineThinking, reasoningField: options.reasoningField)
        }
        upstream.append(key: "messages", value: .array(openAIMessages))
        upstream.append(key: options.maxTokensField.rawValue, value: JSONValue(options.maxTokensCap.map { min($0, maxTokens) } ?? maxTokens))
        for key in ["temperature", "top_p", "top_k"] {
            if let value = request[key], !value.isNull { upstream.append(key: key, value: value) }
        }
        var stopSequences: [String] = []
        if let stops = request["stop_sequences"]?.arrayValue, !stops.isEmpty {
            stopSequences = stops.compactMap(\.stringValue)
            upstream.append(key: "stop", value: .array(stopSequences.map { JSONValue($0) }))
        }
        let stream = request["stream"]?.boolValue ?? false
        if stream {
            upstream.append(key: "stream", value: true)
            if options.sendsStreamOptions { upstream.append(key: "stream_options", value: ["include_usage": true]) }
        }
        if let user = request["metadata"]?["user_id"]?.stringValue {
            upstream.append(key: "user", value: JSONValue(user))
        }
        if !declaredTools.isEmpty {
            upstream.append(
                key: "tools",
                value: .array(
                    declaredTools.map { tool in
                        var function = JSONObject()
                        function.reserveCapacity(4)
                        function.append(key: "name", value: JSONValue(toolNames.upstreamName(tool.name)))
                        if let description = tool.description { function.append(key: "description", value: .string(description)) }
                        function.append(key: "parameters", value: tool.inputSchema)
                        if tool.strict { function.append(key: "strict", value: true) }
                        return ["type": "function", "function": .object(function)]
                    }))
            try appendToolChoice(request["tool_choice"], toolNames: toolNames, to: &upstream)
        }
        if let schema = outputConfig.schema, options.structuredOutput == .guided {
            upstream.append(key: "response_format", value: StructuredOutput.responseFormat(schema: schema))
        }
        let thinking = reasoningSwitch(request, effort: outputConfig.effort, bySuffix: thinkingBySuffix, options: options)
        applyReasoning(thinking, family: ToolCallFamily.forModel(upstreamModel), options: options, to: &upstream)

        let context = RequestContext(
            requestedModel: requestedModel,
            upstreamModel: upstreamModel,
            stream: stream,
            thinkingRequested: thinking.isOn,
            tools: declaredTools.map { (name: $0.name, inputSchema: $0.inputSchema) },
            toolNames: toolNames,
            request: body,
            stopSequences: stopSequences,
            outputSchema: outputConfig.schema
        )
        return (.object(upstream), context)
    }

    struct DeclaredTool {
        var name: String
        /// Kept as written: it goes upstream unchanged.
        var description: JSONString?
        var inputSchema: JSONValue
        /// `strict: true`: the engine constrains the arguments to the schema.
        var strict = false
    }

    /// Custom tools only: Anthropic's server tools (web search, code execution, ...) have a
    /// versioned `type` and no upstream equivalent, so they are left out.
    static func declaredCustomTools(_ value: JSONValue?) throws(TranslationError) -> [DeclaredTool] {
        guard let value, !value.isNull else { return [] }
        guard let tools = value.arrayValue else { throw .wrongType("tools", expected: "a valid list") }
        var declared: [DeclaredTool] = []
        for (index, tool) in tools.enumerated() {
            if let type = tool["type"]?.stringValue, type != "custom" { continue }
            guard let name = tool["name"]?.stringValue, !name.isEmpty else { throw .missing("tools.\(index).name") }
            var strict = false
            if let value = tool["strict"], !value.isNull {
                guard let flag = value.boolValue else { throw .wrongType("tools.\(index).strict", expected: "a valid boolean") }
                strict = flag
            }
            declared.append(
                DeclaredTool(name: name, description: tool["description"]?.jsonString, inputSchema: tool["input_schema"] ?? ["type": "object", "properties": [:]], strict: strict))
        }
        return declared
    }

    static func appendToolChoice(_ choice: JSONValue?, toolNames: ToolNameMapping, to upstream: inout JSONObject) throws(TranslationError) {
        guard let choice, let type = choice["type"]?.stringValue else { return }
        switch type {
        case "auto": upstream["tool_choice"] = "auto"
        case "any": upstream["tool_choice"] = "required"
        case "none": upstream["tool_choice"] = "none"
        case "tool":
            guard let name = choice["name"]?.stringValue else { throw .missing("tool_choice.name") }
            upstream["tool_choice"] = ["type": "function", "function": ["name": JSONValue(toolNames.upstreamName(name))]]
        default:
            throw TranslationError(field: "tool_choice.type", message: "Input should be 'auto', 'any', 'tool' or 'none'")
        }
        if choice["disable_parallel_tool_use"]?.boolValue == true {
            upstream["parallel_tool_calls"] = false
        }
    }

    enum ReasoningSwitch: Equatable {
        case unspecified
        case off
        case on(effort: Effort)

        var isOn: Bool { if case .on = self { true } else { false } }
    }

    static func reasoningSwitch(_ request: JSONObject, effort: Effort?, bySuffix: Bool, options: TranslationOptions) -> ReasoningSwitch {
        switch request["thinking"]?["type"]?.stringValue {
        case "disabled":
            return .off
        case "enabled":
            let budget = request["thinking"]?["budget_tokens"]?.intValue ?? 0
            return .on(effort: effort ?? Effort.forBudget(budget))
        case "adaptive":
            return .on(effort: effort ?? .medium)
        default:
            if bySuffix || options.enableThinkingHeader { return .on(effort: effort ?? .medium) }
            if let effort { return .on(effort: effort) }
            return .unspecified
        }
    }

    /// `reasoning_effort` and the operator's `chat_template_kwargs`; for Seed-OSS also the
    /// `thinking_budget` its template reads (the table in `Effort`). No `chat_template_kwargs`
    /// at all when the options say the upstream takes none.
    static func applyReasoning(_ reasoning: ReasoningSwitch, family: ToolCallFamily?, options: TranslationOptions, to upstream: inout JSONObject) {
        switch reasoning {
        case .unspecified:
            return
        case .on(let effort):
            if options.sendsReasoningEffort {
                upstream["reasoning_effort"] = JSONValue(effort.reasoningEffort)
            }
            guard options.sendsChatTemplateKwargs else { return }
            var kwargs = options.thinkingTemplateKwargs
            if family == .seedOSS {
                if kwargs == nil { kwargs = JSONObject() }
                kwargs?["thinking_budget"] = JSONValue(effort.seedThinkingBudget)
            }
            if let kwargs { upstream["chat_template_kwargs"] = .object(kwargs) }
        case .off:
            guard options.sendsChatTemplateKwargs, let kwargs = options.thinkingTemplateKwargs else { return }
            var off = JSONObject()
            for (key, value) in kwargs { off.append(key: key, value: value.boolValue != nil ? false : value) }
            upstream["chat_template_kwargs"] = .object(off)
        }
    }
}
